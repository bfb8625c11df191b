import { type Kysely, sql } from 'kysely'
import { isPostgres } from '../dialect.ts'
import { dropForeignKeys } from './foreign-keys.ts'
import { rebuildSqliteTables } from './sqlite-rebuild.ts'

/**
 * The rows a forced reset writes for each user, without foreign keys: a pending reset and a
 * reset code no longer reference their user, nor a queued message its tenant. A bulk reset
 * writes one of each per user; on PostgreSQL every key is checked by a query of its own per
 * row, which together cost about 1.4 s of the database's CPU for 100,000 users, a sixth of
 * the whole job.
 *
 * What the keys did is done elsewhere: deleting a user deletes its pending reset and its codes
 * in the same transaction (`usersRepository.delete`), and a trigger writes these rows only for
 * the users it locked in its own transaction, so a user deleted meanwhile gets none. Nothing
 * deletes tenants, so the message's cascade never acted.
 */
const KEYS: readonly ForeignKey[] = [
  { table: 'pending_resets', column: 'user_id', references: 'users', name: 'pending_resets_user_id_fkey' },
  { table: 'reset_codes', column: 'user_id', references: 'users', name: 'reset_codes_user_id_fkey' },
  {
    table: 'outbox_messages',
    column: 'tenant_id',
    references: 'tenants',
    name: 'outbox_messages_tenant_id_fkey',
  },
]

const TABLES = KEYS.map((key) => key.table)
const keyOf = (table: string) => KEYS.find((key) => key.table === table)!

interface ForeignKey {
  table: string
  column: string
  references: string
  /** PostgreSQL's name for the key the table was created with; `down` restores it. */
  name: string
}

export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) {
    for (const key of KEYS) await dropForeignKeys(db, key.table)
    return
  }
  // A table already without its key (a run stopped before it was recorded) is left as it is.
  await rebuildSqliteTables(db, TABLES, (table, create) => {
    const clause = sqliteClause(keyOf(table))
    return create.includes(clause) ? create.replace(clause, '') : undefined
  })
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) {
    for (const key of KEYS) {
      const { rows } = await sql`
        select 1 from pg_constraint where conrelid = to_regclass(${key.table}) and conname = ${key.name}`.execute(
        db,
      )
      if (rows.length === 0)
        await sql`alter table ${sql.id(key.table)} add constraint ${sql.id(key.name)} foreign key (${sql.id(key.column)}) references ${sql.id(key.references)} (id) on delete cascade`.execute(
          db,
        )
    }
    return
  }
  await rebuildSqliteTables(db, TABLES, (table, create) => {
    const key = keyOf(table)
    if (create.includes(sqliteClause(key))) return undefined
    const column = `"${key.column}" varchar(36)`
    const at = create.indexOf(column)
    if (at < 0) throw new Error(`${key.table} has no column ${key.column}`)
    const end = create.indexOf(',', at)
    return `${create.slice(0, end)}${sqliteClause(key)}${create.slice(end)}`
  })
}

/** The key as SQLite keeps it in the table's CREATE statement (as Kysely wrote it). */
function sqliteClause(key: ForeignKey): string {
  return ` references "${key.references}" ("id") on delete cascade`
}
