/**
 * The two claims that show a forced reset. Neither is stored while a reset is pending: both are
 * read from the pending reset itself (decision 0022), so forcing a reset writes no claim rows and
 * no interface can show a flag that disagrees with the account's real state.
 */

/** Shows (and, written by clients, requests) a forced reset: "true" while one is pending. */
export const FORCED_RESET_CLAIM = 'http://wso2.org/claims/identity/adminForcedPasswordReset'

/** Shows how a pending reset is to be completed (`email-otp`, …); maintained by the server. */
export const PENDING_MODE_CLAIM = 'http://wso2.org/claims/identity/pendingResetMode'

/** Clients send "true", "True", "TRUE" (and SCIM booleans arrive here as text). */
export function resetFlagValue(value: string): boolean | undefined {
  const normalized = value.trim().toLowerCase()
  if (normalized === 'true') return true
  if (normalized === 'false' || normalized === '') return false
  return undefined
}
