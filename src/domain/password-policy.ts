/** The basic policy every password write checks; a fuller tenant policy builds on it. */
export interface BasicPasswordPolicy {
  minLength: number
  maxLength: number
}

export interface PolicyViolation {
  rule: string
  message: string
}

export function checkBasicPolicy(password: string, policy: BasicPasswordPolicy): PolicyViolation[] {
  const length = [...password].length
  const violations: PolicyViolation[] = []
  if (length < policy.minLength) {
    violations.push({ rule: 'min-length', message: `must be at least ${policy.minLength} characters` })
  }
  if (length > policy.maxLength) {
    violations.push({ rule: 'max-length', message: `must be at most ${policy.maxLength} characters` })
  }
  return violations
}
