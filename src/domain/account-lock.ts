/** The lock reason of an account waiting for its forced reset. */
export const RESET_LOCK_REASON = 'reset-pending'

export interface AccountState {
  status: 'active' | 'locked' | 'disabled'
  lock_reason: string | null
}

/**
 * Being disabled and being locked are separate facts kept in one status column: a disabled
 * account keeps the reason of its lock, and enabling it again makes it locked, not active.
 * Threat: disabling and re-enabling an account, a routine step of provisioning clients, lifting
 * a lock — for a pending forced reset, letting the old password work again.
 */
export function isLocked(account: AccountState): boolean {
  return account.status === 'locked' || (account.status === 'disabled' && account.lock_reason !== null)
}

/** Locked for a pending forced reset, enabled or not: only completing or cancelling it unlocks. */
export function isResetLocked(account: AccountState): boolean {
  return account.status !== 'active' && account.lock_reason === RESET_LOCK_REASON
}

/** The state of an account enabled or not, locked with `lockReason` or not locked (null). */
export function accountState(enabled: boolean, lockReason: string | null): AccountState {
  return {
    status: !enabled ? 'disabled' : lockReason !== null ? 'locked' : 'active',
    lock_reason: lockReason,
  }
}
