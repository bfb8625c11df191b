import type { Kysely } from 'kysely'

/**
 * Earlier passwords of each user, as the hashes they were stored with, so a policy can refuse
 * their reuse. Only the most recent few are kept (the policy's largest history).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('password_history')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('hash', 'text', (c) => c.notNull())
    // When this password stopped being the current one.
    .addColumn('replaced_at', 'bigint', (c) => c.notNull())
    // Order of replacement per user: two changes within one millisecond still have an order.
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('password_history_by_user')
    .on('password_history')
    .columns(['user_id', 'sequence'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('password_history').ifExists().execute()
}
