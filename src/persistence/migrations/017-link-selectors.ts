import { type Kysely, sql } from 'kysely'

/**
 * Reset links carry their code's id (a selector) before the verifier, and are found by that id
 * (decision 0031): storing a code no longer adds an entry at a random place of an index of
 * HMACs, one of the pages a forced reset wrote at random. Links already sent keep working until
 * they expire: their rows become kind `link-v1`, still found by the HMAC of the whole token
 * through an index that covers them alone, which no new code enters.
 *
 * Down: rows of the first format are links again; links sent with a selector then no longer
 * match anything (their HMAC is of the verifier alone), and stop working.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`update reset_codes set kind = 'link-v1' where kind = 'link'`.execute(db)
  await db.schema.dropIndex('reset_codes_link_by_hmac').ifExists().execute()
  await db.schema
    .createIndex('reset_codes_link_v1_by_hmac')
    .ifNotExists()
    .on('reset_codes')
    .columns(['secret_hmac'])
    .unique()
    .where(sql.ref('kind'), '=', sql.lit('link-v1'))
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('reset_codes_link_v1_by_hmac').ifExists().execute()
  await sql`update reset_codes set kind = 'link' where kind = 'link-v1'`.execute(db)
  await db.schema
    .createIndex('reset_codes_link_by_hmac')
    .ifNotExists()
    .on('reset_codes')
    .columns(['secret_hmac'])
    .unique()
    .where(sql.ref('kind'), '=', sql.lit('link'))
    .execute()
}
