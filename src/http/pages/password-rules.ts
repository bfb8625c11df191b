import type { PasswordPolicy } from '../../domain/password-policy/index.ts'
import type { Translate } from './messages/catalogue.ts'

/** The tenant password policy as a list a user reads before choosing, beside the new-password field. */
export function passwordRules(policy: PasswordPolicy, t: Translate): { heading: string; items: string[] } {
  const items = [t('reset.rule.min-length', { count: policy.minLength })]
  if (policy.pattern && policy.patternDescription)
    items.push(t('reset.rule.pattern', { description: policy.patternDescription }))
  if (policy.forbidUserName) items.push(t('reset.rule.user-name'))
  if (policy.checkCommonPasswords) items.push(t('reset.rule.common-password'))
  if (policy.historyCount > 0) items.push(t('reset.rule.history'))
  return { heading: t('reset.rules'), items }
}
