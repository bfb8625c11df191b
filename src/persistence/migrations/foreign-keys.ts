import { type Kysely, sql } from 'kysely'

/** PostgreSQL: drops every foreign key `table` holds (none left: nothing to do). */
export async function dropForeignKeys(db: Kysely<unknown>, table: string): Promise<void> {
  const { rows } = await sql<{ name: string }>`
    select conname as name from pg_constraint
    where conrelid = to_regclass(${table}) and contype = 'f'`.execute(db)
  for (const { name } of rows)
    await sql`alter table ${sql.id(table)} drop constraint ${sql.id(name)}`.execute(db)
}
