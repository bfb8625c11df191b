import { comparisonKey } from '../../domain/comparison-key.ts'
import type { Executor } from '../executor.ts'

export type Claims = Record<string, string>

export const claimsRepository = {
  async forUser(db: Executor, userId: string): Promise<Claims> {
    const rows = await db
      .selectFrom('user_claims')
      .select(['claim_uri', 'value'])
      .where('user_id', '=', userId)
      .execute()
    return Object.fromEntries(rows.map((row) => [row.claim_uri, row.value]))
  },
  async forUsers(db: Executor, userIds: string[]): Promise<Map<string, Claims>> {
    const result = new Map<string, Claims>(userIds.map((id) => [id, {}]))
    if (userIds.length === 0) return result
    const rows = await db
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
      if (value === null) {
        await db
          .deleteFrom('user_claims')
          .where('user_id', '=', userId)
          .where('claim_uri', '=', claimUri)
          .execute()
        continue
      }
      await db
        .insertInto('user_claims')
        .values({
          user_id: userId,
          tenant_id: tenantId,
          claim_uri: claimUri,
          value,
          value_key: comparisonKey(value),
        })
        .onConflict((conflict) =>
          conflict.columns(['user_id', 'claim_uri']).doUpdateSet({ value, value_key: comparisonKey(value) }),
        )
        .execute()
    }
  },
}
