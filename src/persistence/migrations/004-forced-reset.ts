import type { Kysely } from 'kysely'

/**
 * Forced password resets: which users must reset (one row while a reset is pending), and the
 * one-time secrets that let them (emailed link tokens and one-time passwords). Secrets are
 * stored as keyed HMACs; an offline one-time password, which administrators must read back,
 * is also stored sealed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // A session opened with a one-time password may only set a new password.
  await db.schema
    .alterTable('sessions')
    .addColumn('purpose', 'varchar(16)', (c) => c.notNull().defaultTo('full'))
    .execute()
  await db.schema
    .createTable('pending_resets')
    .addColumn('user_id', 'varchar(36)', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('mode', 'varchar(16)', (c) => c.notNull())
    .addColumn('requested_at', 'bigint', (c) => c.notNull())
    .addColumn('requested_by', 'varchar(255)', (c) => c.notNull())
    .addColumn('reason', 'varchar(64)', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('pending_resets_by_tenant')
    .on('pending_resets')
    .columns(['tenant_id'])
    .execute()

  await db.schema
    .createTable('reset_codes')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'varchar(8)', (c) => c.notNull())
    // HMAC-SHA256 of the secret under the server key: a stolen table yields nothing to replay.
    .addColumn('secret_hmac', 'varchar(64)', (c) => c.notNull())
    .addColumn('sealed_secret', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .execute()
  // Links are found by their HMAC; one-time passwords by their user.
  await db.schema
    .createIndex('reset_codes_by_hmac')
    .on('reset_codes')
    .columns(['secret_hmac'])
    .unique()
    .execute()
  await db.schema.createIndex('reset_codes_by_user').on('reset_codes').columns(['user_id', 'kind']).execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('reset_codes').ifExists().execute()
  await db.schema.dropTable('pending_resets').ifExists().execute()
  await db.schema.alterTable('sessions').dropColumn('purpose').execute()
}
