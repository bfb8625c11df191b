import { type Kysely, sql } from 'kysely'
import { isPostgres } from '../dialect.ts'

/**
 * Bulk forced resets: a job per request (its selection, mode, actor, progress and lease), the
 * users it selected when it was created (its targets, walked in user-id order with a keyset
 * cursor), and the users it could not reset, with the reason, so failures stay reportable.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('bulk_reset_jobs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('selector', 'varchar(16)', (c) => c.notNull())
    .addColumn('filter', 'text')
    .addColumn('mode', 'varchar(16)', (c) => c.notNull())
    .addColumn('actor_kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('actor_id', 'varchar(36)')
    .addColumn('actor_name', 'varchar(255)', (c) => c.notNull())
    .addColumn('channel', 'varchar(32)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    // The last target processed: batches resume after it.
    .addColumn('last_user_id', 'varchar(36)')
    // One process runs a job at a time; another takes it over once the lease has run out.
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('error', 'text')
    .execute()
  await db.schema
    .createIndex('bulk_reset_jobs_by_tenant')
    .on('bulk_reset_jobs')
    .columns(['tenant_id', 'created_at'])
    .execute()
  // Runners look for jobs to run (queued, or running under a lease that ran out).
  await db.schema.createIndex('bulk_reset_jobs_by_status').on('bulk_reset_jobs').columns(['status']).execute()

  // No foreign key to users: a user deleted while the job runs is reported as a failure.
  await db.schema
    .createTable('bulk_reset_targets')
    .addColumn('job_id', 'varchar(36)', (c) =>
      c.notNull().references('bulk_reset_jobs.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .addPrimaryKeyConstraint('bulk_reset_targets_pk', ['job_id', 'user_id'])
    .execute()

  await db.schema
    .createTable('bulk_reset_failures')
    .addColumn('job_id', 'varchar(36)', (c) =>
      c.notNull().references('bulk_reset_jobs.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('user_name', 'varchar(320)')
    .addColumn('reason', 'varchar(64)', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('bulk_reset_failures_pk', ['job_id', 'user_id'])
    .execute()

  // A queued message's sealed body (3-4 KB for the shipped templates) is past PostgreSQL's
  // default threshold for moving values out of line: each message would cost a compression
  // attempt on incompressible ciphertext and rows in the TOAST table. Rows stay whole up to
  // a page; a bulk reset queues a hundred thousand of them at once.
  if (isPostgres(db)) await sql`alter table outbox_messages set (toast_tuple_target = 8160)`.execute(db)

  // Workers lease in (next_attempt_at, id) order. A bulk batch queues thousands of messages due
  // at the same millisecond: without the id in the index, every lease sorts the whole tie to
  // return the first fifty.
  await db.schema.dropIndex('outbox_due').execute()
  await db.schema
    .createIndex('outbox_due')
    .on('outbox_messages')
    .columns(['status', 'next_attempt_at', 'id'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('outbox_due').execute()
  await db.schema
    .createIndex('outbox_due')
    .on('outbox_messages')
    .columns(['status', 'next_attempt_at'])
    .execute()
  if (isPostgres(db)) await sql`alter table outbox_messages reset (toast_tuple_target)`.execute(db)
  await db.schema.dropTable('bulk_reset_failures').ifExists().execute()
  await db.schema.dropTable('bulk_reset_targets').ifExists().execute()
  await db.schema.dropTable('bulk_reset_jobs').ifExists().execute()
}
