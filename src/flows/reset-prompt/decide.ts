import { isPasswordExpired } from '../../domain/password-policy/index.ts'
import { isTrueAttribute } from './attribute.ts'

/** Why a correct password leads to the set-a-new-password prompt instead of a session. */
export type PromptReason = 'attribute' | 'password-expired'

export interface PromptDecision {
  reason: PromptReason
  /** Whether the user may go on with the current password. */
  allowSkip: boolean
}

export interface PromptFacts {
  /** The attribute's value from its source, when the prompt is enabled. */
  attributeValue: string | undefined
  /** When the current password was set (epoch milliseconds). */
  passwordChangedAt: number
  now: number
  /** The tenant password policy's maximum age; 0 means passwords do not expire. */
  maxAgeDays: number
}

export interface PromptRules {
  enabled: boolean
  allowSkip: boolean
}

/**
 * An expired password comes first and can never be skipped: the maximum age is the tenant's
 * password policy, not a suggestion. The attribute asks only where the prompt is enabled, and
 * may be skipped where the configuration allows it.
 */
export function decidePrompt(rules: PromptRules, facts: PromptFacts): PromptDecision | undefined {
  if (isPasswordExpired(facts.passwordChangedAt, facts.now, { maxAgeDays: facts.maxAgeDays }))
    return { reason: 'password-expired', allowSkip: false }
  if (rules.enabled && isTrueAttribute(facts.attributeValue))
    return { reason: 'attribute', allowSkip: rules.allowSkip }
  return undefined
}
