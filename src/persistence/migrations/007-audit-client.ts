import type { Kysely } from 'kysely'

/**
 * The network address an audited request came from (sign-ins and one-time password attempts
 * above all), so an investigation can tell one guesser from many. Older events have none.
 * Sized like `sessions.client_address`: an IPv6 address with a zone fits in 64 characters.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('client_address', 'varchar(64)').execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_events').dropColumn('client_address').execute()
}
