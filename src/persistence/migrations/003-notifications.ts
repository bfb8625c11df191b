import type { Kysely } from 'kysely'
import { isPostgres } from '../dialect.ts'

/**
 * Notifications: tenant-edited email templates, the transactional outbox with its delivery
 * attempts, per-tenant settings and SMTP settings. Message bodies and SMTP URLs are stored sealed
 * (AES-256-GCM under a key derived from the server secret): they carry reset links, one-time
 * codes and relay passwords.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('email_templates')
    .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('locale', 'varchar(35)', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('html', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('email_templates_pk', ['tenant_id', 'type', 'locale'])
    .execute()

  await db.schema
    .createTable('outbox_messages')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('idempotency_key', 'varchar(255)', (c) => c.notNull())
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('locale', 'varchar(35)', (c) => c.notNull())
    .addColumn('recipient', 'varchar(320)', (c) => c.notNull())
    // No foreign key: the record of what was sent outlives a deleted user.
    .addColumn('user_id', 'varchar(36)')
    .addColumn('subject', 'text', (c) => c.notNull())
    // Sealed {html, text}; erased once SMTP accepted the message.
    .addColumn('body_sealed', 'text')
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('transport', 'varchar(16)')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('smtp_response', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .addUniqueConstraint('outbox_idempotency_unique', ['tenant_id', 'idempotency_key'])
    .execute()
  // Workers lease due messages in this order; listings page a tenant's messages by status.
  await db.schema
    .createIndex('outbox_due')
    .on('outbox_messages')
    .columns(['status', 'next_attempt_at'])
    .execute()
  await db.schema
    .createIndex('outbox_by_tenant')
    .on('outbox_messages')
    .columns(['tenant_id', 'status', 'created_at'])
    .execute()

  await db.schema
    .createTable('outbox_attempts')
    .addColumn('id', isPostgres(db) ? 'bigint' : 'integer', (c) =>
      isPostgres(db) ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('message_id', 'varchar(36)', (c) =>
      c.notNull().references('outbox_messages.id').onDelete('cascade'),
    )
    .addColumn('attempted_at', 'bigint', (c) => c.notNull())
    .addColumn('worker', 'varchar(64)', (c) => c.notNull())
    .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('outbox_attempts_by_message')
    .on('outbox_attempts')
    .columns(['message_id', 'attempted_at'])
    .execute()

  // Per-tenant settings that have a server-wide default in the configuration file (the
  // notification locale now; reset policies later), one JSON value per name.
  await db.schema
    .createTable('tenant_settings')
    .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('tenant_settings_pk', ['tenant_id', 'name'])
    .execute()

  await db.schema
    .createTable('tenant_smtp_settings')
    .addColumn('tenant_id', 'varchar(36)', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('url_sealed', 'text', (c) => c.notNull())
    .addColumn('from_address', 'varchar(320)', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'varchar(255)', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'tenant_smtp_settings',
    'tenant_settings',
    'outbox_attempts',
    'outbox_messages',
    'email_templates',
  ])
    await db.schema.dropTable(table).ifExists().execute()
}
