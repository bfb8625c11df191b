import type { PolicyViolation } from '../password-policy.ts'
import { countCodePoints } from './code-points.ts'
import { isCommonPassword } from './common-passwords.ts'
import { type PasswordPolicy, passwordPolicyLimits } from './policy.ts'
import { compilePolicyPattern } from './safe-pattern.ts'
import { containsUserName } from './user-name-rule.ts'
import { passwordRules, policyViolation } from './violations.ts'

export interface PasswordCheckContext {
  /** As the user signs in, `alice` or `PARTNERS/alice`. */
  userName: string
  policy: PasswordPolicy
}

/**
 * Every rule of the policy that needs no stored data, cheapest first: length, pattern, user name,
 * common password. One violation per failed rule, so a form can show all of them at once. The
 * history, which costs an argon2 verification per entry, is `checkPasswordHistory`'s business.
 *
 * A password over the maximum length gets only that violation: the other rules would each scan
 * input of any size, and the pattern must never run on more than the length its safety was
 * judged for.
 */
export function checkPassword(password: string, context: PasswordCheckContext): PolicyViolation[] {
  // Clamped for a stored policy that bypassed checkPolicyDefinition: nothing runs on more.
  const maxLength = Math.min(context.policy.maxLength, passwordPolicyLimits.maxLength.max)
  const policy = { ...context.policy, maxLength }
  const length = countCodePoints(password, maxLength)
  if (length > maxLength) return [policyViolation(passwordRules.maxLength, policy)]
  const violations: PolicyViolation[] = []
  if (length < policy.minLength) violations.push(policyViolation(passwordRules.minLength, policy))
  if (policy.pattern) {
    const pattern = compilePolicyPattern(policy.pattern)
    // A stored pattern that is no longer judged safe is not run and not silently skipped: the
    // change is refused until an administrator corrects the policy.
    if (pattern === undefined) violations.push(policyViolation(passwordRules.patternUnusable, policy))
    else if (!pattern.test(password)) violations.push(policyViolation(passwordRules.pattern, policy))
  }
  if (policy.forbidUserName && containsUserName(password, context.userName)) {
    violations.push(policyViolation(passwordRules.userName, policy))
  }
  if (policy.checkCommonPasswords && isCommonPassword(password)) {
    violations.push(policyViolation(passwordRules.commonPassword, policy))
  }
  return violations
}
