import { createHmac } from 'node:crypto'
import type { Executor } from '../../persistence/executor.ts'
import { type Claims, claimsRepository } from '../../persistence/repositories/claims.ts'
import { type UserRow, usersRepository } from '../../persistence/repositories/users.ts'
import { RESET_LOCK_REASON } from '../forced-reset/reset-policy.ts'

/** An account self-service may reset: it exists, and nothing but a forced reset holds it. */
export interface Account {
  user: UserRow
  claims: Claims
}

/**
 * The account behind an id, when self-service may reset it. Threat: a disabled account, or one
 * an administrator locked, must not be reopened by whoever controls its mailbox; only the lock
 * of a pending forced reset gives way, since completing that reset is what it asks for.
 * Both look-ups run whether or not the user exists, so an unknown account costs the same.
 */
export async function eligibleAccount(
  db: Executor,
  tenantId: string,
  userId: string,
): Promise<Account | undefined> {
  const [user, claims] = await Promise.all([
    usersRepository.findById(db, tenantId, userId),
    claimsRepository.forUser(db, userId),
  ])
  if (!user) return undefined
  const open =
    user.status === 'active' || (user.status === 'locked' && user.lock_reason === RESET_LOCK_REASON)
  return open ? { user, claims } : undefined
}

/**
 * The stand-in account id of a query that found no eligible account: derived from the values
 * the query names (its canonical form, however the filter was written), so asking again about
 * the same name meets the same per-account limits and the same security questions, exactly as
 * a real account would. It has the shape of a user id and is never stored.
 */
export function decoyUserId(secretKey: Buffer, tenantId: string, canonicalQuery: string): string {
  const hex = createHmac('sha256', secretKey)
    .update(`selfservice-decoy\0${tenantId}\0${canonicalQuery}`)
    .digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}
