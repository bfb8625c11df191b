import type { PolicyViolation } from '../password-policy.ts'
import { checkPassword, type PasswordCheckContext } from './check-password.ts'
import type { PasswordPolicy } from './policy.ts'
import { passwordRules, policyViolation } from './violations.ts'

/**
 * Answers whether the candidate is one stored earlier password, typically by verifying it
 * against that password's argon2 hash. The caller builds these; this module never sees a hash.
 */
export type PreviousPasswordMatcher = (password: string) => Promise<boolean>

/**
 * Refuses a password that is one of the last `historyCount` passwords.
 *
 * Threat: a user told to replace a password that leaked (or that an administrator reset) sets
 * it straight back, and whoever holds the leaked one is in again.
 *
 * `previous` is newest first and starts with the current password. Only the first
 * `historyCount` are consulted, one at a time, stopping at the first match: each costs a hash
 * verification, so they never run in parallel (a burst of changes must not claim every hashing
 * thread) and never beyond what the policy asks. A matcher that throws fails the check.
 */
export async function checkPasswordHistory(
  password: string,
  previous: readonly PreviousPasswordMatcher[],
  policy: PasswordPolicy,
): Promise<PolicyViolation[]> {
  for (const matches of previous.slice(0, policy.historyCount)) {
    if (await matches(password)) return [policyViolation(passwordRules.history, policy)]
  }
  return []
}

/**
 * The whole policy, cheap checks first: the history's hash verifications run only for a password
 * that passed every other rule, so a stream of weak attempts costs no hashing at all.
 */
export async function checkNewPassword(
  password: string,
  context: PasswordCheckContext,
  previous: readonly PreviousPasswordMatcher[],
): Promise<PolicyViolation[]> {
  const violations = checkPassword(password, context)
  if (violations.length > 0) return violations
  return checkPasswordHistory(password, previous, context.policy)
}
