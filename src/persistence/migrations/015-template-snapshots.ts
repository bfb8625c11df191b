import type { Kysely } from 'kysely'

/**
 * The built-in mailbox keeps a delivered message as its sealed values and a reference to the
 * body template it was rendered with (decision 0028). The template is kept here, once, under
 * the SHA-256 of its content: a thousand messages written with one template share one row,
 * where each used to hold a rendered copy of several kilobytes. Rows are never changed, and are
 * not tenant data: the same content is the same row whichever tenant's message uses it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('template_snapshots')
    .addColumn('id', 'varchar(64)', (column) => column.primaryKey())
    .addColumn('type', 'varchar(64)', (column) => column.notNull())
    .addColumn('html_parts', 'text', (column) => column.notNull())
    .addColumn('text_parts', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('template_snapshots').execute()
}
