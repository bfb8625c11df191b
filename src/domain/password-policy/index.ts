/** Per-tenant password policy: its definition, the checks a new password must pass, and expiry. */
export type { PolicyViolation } from '../password-policy.ts'
export { checkPassword, type PasswordCheckContext } from './check-password.ts'
export { isCommonPassword, preloadCommonPasswords } from './common-passwords.ts'
export { isPasswordExpired, passwordExpiresAt } from './expiry.ts'
export { checkNewPassword, checkPasswordHistory, type PreviousPasswordMatcher } from './history.ts'
export {
  defaultPasswordPolicy,
  type PasswordPolicy,
  passwordPolicyLimits,
  resolvePasswordPolicy,
} from './policy.ts'
export { checkPolicyDefinition, type PolicyDefinitionProblem } from './policy-definition.ts'
export { checkPatternSafety, compilePolicyPattern } from './safe-pattern.ts'
export { type PasswordRule, passwordRules, policyViolation } from './violations.ts'
