import { type Kysely, sql } from 'kysely'

/**
 * SQLite cannot change a column's definition or drop a key in place: each table is rebuilt from
 * its own CREATE statement, changed by `change` (undefined: the table is as wanted already, and
 * kept), with its indexes. Kysely records a SQLite migration after it ran, outside its
 * transaction, so a stop in between runs it again: every step must find its own work done.
 * Enforcement of foreign keys is off meanwhile, as SQLite prescribes for such a rebuild: with
 * it on, dropping a referenced table would first delete every row that references it, by
 * cascade. All tables in one transaction (Kysely runs SQLite migrations without one), then the
 * whole store checked against its keys before the commit. Every column is copied, so an integer
 * primary key (the rowid) keeps its values; other rowids are not kept, and nothing refers to them.
 */
export async function rebuildSqliteTables(
  db: Kysely<unknown>,
  tables: readonly string[],
  change: (table: string, create: string) => string | undefined,
): Promise<void> {
  await sql`pragma foreign_keys = off`.execute(db)
  try {
    const { rows } = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db)
    // Inside a transaction the pragma does nothing, and the drop below would cascade.
    if (Number(rows[0]?.foreign_keys) !== 0) throw new Error('foreign keys are still enforced')
    await db.transaction().execute(async (trx) => {
      for (const table of tables) {
        const { rows: objects } = await sql<{ type: string; sql: string | null }>`
          select type, sql from sqlite_master where tbl_name = ${table}`.execute(trx)
        const create = objects.find((object) => object.type === 'table')?.sql
        if (!create) throw new Error(`no table ${table}`)
        const wanted = change(table, create)
        if (wanted === undefined) continue
        const rebuilt = `${table}_rebuilt`
        await sql.raw(wanted.replace(`CREATE TABLE "${table}"`, `CREATE TABLE "${rebuilt}"`)).execute(trx)
        await sql`insert into ${sql.id(rebuilt)} select * from ${sql.id(table)}`.execute(trx)
        await sql`drop table ${sql.id(table)}`.execute(trx)
        await sql`alter table ${sql.id(rebuilt)} rename to ${sql.id(table)}`.execute(trx)
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
