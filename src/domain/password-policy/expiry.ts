import type { PasswordPolicy } from './policy.ts'

const dayMs = 24 * 60 * 60 * 1000

/**
 * When a password changed at `changedAt` (epoch milliseconds) expires, or undefined when the
 * policy lets passwords live for ever (`maxAgeDays` 0).
 */
export function passwordExpiresAt(
  changedAt: number,
  policy: Pick<PasswordPolicy, 'maxAgeDays'>,
): number | undefined {
  return policy.maxAgeDays > 0 ? changedAt + policy.maxAgeDays * dayMs : undefined
}

/**
 * Whether the password must be replaced before the user may go on. Expiry is inclusive: at
 * exactly `maxAgeDays` days the password has expired. A change dated in the future (a clock
 * that was ahead) does not expire it early.
 */
export function isPasswordExpired(
  changedAt: number,
  now: number,
  policy: Pick<PasswordPolicy, 'maxAgeDays'>,
): boolean {
  const expiresAt = passwordExpiresAt(changedAt, policy)
  return expiresAt !== undefined && now >= expiresAt
}
