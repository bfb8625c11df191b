import type { PolicyViolation } from '../password-policy.ts'
import type { PasswordPolicy } from './policy.ts'

/** Stable rule ids: clients, translations and audit details key on them, so they never change. */
export const passwordRules = Object.freeze({
  minLength: 'min-length',
  maxLength: 'max-length',
  pattern: 'pattern',
  patternUnusable: 'pattern-unusable',
  userName: 'user-name',
  commonPassword: 'common-password',
  history: 'history',
} as const)

export type PasswordRule = (typeof passwordRules)[keyof typeof passwordRules]

/**
 * The violation for a rule. Messages complete "The password …" and are built from the policy
 * alone: this function never receives the password, so no message can echo it back into a page,
 * an API answer or a log line.
 */
export function policyViolation(rule: PasswordRule, policy: PasswordPolicy): PolicyViolation {
  return { rule, message: messageFor(rule, policy) }
}

function messageFor(rule: PasswordRule, policy: PasswordPolicy): string {
  switch (rule) {
    case 'min-length':
      return `must be at least ${policy.minLength} characters`
    case 'max-length':
      return `must be at most ${policy.maxLength} characters`
    case 'pattern':
      return policy.patternDescription
        ? `does not meet the rule: ${policy.patternDescription}`
        : 'does not match the pattern the administrator requires'
    case 'pattern-unusable':
      return 'cannot be checked because the password policy has an unusable pattern; an administrator must correct it'
    case 'user-name':
      return 'must not contain the user name'
    case 'common-password':
      return 'is too common or too easy to guess'
    case 'history':
      return policy.historyCount === 1
        ? 'must differ from the current password'
        : `must differ from the last ${policy.historyCount} passwords`
  }
}
