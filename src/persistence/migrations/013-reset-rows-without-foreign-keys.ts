import { type Kysely, sql } from 'kysely'
import { isPostgres } from '../dialect.ts'
import { dropForeignKeys } from './foreign-keys.ts'

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
  await rebuildSqliteTables(db, (key, create) => {
    const clause = sqliteClause(key)
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
  await rebuildSqliteTables(db, (key, create) => {
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

/**
 * SQLite cannot add or drop a key: each table is rebuilt from its own CREATE statement, changed
 * by `change` (undefined: the table is as wanted already, and kept), with its indexes. Kysely
 * records a SQLite migration after it ran, outside its transaction, so a stop in between runs
 * it again: every step must find its own work done. Enforcement is off meanwhile, as SQLite
 * prescribes for such a rebuild: with it on, dropping `outbox_messages` would first delete
 * every message and, by cascade, every delivery attempt. All tables in one transaction (Kysely
 * runs SQLite migrations without one), then the whole store checked against its keys before
 * the commit.
 */
async function rebuildSqliteTables(
  db: Kysely<unknown>,
  change: (key: ForeignKey, create: string) => string | undefined,
): Promise<void> {
  await sql`pragma foreign_keys = off`.execute(db)
  try {
    const { rows } = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db)
    // Inside a transaction the pragma does nothing, and the drop below would cascade.
    if (Number(rows[0]?.foreign_keys) !== 0) throw new Error('foreign keys are still enforced')
    await db.transaction().execute(async (trx) => {
      for (const key of KEYS) {
        const { rows: objects } = await sql<{ type: string; sql: string | null }>`
          select type, sql from sqlite_master where tbl_name = ${key.table}`.execute(trx)
        const create = objects.find((object) => object.type === 'table')?.sql
        if (!create) throw new Error(`no table ${key.table}`)
        const wanted = change(key, create)
        if (wanted === undefined) continue
        const rebuilt = `${key.table}_rebuilt`
        await sql.raw(wanted.replace(`CREATE TABLE "${key.table}"`, `CREATE TABLE "${rebuilt}"`)).execute(trx)
        await sql`insert into ${sql.id(rebuilt)} select * from ${sql.id(key.table)}`.execute(trx)
        await sql`drop table ${sql.id(key.table)}`.execute(trx)
        await sql`alter table ${sql.id(rebuilt)} rename to ${sql.id(key.table)}`.execute(trx)
        // Indexes SQLite made for the table's own constraints have no statement; the others go
        // with the old table and are made again.
        for (const index of objects)
          if (index.type === 'index' && index.sql) await sql.raw(index.sql).execute(trx)
      }
      const { rows: broken } = await sql`pragma foreign_key_check`.execute(trx)
      if (broken.length > 0) throw new Error(`${broken.length} rows break a foreign key`)
    })
  } finally {
    await sql`pragma foreign_keys = on`.execute(db)
  }
}
