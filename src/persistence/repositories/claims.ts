import { sql } from 'kysely'
import { comparisonKey } from '../../domain/comparison-key.ts'
import { FORCED_RESET_CLAIM, PENDING_MODE_CLAIM } from '../../domain/reset-claims.ts'
import type { Executor } from '../executor.ts'
import { fixedQuery } from '../fixed-query.ts'

export type Claims = Record<string, string>

/** A stored claim or, with `claim_uri` null, the user's pending reset, whose mode is `value`. */
export type ClaimRow = { user_id: string; claim_uri: string | null; value: string }

// The reset's flag and mode come from the pending reset, not from claim rows (decision 0022):
// each read takes the user's claims and pending reset in one statement.
const pendingColumns = [
  'user_id',
  sql<string | null>`null`.as('claim_uri'),
  sql<string>`mode`.as('value'),
] as const

const claimsOfUser = fixedQuery<{ userId: string }, ClaimRow>((db, p) =>
  db
    .selectFrom('pending_resets')
    .select(pendingColumns)
    .where('user_id', '=', p('userId'))
    .unionAll(
      db
        .selectFrom('user_claims')
        .select(['user_id', 'claim_uri', 'value'])
        .where('user_id', '=', p('userId')),
    ),
)

function claimsOfUsers(db: Executor, userIds: string[]): Promise<ClaimRow[]> {
  return db
    .selectFrom('pending_resets')
    .select(pendingColumns)
    .where('user_id', 'in', userIds)
    .unionAll(
      db.selectFrom('user_claims').select(['user_id', 'claim_uri', 'value']).where('user_id', 'in', userIds),
    )
    .execute()
}

/**
 * Adds the rows to the users' claims. A pending reset shows as the flag "true" and its mode,
 * over whatever claim rows an earlier version of the store kept for them.
 */
export function collectClaims(rows: readonly ClaimRow[], result: Map<string, Claims>): void {
  const pending: ClaimRow[] = []
  for (const row of rows) {
    if (row.claim_uri === null) pending.push(row)
    else {
      const claims = result.get(row.user_id)
      if (claims) claims[row.claim_uri] = row.value
    }
  }
  for (const row of pending) {
    const claims = result.get(row.user_id)
    if (!claims) continue
    claims[FORCED_RESET_CLAIM] = 'true'
    claims[PENDING_MODE_CLAIM] = row.value
  }
}

const upsertClaim = fixedQuery<
  { userId: string; tenantId: string; claimUri: string; value: string; valueKey: string },
  never
>((db, p) =>
  db
    .insertInto('user_claims')
    .values({
      user_id: p('userId'),
      tenant_id: p('tenantId'),
      claim_uri: p('claimUri'),
      value: p('value'),
      value_key: p('valueKey'),
    })
    .onConflict((conflict) =>
      conflict
        .columns(['user_id', 'claim_uri'])
        .doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), value_key: eb.ref('excluded.value_key') })),
    ),
)

const deleteClaim = fixedQuery<{ userId: string; claimUri: string }, never>((db, p) =>
  db.deleteFrom('user_claims').where('user_id', '=', p('userId')).where('claim_uri', '=', p('claimUri')),
)

export const claimsRepository = {
  async forUser(db: Executor, userId: string): Promise<Claims> {
    const claims: Claims = {}
    collectClaims((await claimsOfUser(db, { userId })).rows, new Map([[userId, claims]]))
    return claims
  },
  async forUsers(db: Executor, userIds: string[]): Promise<Map<string, Claims>> {
    const result = new Map<string, Claims>(userIds.map((id) => [id, {}]))
    if (userIds.length === 0) return result
    const rows =
      userIds.length === 1
        ? (await claimsOfUser(db, { userId: userIds[0]! })).rows
        : await claimsOfUsers(db, userIds)
    collectClaims(rows, result)
    return result
  },
  /** Sets claims; a `null` value removes the claim. */
  async apply(
    db: Executor,
    tenantId: string,
    userId: string,
    changes: Record<string, string | null>,
  ): Promise<void> {
    for (const [claimUri, value] of Object.entries(changes)) {
      if (value === null) await deleteClaim(db, { userId, claimUri })
      else await upsertClaim(db, { userId, tenantId, claimUri, value, valueKey: comparisonKey(value) })
    }
  },
}
