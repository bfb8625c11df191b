/**
 * The stages of a self-service reset pipeline, named as the staged REST API of the products
 * Rekey replaces names them, so existing clients read the same `type` in every answer.
 */
export const STAGE_NAMES = [
  'parameters',
  'userQuery',
  'emailValidation',
  'kbaSecurityAnswerVerificationStage',
  'resetStage',
] as const

export type StageName = (typeof STAGE_NAMES)[number]

/** Stages that prove the caller owns the account; a pipeline needs one before `resetStage`. */
export const VERIFICATION_STAGES: ReadonlySet<StageName> = new Set([
  'emailValidation',
  'kbaSecurityAnswerVerificationStage',
])

const known: ReadonlySet<string> = new Set(STAGE_NAMES)

export function isStageName(value: string): value is StageName {
  return known.has(value)
}

/** `"userQuery, emailValidation"` → the names, trimmed, empty entries dropped. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/**
 * Why a pipeline cannot run, or an empty list when it can. An empty pipeline is valid: it
 * turns self-service reset off. Threat: a pipeline that reaches `resetStage` without a stage
 * proving ownership of the account would let anyone who knows a user name set its password,
 * so that is refused rather than allowed by a typo.
 */
export function pipelineProblems(stages: readonly string[]): string[] {
  if (stages.length === 0) return []
  const problems: string[] = []
  const unknown = stages.filter((stage) => !isStageName(stage))
  if (unknown.length > 0)
    problems.push(`unknown stage ${unknown.join(', ')}; the stages are ${STAGE_NAMES.join(', ')}`)
  const repeated = stages.filter((stage, index) => stages.indexOf(stage) !== index)
  if (repeated.length > 0) problems.push(`stage ${[...new Set(repeated)].join(', ')} appears more than once`)
  if (stages.at(-1) !== 'resetStage') problems.push('resetStage must be the last stage')
  const query = stages.indexOf('userQuery')
  if (query === -1) problems.push('userQuery is needed: the flow must find the account first')
  const accountStages = stages.filter((stage) => stage !== 'parameters' && stage !== 'userQuery')
  if (query !== -1 && stages.some((stage, index) => accountStages.includes(stage) && index < query))
    problems.push(
      'userQuery must come before emailValidation, kbaSecurityAnswerVerificationStage and resetStage',
    )
  if (!stages.some((stage) => VERIFICATION_STAGES.has(stage as StageName)))
    problems.push(
      'a verification stage (emailValidation or kbaSecurityAnswerVerificationStage) must come before resetStage',
    )
  return problems
}

/** Attributes a `userQuery` filter may name: each identifies one account and is indexed. */
export const QUERYABLE_ATTRIBUTES = ['userName', 'emails', 'phoneNumbers', 'externalId'] as const

export function queryableProblems(attributes: readonly string[]): string[] {
  const allowed: readonly string[] = QUERYABLE_ATTRIBUTES
  const unknown = attributes.filter((attribute) => !allowed.includes(attribute))
  const problems =
    unknown.length > 0
      ? [`unknown attribute ${unknown.join(', ')}; the queryable ones are ${QUERYABLE_ATTRIBUTES.join(', ')}`]
      : []
  if (attributes.length === 0) problems.push('at least one attribute must be queryable')
  return problems
}
