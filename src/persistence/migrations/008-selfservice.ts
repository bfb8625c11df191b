import type { Kysely } from 'kysely'

/**
 * Self-service password reset.
 *
 * - `security_answers`: each user's answers to security questions, as password hashes of the
 *   normalised answer (the question list itself is a tenant setting).
 * - `selfservice_flows`: what the store must remember about a flow whose state otherwise travels
 *   in its encrypted token: failed attempts (counted here, atomically, because an old token can
 *   be replayed) and the end of the flow (so a completed or exhausted flow's tokens are dead on
 *   every instance). A row exists only once a flow has failed an attempt or ended.
 * - `selfservice_counters`: fixed-window counters for the per-address and per-account limits,
 *   shared by every instance. Subjects are keyed hashes, never addresses or names.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('security_answers')
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('question_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('answer_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('security_answers_pk', ['user_id', 'question_id'])
    .execute()

  await db.schema
    .createTable('selfservice_flows')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // completed | exhausted; null while the flow may go on.
    .addColumn('ended', 'varchar(16)')
    // When the flow's last token expires: the row is useless after it and may be pruned.
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('selfservice_flows_by_expiry')
    .on('selfservice_flows')
    .column('expires_at')
    .execute()

  await db.schema
    .createTable('selfservice_counters')
    .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull())
    // address | account | mail
    .addColumn('scope', 'varchar(16)', (c) => c.notNull())
    .addColumn('subject', 'varchar(64)', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('selfservice_counters_pk', ['tenant_id', 'scope', 'subject', 'window_start'])
    .execute()
  await db.schema
    .createIndex('selfservice_counters_by_window')
    .on('selfservice_counters')
    .column('window_start')
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('selfservice_counters').ifExists().execute()
  await db.schema.dropTable('selfservice_flows').ifExists().execute()
  await db.schema.dropTable('security_answers').ifExists().execute()
}
