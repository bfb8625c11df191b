import type { Executor } from '../executor.ts'
import type { TemplateSnapshotsTable } from '../tables.ts'

export type TemplateSnapshotRow = TemplateSnapshotsTable

export const templateSnapshotsRepository = {
  /** Stores the snapshots the store does not hold yet; a snapshot is never changed once stored. */
  async insertMissing(db: Executor, rows: readonly TemplateSnapshotRow[]): Promise<void> {
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
