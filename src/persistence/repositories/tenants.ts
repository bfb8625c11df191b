import type { Executor } from '../executor.ts'
import type { TenantsTable } from '../tables.ts'

export type TenantRow = TenantsTable

export const tenantsRepository = {
  findByDomain(db: Executor, domain: string): Promise<TenantRow | undefined> {
    return db.selectFrom('tenants').selectAll().where('domain', '=', domain).executeTakeFirst()
  },
  findById(db: Executor, id: string): Promise<TenantRow | undefined> {
    return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst()
  },
  list(db: Executor): Promise<TenantRow[]> {
    return db.selectFrom('tenants').selectAll().orderBy('domain').execute()
  },
  async insert(db: Executor, row: TenantRow): Promise<void> {
    await db.insertInto('tenants').values(row).execute()
  },
  async update(
    db: Executor,
    id: string,
    changes: Partial<Pick<TenantRow, 'status' | 'display_name' | 'updated_at'>>,
  ): Promise<void> {
    await db.updateTable('tenants').set(changes).where('id', '=', id).execute()
  },
}
