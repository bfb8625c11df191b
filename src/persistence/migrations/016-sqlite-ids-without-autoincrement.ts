import type { Kysely } from 'kysely'
import { isPostgres } from '../dialect.ts'
import { rebuildSqliteTables } from './sqlite-rebuild.ts'

/**
 * SQLite: audit events and delivery attempts take plain rowids instead of AUTOINCREMENT
 * (decision 0030). AUTOINCREMENT reads and rewrites the table's row in `sqlite_sequence` on
 * every insert, and a forced reset inserts one of each per user. Its only promise beyond a
 * plain rowid (the largest id plus one) is that an id is never used again after the largest row
 * is deleted: audit events are never deleted, and delivery attempts are only ever ordered among
 * the attempts of one message, which stay while the message does. PostgreSQL's identity
 * columns are unchanged.
 */
const TABLES = ['audit_events', 'outbox_attempts'] as const
const AUTOINCREMENT = '"id" integer primary key autoincrement'
const PLAIN = '"id" integer primary key'

export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) return
  await rebuildSqliteTables(db, TABLES, (_, create) =>
    create.includes(AUTOINCREMENT) ? create.replace(AUTOINCREMENT, PLAIN) : undefined,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) return
  await rebuildSqliteTables(db, TABLES, (table, create) => {
    if (create.includes(AUTOINCREMENT)) return undefined
    if (!create.includes(PLAIN)) throw new Error(`${table} has no ${PLAIN} column`)
    return create.replace(PLAIN, AUTOINCREMENT)
  })
}
