import type { Executor } from '../executor.ts'
import { fixedQuery } from '../fixed-query.ts'
import type { ApiTokensTable } from '../tables.ts'

export type ApiTokenRow = ApiTokensTable

const tokenByHash = fixedQuery<{ tokenHash: string }, ApiTokenRow>((db, p) =>
  db.selectFrom('api_tokens').selectAll().where('token_hash', '=', p('tokenHash')),
)

export const apiTokensRepository = {
  async insert(db: Executor, row: ApiTokenRow): Promise<void> {
    await db.insertInto('api_tokens').values(row).execute()
  },
  async findByHash(db: Executor, tokenHash: string): Promise<ApiTokenRow | undefined> {
    return (await tokenByHash(db, { tokenHash })).rows[0]
  },
  findById(db: Executor, tenantId: string, id: string): Promise<ApiTokenRow | undefined> {
    return db
      .selectFrom('api_tokens')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
  },
  list(db: Executor, tenantId: string): Promise<ApiTokenRow[]> {
    return db
      .selectFrom('api_tokens')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .execute()
  },
  async revoke(db: Executor, tenantId: string, id: string, now: number): Promise<boolean> {
    const result = await db
      .updateTable('api_tokens')
      .set({ revoked_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  },
  async touch(db: Executor, id: string, now: number): Promise<void> {
    await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute()
  },
}
