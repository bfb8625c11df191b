import { comparisonKey } from '../../domain/comparison-key.ts'
import type { Executor } from '../executor.ts'
import { fixedQuery } from '../fixed-query.ts'

export type Claims = Record<string, string>

type ClaimRow = { user_id: string; claim_uri: string; value: string }

const claimsOfUser = fixedQuery<{ userId: string }, ClaimRow>((db, p) =>
  db.selectFrom('user_claims').select(['user_id', 'claim_uri', 'value']).where('user_id', '=', p('userId')),
)

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
    const { rows } = await claimsOfUser(db, { userId })
    return Object.fromEntries(rows.map((row) => [row.claim_uri, row.value]))
  },
  async forUsers(db: Executor, userIds: string[]): Promise<Map<string, Claims>> {
    const result = new Map<string, Claims>(userIds.map((id) => [id, {}]))
    if (userIds.length === 0) return result
    const rows =
      userIds.length === 1
        ? (await claimsOfUser(db, { userId: userIds[0]! })).rows
        : await db
            .selectFrom('user_claims')
            .select(['user_id', 'claim_uri', 'value'])
            .where('user_id', 'in', userIds)
            .execute()
    for (const row of rows) {
      const claims = result.get(row.user_id)
      if (claims) claims[row.claim_uri] = row.value
    }
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
