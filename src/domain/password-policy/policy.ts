/**
 * A tenant's password policy. Every field has a default, so a tenant that never touched its
 * policy still gets one that refuses the passwords attackers try first.
 */
export interface PasswordPolicy {
  /** In Unicode code points. */
  minLength: number
  /** In Unicode code points; also bounds the input any admin-supplied pattern is run on. */
  maxLength: number
  /** A regular expression (Unicode mode, no flags) the password must match somewhere; anchor it to match all. */
  pattern: string | null
  /** Shown to the user when the pattern does not match, e.g. "at least one digit". */
  patternDescription: string | null
  /** Refuse passwords that contain the user name or the user name reversed. */
  forbidUserName: boolean
  /** How many previous passwords (the current one included) may not be reused; 0 turns history off. */
  historyCount: number
  /** Refuse passwords from the common-password list, also with a short decoration appended. */
  checkCommonPasswords: boolean
  /** Days after a change at which the password must be replaced; 0 means it never expires. */
  maxAgeDays: number
}

export const defaultPasswordPolicy: Readonly<PasswordPolicy> = Object.freeze({
  minLength: 8,
  maxLength: 256,
  pattern: null,
  patternDescription: null,
  forbidUserName: true,
  historyCount: 5,
  checkCommonPasswords: true,
  maxAgeDays: 0,
})

/**
 * The bounds an administrator may choose within. maxLength stops at 4096 because every check
 * (and the pattern above all) runs on at most that many code points; the history stops at 24
 * because each entry costs an argon2 verification on every change.
 */
export const passwordPolicyLimits = Object.freeze({
  minLength: { min: 1, max: 256 },
  maxLength: { min: 1, max: 4096 },
  historyCount: { min: 0, max: 24 },
  maxAgeDays: { min: 0, max: 3650 },
  patternLength: 200,
  patternDescriptionLength: 200,
})

/**
 * A stored or submitted policy with the missing fields filled in from the defaults. Fields are
 * copied by name, so unknown keys in a stored document never ride along.
 */
export function resolvePasswordPolicy(overrides: Partial<PasswordPolicy> = {}): PasswordPolicy {
  const pick = <K extends keyof PasswordPolicy>(key: K): PasswordPolicy[K] =>
    overrides[key] ?? defaultPasswordPolicy[key]
  return {
    minLength: pick('minLength'),
    maxLength: pick('maxLength'),
    pattern: pick('pattern'),
    patternDescription: pick('patternDescription'),
    forbidUserName: pick('forbidUserName'),
    historyCount: pick('historyCount'),
    checkCommonPasswords: pick('checkCommonPasswords'),
    maxAgeDays: pick('maxAgeDays'),
  }
}
