import type { StageName } from './stages.ts'

const DRAFT_04 = 'http://json-schema.org/draft-04/schema#'

/** A JSON Schema (draft-04) object describing the input the next request must send. */
export interface Requirements {
  $schema: string
  description: string
  type: 'object'
  required: string[]
  properties: Record<string, Record<string, unknown>>
}

/** A security question as the KBA stage presents it: its text in every locale the tenant wrote. */
export interface AskedQuestion {
  text: Record<string, string>
}

function requirements(
  description: string,
  properties: Record<string, Record<string, unknown>>,
  required: string[],
): Requirements {
  return { $schema: DRAFT_04, description, type: 'object', required, properties }
}

/** The `tag` a stage's requirements carry, as the reference API names them. */
export function tagOf(stage: StageName): string {
  return stage === 'emailValidation' ? 'validateCode' : 'initial'
}

export function requirementsOf(stage: StageName, questions: readonly AskedQuestion[] = []): Requirements {
  switch (stage) {
    case 'parameters':
      return requirements(
        'Parameters',
        { returnParams: { description: 'Parameter named "returnParams"', type: 'string' } },
        [],
      )
    case 'userQuery':
      return requirements(
        'Find your account',
        { queryFilter: { description: 'filter string to find account', type: 'string' } },
        ['queryFilter'],
      )
    case 'emailValidation':
      return requirements(
        'Verify emailed code',
        { code: { description: 'Enter code emailed', type: 'string' } },
        ['code'],
      )
    case 'kbaSecurityAnswerVerificationStage': {
      const names = questions.map((_, index) => `answer${index + 1}`)
      return requirements(
        'Answer security questions',
        Object.fromEntries(
          questions.map((question, index) => [
            names[index]!,
            { systemQuestion: question.text, type: 'string' },
          ]),
        ),
        names,
      )
    }
    case 'resetStage':
      return requirements('Reset password', { password: { description: 'Password', type: 'string' } }, [
        'password',
      ])
  }
}
