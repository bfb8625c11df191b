import assert from 'node:assert/strict'
import type { Kysely } from 'kysely'
import type { Container } from '../../src/container.ts'
import type { NotificationRequest } from '../../src/notifications/notifier.ts'
import { inTransaction } from '../../src/persistence/executor.ts'
import type { Database } from '../../src/persistence/tables.ts'

/** Queues a message the way a flow does (in a transaction of its own here); its id. */
export async function queueMail(container: Container, request: NotificationRequest): Promise<string> {
  const result = await inTransaction(container.store.db, (trx) => container.notifier.enqueue(trx, request))
  assert.ok(result.queued, `message ${request.idempotencyKey} was queued`)
  return result.id
}

/** The tables of notification state an admin call can change (the audit log aside). */
const notificationTables = [
  'email_templates',
  'tenant_settings',
  'tenant_smtp_settings',
  'outbox_messages',
  'outbox_attempts',
] as const

/**
 * Every row of every notification table, in a stable order; used with `snapshotStore` to show
 * that a refused call changed nothing there either.
 */
export async function snapshotNotifications(db: Kysely<Database>): Promise<Record<string, string[]>> {
  const snapshot: Record<string, string[]> = {}
  for (const table of notificationTables) {
    const rows = await db.selectFrom(table).selectAll().execute()
    snapshot[table] = rows
      .map((row) =>
        JSON.stringify(
          Object.entries(row as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
          (_key, value) => (typeof value === 'bigint' ? String(value) : value),
        ),
      )
      .sort()
  }
  return snapshot
}
