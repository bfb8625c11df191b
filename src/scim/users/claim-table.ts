import { type RawBuilder, sql } from 'kysely'
import { FORCED_RESET_CLAIM, PENDING_MODE_CLAIM } from '../../domain/reset-claims.ts'

/** The claims read from a pending reset (decision 0022): the value each shows while one is. */
const fromPendingReset: ReadonlyMap<string, RawBuilder<unknown>> = new Map([
  [FORCED_RESET_CLAIM, sql`'true'`],
  [PENDING_MODE_CLAIM, sql`p.mode`],
])

/**
 * The table a filter or sort reads claim `uri` from, with the columns of `user_claims`. For
 * the forced-reset flag and mode that is the pending resets, and the stored claim only for users
 * without one, so SQL sees the values the claims reader returns.
 */
export function claimTable(uri: string): RawBuilder<unknown> {
  const value = fromPendingReset.get(uri)
  if (!value) return sql`user_claims`
  const claim = sql.lit(uri)
  return sql`(select p.user_id, p.tenant_id, ${claim} as claim_uri, ${value} as value, ${value} as value_key from pending_resets p union all select s.user_id, s.tenant_id, s.claim_uri, s.value, s.value_key from user_claims s where s.claim_uri = ${claim} and not exists (select 1 from pending_resets x where x.user_id = s.user_id))`
}
