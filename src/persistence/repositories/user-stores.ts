import type { Executor } from '../executor.ts'
import type { UserStoresTable } from '../tables.ts'

export type UserStoreRow = UserStoresTable

export const userStoresRepository = {
  list(db: Executor, tenantId: string): Promise<UserStoreRow[]> {
    return db
      .selectFrom('user_stores')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('domain')
      .execute()
  },
  find(db: Executor, tenantId: string, domain: string): Promise<UserStoreRow | undefined> {
    return db
      .selectFrom('user_stores')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('domain', '=', domain)
      .executeTakeFirst()
  },
  async insert(db: Executor, row: UserStoreRow): Promise<void> {
    await db.insertInto('user_stores').values(row).execute()
  },
}
