import { type Kysely, sql } from 'kysely'
import { comparisonKey } from '../../domain/comparison-key.ts'
import { isPostgres } from '../dialect.ts'

/**
 * SCIM needs case-insensitive claim filters that use an index and behave the same on SQLite
 * and PostgreSQL. Each engine lower-cases differently (SQLite only ASCII), so the key is
 * computed by the application and stored: `value_key`. Roles gain a version for SCIM ETags.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('user_claims').addColumn('value_key', 'text').execute()
  const typed = db as unknown as Kysely<{
    user_claims: { user_id: string; claim_uri: string; value: string; value_key: string | null }
  }>
  // Existing rows are keyed here, in pages, with the same function every later write uses.
  for (;;) {
    const rows = await typed
      .selectFrom('user_claims')
      .select(['user_id', 'claim_uri', 'value'])
      .where('value_key', 'is', null)
      .limit(1000)
      .execute()
    if (rows.length === 0) break
    for (const row of rows) {
      await typed
        .updateTable('user_claims')
        .set({ value_key: comparisonKey(row.value) })
        .where('user_id', '=', row.user_id)
        .where('claim_uri', '=', row.claim_uri)
        .execute()
    }
  }
  await db.schema
    .createIndex('user_claims_key_lookup')
    .on('user_claims')
    .columns(['tenant_id', 'claim_uri', 'value_key'])
    .execute()
  await db.schema.dropIndex('user_claims_lookup').execute()
  await db.schema
    .createIndex('user_claims_value_lookup')
    .on('user_claims')
    .columns(['tenant_id', 'claim_uri', 'value'])
    .execute()

  await db.schema
    .alterTable('roles')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute()
  // Role names are keyed as filters compare them (NFKC and lower case), not by lower case alone.
  const roles = db as unknown as Kysely<{ roles: { id: string; name: string; name_key: string } }>
  for (const role of await roles.selectFrom('roles').select(['id', 'name']).execute()) {
    await roles
      .updateTable('roles')
      .set({ name_key: comparisonKey(role.name) })
      .where('id', '=', role.id)
      .execute()
  }
  // Sorted user listings walk these indexes instead of sorting the tenant: the default SCIM
  // order (creation, then id), and userName order, which is the expression SCIM sorts by
  // (src/scim/users/user-query.ts), by code point on PostgreSQL as on SQLite.
  await db.schema
    .createIndex('users_tenant_name')
    .on('users')
    .columns(['tenant_id', 'username_key', 'id'])
    .execute()
  await db.schema.dropIndex('users_tenant_created').execute()
  await db.schema
    .createIndex('users_tenant_created')
    .on('users')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute()
  const displayKey = sql.raw(
    "(case when store_domain = 'PRIMARY' then username_key else lower(store_domain) || '/' || username_key end)",
  )
  await sql`create index users_tenant_display_key on users (tenant_id, ${displayKey}${sql.raw(
    isPostgres(db) ? ' collate "C"' : '',
  )}, id)`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_tenant_display_key').execute()
  await db.schema.dropIndex('users_tenant_name').execute()
  await db.schema.alterTable('roles').dropColumn('version').execute()
  await db.schema.dropIndex('user_claims_key_lookup').execute()
  await db.schema.alterTable('user_claims').dropColumn('value_key').execute()
}
