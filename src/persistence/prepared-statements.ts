import type pg from 'pg'

/**
 * PostgreSQL statements run as named prepared statements: parsed and planned once per
 * connection, then only bound and executed. A statement sent without a name is parsed and
 * planned on every call; for the primary-key look-ups of the request paths that was most of
 * the database's work (a user by id: about 100 µs of the server's CPU unnamed, 26 µs named).
 *
 * Only the texts registered here are named: the fixed queries (`fixedQuery`), whose values are
 * all key look-ups and single-row writes, and the set-based statements of `multi-row.ts`
 * (`insert … select … from unnest($1::…[])`, `… where user_id = any($1)`), whose texts are
 * one per shape. A named statement is still planned for its values while PostgreSQL's
 * generic plan would cost more than those (plan_cache_mode auto), as it does for a list of
 * unknown length (decision 0033); what naming always saves is the parse and the analysis.
 */
const names = new Map<string, string>()

/**
 * Every connection keeps a prepared statement per name it used, for as long as it lives: past
 * this many texts, new ones run unnamed rather than grow that without bound.
 */
const MAX_NAMED_TEXTS = 1_000

/** Names `text`; the connections of the pool then prepare it on its first use. */
export function registerPrepared(text: string): void {
  if (!names.has(text) && names.size < MAX_NAMED_TEXTS) names.set(text, `rekey_${names.size + 1}`)
}

type QueryFunction = (...args: unknown[]) => unknown

/**
 * Makes `client` send the registered texts with their names. Kysely calls `query(text, values)`;
 * every other form goes through unchanged. pg keeps, per connection, which names it prepared.
 */
export function namePreparedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as QueryFunction
  const named: QueryFunction = (...args) => {
    const [text, values] = args
    if (args.length === 2 && typeof text === 'string' && Array.isArray(values)) {
      const name = names.get(text)
      if (name) return query({ name, text, values })
    }
    return query(...args)
  }
  ;(client as unknown as { query: QueryFunction }).query = named
}
