import type { Claims } from '../../persistence/repositories/claims.ts'
import type { UserRow } from '../../persistence/repositories/users.ts'

/** Everything a SCIM User is rendered from, read in one go by the user reader. */
export interface UserRecord {
  row: UserRow
  claims: Claims
  passwordChangedAt: number | null
  groups: ReadonlyArray<{ id: string; name: string }>
}
