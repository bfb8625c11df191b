import type { Kysely } from 'kysely'

/**
 * SCIM Groups (Rekey roles) keep the provisioning client's `externalId` (RFC 7643 §3.1): clients
 * that match their groups by it must find them again, or they try to create them anew and are
 * refused on the name. Looked up by `externalId eq "…"` within a tenant, hence the index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('roles').addColumn('external_id', 'varchar(255)').execute()
  await db.schema
    .createIndex('roles_tenant_external_id')
    .on('roles')
    .columns(['tenant_id', 'external_id'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('roles_tenant_external_id').execute()
  await db.schema.alterTable('roles').dropColumn('external_id').execute()
}
