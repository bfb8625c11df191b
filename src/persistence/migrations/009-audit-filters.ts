import type { Kysely } from 'kysely'

/**
 * The audit log's filters, indexed. A page of the log is read newest first through
 * `audit_by_tenant_time`; a filter on a rare actor, target or action (one user's events, every
 * lock-out) then walks the tenant's whole log to fill the page: half a second for a million
 * events, growing with the log. With these, such a page reads only its own events, and every
 * reader benefits (the console, `GET /api/admin/audit`, `rekey audit list`). The cost is three
 * more index entries per event written.
 *
 * On PostgreSQL, building them on a large existing log holds writes to the table (sign-ins
 * among them) until each index is built: run the upgrade when sign-ins are quiet.
 */
const indexes = [
  ['audit_by_tenant_actor', 'actor'],
  ['audit_by_tenant_target', 'target'],
  ['audit_by_tenant_action', 'action'],
] as const

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [name, column] of indexes)
    await db.schema
      .createIndex(name)
      .on('audit_events')
      .columns(['tenant_id', column, 'occurred_at'])
      .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [name] of indexes) await db.schema.dropIndex(name).execute()
}
