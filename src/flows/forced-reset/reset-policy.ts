import type { Executor } from '../../persistence/executor.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
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

/** Where the forced-reset flow reads a tenant's policy (the tenant policy service). */
export interface ResetPolicySource {
  /** `db`: the caller's open transaction, if any. */
  resetPolicy(tenant: TenantRow, db?: Executor): Promise<ResetPolicy>
}

export { RESET_LOCK_REASON } from '../../domain/account-lock.ts'

export { FORCED_RESET_CLAIM, PENDING_MODE_CLAIM } from '../../domain/reset-claims.ts'

/** The One Time Password claim: read live from the sealed offline code, never stored as a claim. */
export const ONE_TIME_PASSWORD_CLAIM = 'http://wso2.org/claims/oneTimePassword'

export const EMAIL_CLAIM = 'http://wso2.org/claims/emailaddress'
export const LOCALE_CLAIM = 'http://wso2.org/claims/locale'
export const GIVEN_NAME_CLAIM = 'http://wso2.org/claims/givenname'
export const LAST_NAME_CLAIM = 'http://wso2.org/claims/lastname'
