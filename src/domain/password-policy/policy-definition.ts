import { countCodePoints } from './code-points.ts'
import { type PasswordPolicy, passwordPolicyLimits } from './policy.ts'
import { checkPatternSafety } from './safe-pattern.ts'

/** A reason an administrator's policy cannot be saved, worded for that administrator. */
export interface PolicyDefinitionProblem {
  field: keyof PasswordPolicy
  message: string
}

type NumericField = 'minLength' | 'maxLength' | 'historyCount' | 'maxAgeDays'

/**
 * Checks the values of a policy before it is stored. Everything `checkPassword` relies on is
 * enforced here: sane integer ranges, a minimum that does not exceed the maximum, and a pattern
 * that compiles and is safe to run on every password change (see safe-pattern.ts).
 */
export function checkPolicyDefinition(policy: PasswordPolicy): PolicyDefinitionProblem[] {
  const problems: PolicyDefinitionProblem[] = []
  for (const field of ['minLength', 'maxLength', 'historyCount', 'maxAgeDays'] as const) {
    const problem = checkRange(field, policy[field])
    if (problem) problems.push({ field, message: problem })
  }
  if (
    Number.isInteger(policy.minLength) &&
    Number.isInteger(policy.maxLength) &&
    policy.minLength > policy.maxLength
  ) {
    problems.push({ field: 'minLength', message: 'must not be greater than the maximum length' })
  }
  for (const field of ['forbidUserName', 'checkCommonPasswords'] as const) {
    if (typeof policy[field] !== 'boolean') problems.push({ field, message: 'must be true or false' })
  }
  problems.push(...checkPattern(policy))
  return problems
}

function checkRange(field: NumericField, value: number): string | undefined {
  const { min, max } = passwordPolicyLimits[field]
  if (!Number.isInteger(value) || value < min || value > max) {
    return `must be a whole number from ${min} to ${max}`
  }
  return undefined
}

function checkPattern(policy: PasswordPolicy): PolicyDefinitionProblem[] {
  const { pattern, patternDescription } = policy
  if (pattern !== undefined && pattern !== null && typeof pattern !== 'string') {
    return [{ field: 'pattern', message: 'must be text' }]
  }
  if (!pattern) return []
  const problems: PolicyDefinitionProblem[] = checkPatternSafety(pattern).map((message) => ({
    field: 'pattern',
    message,
  }))
  // Users are told which rule failed; without a description all they would see is a refusal.
  const description = typeof patternDescription === 'string' ? patternDescription.trim() : ''
  const longest = passwordPolicyLimits.patternDescriptionLength
  if (description === '') {
    problems.push({
      field: 'patternDescription',
      message: 'is required with a pattern, to tell users what it asks',
    })
  } else if (countCodePoints(description, longest) > longest) {
    problems.push({ field: 'patternDescription', message: `must be at most ${longest} characters` })
  }
  return problems
}
