import { AppError } from '../../errors/app-error.ts'
import { normalizeLocale } from '../../notifications/templates/locale.ts'

/** A security question: a stable id (answers refer to it) and its text per locale (`en` always). */
export interface SecurityQuestion {
  id: string
  text: Record<string, string>
}

export const questionListLimits = {
  idPattern: '^[a-z0-9][a-z0-9-]{0,63}$',
  maxQuestions: 50,
  maxTextLength: 300,
} as const

/** The locale every question has a text in, and the last one a reader falls back to. */
export const FALLBACK_LOCALE = 'en'

const idPattern = new RegExp(questionListLimits.idPattern)

export interface ListProblem {
  pointer: string
  message: string
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Checks a question list from any source (an API body, a file, a stored setting) and returns it
 * in canonical form: locale tags as `pt-BR`, texts trimmed. Every problem is collected, each
 * named by a JSON pointer into `{"questions": […]}`, so one answer lists all there is to fix.
 * `minimum`: the questions a user answers (`selfservice.kba_answers_required`); a shorter list
 * would leave users unable to set their answers.
 */
export function questionListProblems(
  input: unknown,
  minimum: number,
): { questions: SecurityQuestion[]; problems: ListProblem[] } {
  const problems: ListProblem[] = []
  const questions: SecurityQuestion[] = []
  if (!Array.isArray(input)) {
    problems.push({ pointer: '/questions', message: 'must be a list of questions' })
    return { questions, problems }
  }
  const lowest = Math.max(1, minimum)
  if (input.length < lowest)
    problems.push({
      pointer: '/questions',
      message:
        lowest === 1
          ? 'must hold at least one question'
          : `must hold at least ${lowest} questions: users answer ${lowest}`,
    })
  if (input.length > questionListLimits.maxQuestions)
    problems.push({
      pointer: '/questions',
      message: `must hold at most ${questionListLimits.maxQuestions} questions`,
    })
  const seen = new Map<string, number>()
  input.slice(0, questionListLimits.maxQuestions + 1).forEach((entry, index) => {
    const at = `/questions/${index}`
    if (!isRecord(entry)) {
      problems.push({ pointer: at, message: 'must be an object with an id and a text' })
      return
    }
    for (const key of Object.keys(entry))
      if (key !== 'id' && key !== 'text')
        problems.push({ pointer: `${at}/${key}`, message: 'is not allowed' })
    const id = entry.id
    if (typeof id !== 'string' || !idPattern.test(id)) {
      problems.push({
        pointer: `${at}/id`,
        message: `must be 1 to 64 lower-case letters, digits and hyphens, starting with a letter or digit`,
      })
    } else if (seen.has(id)) {
      problems.push({ pointer: `${at}/id`, message: `repeats the id of /questions/${seen.get(id)}` })
    } else seen.set(id, index)
    const text = textProblems(entry.text, `${at}/text`, problems)
    if (typeof id === 'string' && text) questions.push({ id, text })
  })
  return { questions, problems }
}

function textProblems(
  input: unknown,
  at: string,
  problems: ListProblem[],
): Record<string, string> | undefined {
  if (!isRecord(input)) {
    problems.push({ pointer: at, message: 'must be an object of texts by locale, such as {"en": "…"}' })
    return undefined
  }
  const text: Record<string, string> = {}
  const before = problems.length
  for (const [tag, value] of Object.entries(input)) {
    const locale = normalizeLocale(tag)
    if (locale === undefined) {
      problems.push({ pointer: `${at}/${tag}`, message: 'is not a locale tag such as en, fr or pt-BR' })
      continue
    }
    if (Object.hasOwn(text, locale)) {
      problems.push({ pointer: `${at}/${tag}`, message: `names the locale ${locale} a second time` })
      continue
    }
    const trimmed = typeof value === 'string' ? value.trim() : ''
    const length = [...trimmed].length
    if (typeof value !== 'string' || length < 1 || length > questionListLimits.maxTextLength) {
      problems.push({
        pointer: `${at}/${tag}`,
        message: `must be a text of 1 to ${questionListLimits.maxTextLength} characters`,
      })
      continue
    }
    text[locale] = trimmed
  }
  if (!Object.hasOwn(input, FALLBACK_LOCALE) && !Object.hasOwn(text, FALLBACK_LOCALE))
    problems.push({
      pointer: `${at}/${FALLBACK_LOCALE}`,
      message: 'is required: every question has an English text',
    })
  return problems.length === before ? text : undefined
}

/** The list in canonical form, or `security-questions.invalid` naming every problem. */
export function checkQuestionList(input: unknown, minimum: number): SecurityQuestion[] {
  const { questions, problems } = questionListProblems(input, minimum)
  if (problems.length > 0)
    throw new AppError('security-questions.invalid', {
      detail: `The question list was not saved: ${problems.map((problem) => `${problem.pointer} ${problem.message}`).join('; ')}`,
      errors: problems,
    })
  return questions
}

/**
 * The text of a question for a reader: the first of `locales` (a single tag, or tags in order
 * of preference) the question has, exactly (`pt-BR`), by its language (`pt`) or in another
 * variant of that language (`pt-PT`); else English.
 */
export function questionText(question: SecurityQuestion, locales: string | readonly string[]): string {
  for (const tag of typeof locales === 'string' ? [locales] : locales) {
    const locale = normalizeLocale(tag)
    if (locale === undefined) continue
    if (Object.hasOwn(question.text, locale)) return question.text[locale]!
    const language = locale.split('-')[0]!
    if (Object.hasOwn(question.text, language)) return question.text[language]!
    // Another variant of the language (pt-BR for a pt-PT reader) still reads better than English.
    const variant = Object.keys(question.text).find((key) => key.startsWith(`${language}-`))
    if (variant !== undefined) return question.text[variant]!
  }
  return question.text[FALLBACK_LOCALE] ?? Object.values(question.text)[0] ?? question.id
}
