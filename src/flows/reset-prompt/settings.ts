import { ConfigError } from '../../config/config-error.ts'
import type { Config } from '../../config/schema.ts'
import { checkPatternSafety } from '../../domain/password-policy/index.ts'
import { claimUriOf } from './attribute.ts'

export type AttributeSource = 'claims' | 'login-context'

/** The `reset_prompt` configuration, checked and ready to use. */
export interface ResetPromptSettings {
  enabled: boolean
  /** The attribute's name as configured (the key of the sign-in request's `context`). */
  attribute: string
  /** The claim read (and cleared after a new password) when the source is `claims`. */
  claimUri: string
  source: AttributeSource
  allowSkip: boolean
  /** What a password chosen at the prompt must match, on top of the password policy. */
  pattern: RegExp | undefined
}

/**
 * Reads the section. Threat: the regular expression runs on every password typed at the
 * prompt, on the shared event loop; one that can backtrack catastrophically is refused at
 * start, naming the key, by the same structural check tenant password patterns pass.
 */
export function resetPromptSettings(config: Config): ResetPromptSettings {
  const section = config.reset_prompt
  let pattern: RegExp | undefined
  if (section.regular_expression !== '') {
    const problems = checkPatternSafety(section.regular_expression)
    if (problems.length > 0)
      throw new ConfigError(problems.map((reason) => ({ key: 'reset_prompt.regular_expression', reason })))
    pattern = new RegExp(section.regular_expression, 'u')
  }
  return {
    enabled: section.enabled,
    attribute: section.attribute,
    claimUri: claimUriOf(section.attribute),
    source: section.attribute_source,
    allowSkip: section.allow_skip,
    pattern,
  }
}
