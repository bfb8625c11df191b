import { displayUserName } from '../domain/user-name.ts'
import type { Claims } from '../persistence/repositories/claims.ts'
import type { UserRow } from '../persistence/repositories/users.ts'

/** What interfaces show of a user. Built from rows; never carries a credential. */
export interface UserView {
  id: string
  username: string
  storeDomain: string
  status: 'active' | 'locked' | 'disabled'
  lockReason: string | null
  claims: Claims
  roles?: string[]
  passwordChangedAt: string | null
  createdAt: string
  updatedAt: string
  version: number
}

export function toUserView(
  row: UserRow,
  claims: Claims,
  passwordChangedAt: number | null,
  roles?: string[],
): UserView {
  return {
    id: row.id,
    username: displayUserName(row.store_domain, row.username),
    storeDomain: row.store_domain,
    status: row.status,
    lockReason: row.lock_reason,
    claims,
    ...(roles ? { roles } : {}),
    passwordChangedAt: passwordChangedAt === null ? null : new Date(passwordChangedAt).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    version: row.version,
  }
}
