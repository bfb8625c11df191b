import type { Config } from '../../config/schema.ts'
import { configSchema } from '../../config/schema.ts'
import { AppError } from '../../errors/app-error.ts'
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

/** What a reset setting's configuration schema allows, as read for a check. */
interface SettingSchema {
  type?: string
  minimum?: number
  maximum?: number
  anyOf?: Array<{ const?: unknown }>
}

/** Why one changed value is refused, or undefined when the configuration's schema allows it. */
function resetValueProblem(key: keyof ResetPolicySettings, value: unknown): string | undefined {
  const schema = resetKeySchema(key) as SettingSchema
  if (schema.anyOf) {
    const choices = schema.anyOf.map((member) => String(member.const))
    return typeof value === 'string' && choices.includes(value)
      ? undefined
      : `must be one of ${choices.join(', ')}`
  }
  if (schema.type === 'integer') {
    const { minimum = 0, maximum = Number.MAX_SAFE_INTEGER } = schema
    return typeof value === 'number' && Number.isInteger(value) && value >= minimum && value <= maximum
      ? undefined
      : `must be a whole number from ${minimum} to ${maximum}`
  }
  if (schema.type === 'boolean') return typeof value === 'boolean' ? undefined : 'must be true or false'
  return 'cannot be changed'
}

/**
 * Refuses changes the configuration itself would refuse (an unknown key, a mode that does not
 * exist, a lifetime out of bounds), every problem named by its pointer, before anything is
 * stored. `null` (back to the server's value) is always allowed. The admin API's schema and the
 * command line check the same bounds first; this keeps every other caller (the console's
 * forms) to them too, so a stored override never holds what the configuration could not.
 */
export function checkResetChanges(changes: Record<string, unknown>): void {
  const errors: Array<{ pointer: string; message: string }> = []
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined) continue
    const problem = Object.hasOwn(resetSettingKeys, key)
      ? resetValueProblem(key as keyof ResetPolicySettings, value)
      : 'is not a reset setting'
    if (problem) errors.push({ pointer: `/${key}`, message: problem })
  }
  if (errors.length > 0)
    throw new AppError('policy.invalid', {
      detail: errors.map((error) => `${error.pointer.slice(1)} ${error.message}`).join('; '),
      errors,
    })
}
