import type { Config } from '../../config/schema.ts'
import { type PasswordPolicy, resolvePasswordPolicy } from '../../domain/password-policy/index.ts'

/** The server-wide password policy: the configuration's `passwords` section. */
export function serverPasswordPolicy(config: Config): PasswordPolicy {
  const passwords = config.passwords
  return resolvePasswordPolicy({
    minLength: passwords.min_length,
    maxLength: passwords.max_length,
    pattern: passwords.pattern === '' ? null : passwords.pattern,
    patternDescription: passwords.pattern_description === '' ? null : passwords.pattern_description,
    forbidUserName: passwords.forbid_user_name,
    historyCount: passwords.history_count,
    checkCommonPasswords: passwords.check_common_passwords,
    maxAgeDays: passwords.max_age_days,
  })
}
