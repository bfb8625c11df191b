import type { Kysely } from 'kysely'
import type { Database } from '../../src/persistence/tables.ts'

/** The tables whose rows make up the state an admin call can change (the audit log aside). */
const stateTables = [
  'tenants',
  'user_stores',
  'users',
  'user_claims',
  'password_credentials',
  'roles',
  'role_permissions',
  'user_roles',
  'sessions',
  'api_tokens',
  'bulk_reset_jobs',
] as const

// Bookkeeping that changes by merely using a credential, not by changing anything.
const volatileColumns = new Set(['last_used_at', 'last_seen_at'])

/**
 * Every row of every state table, in a stable order: two equal snapshots mean no call in
 * between changed anything, not even half-way.
 */
export async function snapshotStore(db: Kysely<Database>): Promise<Record<string, string[]>> {
  const snapshot: Record<string, string[]> = {}
  for (const table of stateTables) {
    const rows = await db.selectFrom(table).selectAll().execute()
    snapshot[table] = rows
      .map((row) =>
        JSON.stringify(
          Object.fromEntries(
            Object.entries(row as Record<string, unknown>)
              .filter(([column]) => !volatileColumns.has(column))
              .sort(([a], [b]) => a.localeCompare(b)),
          ),
        ),
      )
      .sort()
  }
  return snapshot
}
