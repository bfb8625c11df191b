import type { Executor } from '../executor.ts'
import type { TemplateSnapshotsTable } from '../tables.ts'

export type TemplateSnapshotRow = TemplateSnapshotsTable

export const templateSnapshotsRepository = {
  /** Which of `ids` the store holds. */
  async presentIds(db: Executor, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set()
    const rows = await db
      .selectFrom('template_snapshots')
      .select('id')
      .where('id', 'in', [...ids])
      .execute()
    return new Set(rows.map((row) => row.id))
  },

  /** Stores snapshots; one already there (another process was first) is left as it is. */
  async insert(db: Executor, rows: readonly TemplateSnapshotRow[]): Promise<void> {
    if (rows.length === 0) return
    await db
      .insertInto('template_snapshots')
      .values([...rows])
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute()
  },

  async findMany(db: Executor, ids: readonly string[]): Promise<TemplateSnapshotRow[]> {
    if (ids.length === 0) return []
    return db
      .selectFrom('template_snapshots')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute()
  },
}
