import { type Kysely, sql } from 'kysely'

/**
 * Only reset links are looked up by their HMAC; one-time passwords are found by their user. The
 * unique index over every code's HMAC made each one-time password written by a bulk reset touch
 * a random page of that index, and two one-time passwords of one user could not share an HMAC
 * (a re-trigger drawing a six-digit code the user once had would have failed). The index now
 * covers links only. Lookups must spell `kind = 'link'` literally for the planner to use it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('reset_codes_by_hmac').execute()
  await db.schema
    .createIndex('reset_codes_link_by_hmac')
    .on('reset_codes')
    .columns(['secret_hmac'])
    .unique()
    .where(sql.ref('kind'), '=', sql.lit('link'))
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('reset_codes_link_by_hmac').execute()
  await db.schema
    .createIndex('reset_codes_by_hmac')
    .on('reset_codes')
    .columns(['secret_hmac'])
    .unique()
    .execute()
}
