import type { ErrorCode } from '../errors/codes.ts'
import type { Permission } from './permissions.ts'

/** What the login checks see: facts about the account after its password was verified. */
export interface LoginSubject {
  tenantStatus: 'active' | 'disabled'
  userStatus: 'active' | 'locked' | 'disabled'
  lockReason: string | null
  /** A forced reset is pending: the password is refused until it is replaced. */
  resetPending: boolean
  permissions: ReadonlySet<Permission>
  passwordChangedAt: number
  now: number
}

export type LoginDecision =
  | { kind: 'allow' }
  /**
   * `code` is what the caller sees; `reason` is recorded in the audit log only. A locked account
   * answers with the same code as a wrong password so a guessed password is not confirmed.
   */
  | { kind: 'deny'; code: ErrorCode; reason: string }
  | { kind: 'require-action'; action: string }

export interface LoginCheck {
  name: string
  evaluate(subject: LoginSubject): LoginDecision
}

const allow: LoginDecision = { kind: 'allow' }

export const tenantDisabledCheck: LoginCheck = {
  name: 'tenantDisabled',
  evaluate: (subject) =>
    subject.tenantStatus === 'disabled'
      ? { kind: 'deny', code: 'auth.failed', reason: 'tenant-disabled' }
      : allow,
}

export const accountDisabledCheck: LoginCheck = {
  name: 'accountDisabled',
  evaluate: (subject) =>
    subject.userStatus === 'disabled'
      ? { kind: 'deny', code: 'auth.failed', reason: 'account-disabled' }
      : allow,
}

export const accountLockedCheck: LoginCheck = {
  name: 'accountLocked',
  evaluate: (subject) =>
    subject.userStatus === 'locked'
      ? { kind: 'deny', code: 'auth.failed', reason: `account-locked:${subject.lockReason ?? 'unspecified'}` }
      : allow,
}

/** The lock of a pending reset, checked on its own: no status write can lift it. */
export const resetPendingCheck: LoginCheck = {
  name: 'resetPending',
  evaluate: (subject) =>
    subject.resetPending
      ? { kind: 'deny', code: 'auth.failed', reason: 'account-locked:reset-pending' }
      : allow,
}

export const loginPermissionCheck: LoginCheck = {
  name: 'loginPermission',
  evaluate: (subject) =>
    subject.permissions.has('login')
      ? allow
      : { kind: 'deny', code: 'auth.login-not-permitted', reason: 'no-login-permission' },
}

/** The ordered list. The first check that does not allow decides. Later capabilities append here. */
export const defaultLoginChecks: readonly LoginCheck[] = [
  tenantDisabledCheck,
  accountDisabledCheck,
  accountLockedCheck,
  resetPendingCheck,
  loginPermissionCheck,
]

export function runLoginChecks(
  checks: readonly LoginCheck[],
  subject: LoginSubject,
): LoginDecision & { check?: string } {
  for (const check of checks) {
    const decision = check.evaluate(subject)
    if (decision.kind !== 'allow') return { ...decision, check: check.name }
  }
  return allow
}
