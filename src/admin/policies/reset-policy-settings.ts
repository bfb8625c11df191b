import type { Config } from '../../config/schema.ts'
import { configSchema } from '../../config/schema.ts'
import type { ResetPolicy } from '../../flows/forced-reset/reset-policy.ts'
import type { ResetMode } from '../../persistence/tables.ts'
import type { OtpCharacters } from '../../security/one-time-secrets.ts'

/**
 * A tenant's forced-reset settings as administrators read and write them: the configuration's
 * `reset` keys in camelCase, lifetimes in minutes. A stored override holds only the keys the
 * tenant changed; the rest follow the server's configuration.
 */
export interface ResetPolicySettings {
  mode: ResetMode
  otpLength: number
  otpCharacters: OtpCharacters
  otpLifetimeMinutes: number
  linkLifetimeMinutes: number
  maxOtpAttempts: number
  revokeSessions: boolean
  sendConfirmation: boolean
  loginRevealsPending: boolean
}

/** Each setting and the configuration key whose schema (type, bounds) it shares. */
export const resetSettingKeys = {
  mode: 'mode',
  otpLength: 'otp_length',
  otpCharacters: 'otp_characters',
  otpLifetimeMinutes: 'otp_lifetime_minutes',
  linkLifetimeMinutes: 'link_lifetime_minutes',
  maxOtpAttempts: 'max_otp_attempts',
  revokeSessions: 'revoke_sessions',
  sendConfirmation: 'send_confirmation',
  loginRevealsPending: 'login_reveals_pending',
} as const satisfies Record<keyof ResetPolicySettings, keyof Config['reset']>

/** The configuration schema of one reset key: the API validates with the same bounds. */
export function resetKeySchema(setting: keyof ResetPolicySettings) {
  return configSchema.properties.reset.properties[resetSettingKeys[setting]]
}

export function serverResetSettings(config: Config): ResetPolicySettings {
  const reset = config.reset
  return {
    mode: reset.mode,
    otpLength: reset.otp_length,
    otpCharacters: reset.otp_characters,
    otpLifetimeMinutes: reset.otp_lifetime_minutes,
    linkLifetimeMinutes: reset.link_lifetime_minutes,
    maxOtpAttempts: reset.max_otp_attempts,
    revokeSessions: reset.revoke_sessions,
    sendConfirmation: reset.send_confirmation,
    loginRevealsPending: reset.login_reveals_pending,
  }
}

/** Known keys of a stored override, by name: unknown keys in a stored document never ride along. */
export function mergeResetSettings(
  base: ResetPolicySettings,
  override: Partial<ResetPolicySettings> | undefined,
): ResetPolicySettings {
  if (!override) return base
  const merged = { ...base }
  for (const key of Object.keys(resetSettingKeys) as Array<keyof ResetPolicySettings>) {
    const value = override[key]
    if (value !== undefined && typeof value === typeof base[key]) Object.assign(merged, { [key]: value })
  }
  return merged
}

export function toResetPolicy(settings: ResetPolicySettings): ResetPolicy {
  return {
    mode: settings.mode,
    otpLength: settings.otpLength,
    otpCharacters: settings.otpCharacters,
    otpLifetimeMs: settings.otpLifetimeMinutes * 60_000,
    linkLifetimeMs: settings.linkLifetimeMinutes * 60_000,
    maxOtpAttempts: settings.maxOtpAttempts,
    revokeSessions: settings.revokeSessions,
    sendConfirmation: settings.sendConfirmation,
    loginRevealsPending: settings.loginRevealsPending,
  }
}
