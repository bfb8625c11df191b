import { isPostgres } from '../dialect.ts'
import type { Executor } from '../executor.ts'
import { fixedQuery } from '../fixed-query.ts'

const settingOf = fixedQuery<{ tenantId: string; name: string }, { value: string }>((db, p) =>
  db
    .selectFrom('tenant_settings')
    .select('value')
    .where('tenant_id', '=', p('tenantId'))
    .where('name', '=', p('name')),
)

/** Per-tenant values of settings whose server-wide default lives in the configuration. */
export const tenantSettingsRepository = {
  /** `forUpdate`: lock the row until the transaction ends (PostgreSQL; SQLite serialises writers). */
  async get(
    db: Executor,
    tenantId: string,
    name: string,
    options: { forUpdate?: boolean } = {},
  ): Promise<unknown> {
    const row = options.forUpdate
      ? await db
          .selectFrom('tenant_settings')
          .select('value')
          .where('tenant_id', '=', tenantId)
          .where('name', '=', name)
          .$if(isPostgres(db), (query) => query.forUpdate())
          .executeTakeFirst()
      : (await settingOf(db, { tenantId, name })).rows[0]
    return row === undefined ? undefined : (JSON.parse(row.value) as unknown)
  },
  async set(
    db: Executor,
    setting: { tenantId: string; name: string; value: unknown; now: number; actor: string },
  ): Promise<void> {
    const value = JSON.stringify(setting.value)
    await db
      .insertInto('tenant_settings')
      .values({
        tenant_id: setting.tenantId,
        name: setting.name,
        value,
        updated_at: setting.now,
        updated_by: setting.actor,
      })
      .onConflict((conflict) =>
        conflict
          .columns(['tenant_id', 'name'])
          .doUpdateSet({ value, updated_at: setting.now, updated_by: setting.actor }),
      )
      .execute()
  },
  async remove(db: Executor, tenantId: string, name: string): Promise<void> {
    await db
      .deleteFrom('tenant_settings')
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .execute()
  },
}
