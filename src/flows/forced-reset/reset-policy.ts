import type { Config } from '../../config/schema.ts'
import type { ResetMode } from '../../persistence/tables.ts'
import type { OtpCharacters } from '../../security/one-time-secrets.ts'

/** How forced resets work in a tenant: the configuration's `reset` section. */
export interface ResetPolicy {
  mode: ResetMode
  otpLength: number
  otpCharacters: OtpCharacters
  otpLifetimeMs: number
  linkLifetimeMs: number
  maxOtpAttempts: number
  revokeSessions: boolean
  sendConfirmation: boolean
  loginRevealsPending: boolean
}

export function resetPolicyOf(config: Config): ResetPolicy {
  const reset = config.reset
  return {
    mode: reset.mode,
    otpLength: reset.otp_length,
    otpCharacters: reset.otp_characters,
    otpLifetimeMs: reset.otp_lifetime_minutes * 60_000,
    linkLifetimeMs: reset.link_lifetime_minutes * 60_000,
    maxOtpAttempts: reset.max_otp_attempts,
    revokeSessions: reset.revoke_sessions,
    sendConfirmation: reset.send_confirmation,
    loginRevealsPending: reset.login_reveals_pending,
  }
}

/** The lock reason of an account waiting for its forced reset. */
export const RESET_LOCK_REASON = 'reset-pending'

/** The claim that shows (and, written by clients, requests) a forced reset. */
export const FORCED_RESET_CLAIM = 'http://wso2.org/claims/identity/adminForcedPasswordReset'

export const EMAIL_CLAIM = 'http://wso2.org/claims/emailaddress'
export const LOCALE_CLAIM = 'http://wso2.org/claims/locale'
export const GIVEN_NAME_CLAIM = 'http://wso2.org/claims/givenname'
export const LAST_NAME_CLAIM = 'http://wso2.org/claims/lastname'
