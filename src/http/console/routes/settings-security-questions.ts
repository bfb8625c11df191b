import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import {
  FALLBACK_LOCALE,
  questionListLimits,
  type SecurityQuestion,
} from '../../../flows/security-questions/question-list.ts'
import type { TenantRow } from '../../../persistence/repositories/tenants.ts'
import { formField } from '../../pages/kit.ts'
import type { ConsoleErrors } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm, consolePage } from '../route-schema.ts'
import { type FieldRef, formRefusal, notFound, settingsErrorsOf, settingsNav } from './settings-forms.ts'

const PAGE = '/settings/security-questions'
/** Blank rows offered for texts in further languages. */
const BLANK_ROWS = 2
/** Rows read from a form: every locale a question may sensibly have, and no more (a crafted form costs nothing). */
const MAX_ROWS = 30

const QuestionParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: questionListLimits.idPattern, maxLength: 64 } },
  required: ['id'],
  additionalProperties: false,
} as const

/** The texts of a question as the form has them: English first, then one row per other language. */
interface QuestionForm {
  id: string
  english: string
  rows: Array<{ locale: string; text: string }>
}

const blankRows = () => Array.from({ length: BLANK_ROWS }, () => ({ locale: '', text: '' }))

function formOf(question: SecurityQuestion): QuestionForm {
  const rows = Object.entries(question.text)
    .filter(([locale]) => locale !== FALLBACK_LOCALE)
    .map(([locale, text]) => ({ locale, text }))
  return { id: question.id, english: question.text[FALLBACK_LOCALE] ?? '', rows: [...rows, ...blankRows()] }
}

function readForm(body: unknown, id: string): QuestionForm {
  const fields = body && typeof body === 'object' ? (body as Record<string, unknown>) : {}
  const rows: QuestionForm['rows'] = []
  for (let index = 1; index <= MAX_ROWS; index++) {
    if (!Object.hasOwn(fields, `locale-${index}`) && !Object.hasOwn(fields, `text-${index}`)) break
    rows.push({
      locale: formField(body, `locale-${index}`, 35),
      text: formField(body, `text-${index}`, questionListLimits.maxTextLength),
    })
  }
  return { id, english: formField(body, 'text-en', questionListLimits.maxTextLength), rows }
}

/**
 * The question the form describes, or the form's own refusal when two rows name the same
 * language (an object cannot hold both; the use case sees differently written tags itself).
 * A row whose text is empty is left out: emptying a text removes that language.
 */
function questionOf(form: QuestionForm): { question: SecurityQuestion } | { refusal: ConsoleErrors } {
  const text: Record<string, string> = {}
  if (form.english.trim() !== '') text[FALLBACK_LOCALE] = form.english
  const named = new Set<string>([FALLBACK_LOCALE])
  for (const [index, row] of form.rows.entries()) {
    if (row.text.trim() === '') continue
    const locale = row.locale.trim()
    if (named.has(locale))
      return {
        refusal: formRefusal(
          { id: `text-${index + 1}`, label: `Text in “${locale}”` },
          locale === FALLBACK_LOCALE
            ? 'English has its own field above'
            : 'this language is given twice; keep one row for it',
        ),
      }
    named.add(locale)
    text[locale] = row.text
  }
  return { question: { id: form.id, text } }
}

/** Where a problem of the question at `index` of the list sits in its form. */
function questionFieldOf(form: QuestionForm, index: number, idEditable: boolean) {
  const at = `/questions/${index}`
  return (pointer: string): FieldRef | undefined => {
    if (pointer === '/questions') return { label: 'The question list' }
    if (pointer === `${at}/id`) return idEditable ? { id: 'question-id', label: 'Id' } : { label: 'Id' }
    if (pointer === `${at}/text` || pointer === `${at}/text/${FALLBACK_LOCALE}`)
      return { id: 'text-en', label: 'English text' }
    if (pointer.startsWith(`${at}/text/`)) {
      const tag = pointer.slice(`${at}/text/`.length)
      const row = form.rows.findIndex(
        (candidate) => candidate.locale.trim() === tag && candidate.text.trim() !== '',
      )
      if (row !== -1)
        return tag === ''
          ? { id: `locale-${row + 1}`, label: `Language ${row + 1}` }
          : { id: `text-${row + 1}`, label: `Text in “${tag}”` }
    }
    return pointer.startsWith('/questions/') ? { label: 'Another question of the list' } : undefined
  }
}

/**
 * `/settings/security-questions`: the tenant's question list (its own, or the built-in one
 * until it sets its own), with adding, editing and removing a question and a return to the
 * built-in list. Every change replaces the list through the use case, which checks it as a
 * whole and keeps users' answers (an answer to a removed question stops counting).
 */
export function securityQuestionSettingsPages(container: Container, kit: ConsoleKit) {
  const { securityQuestions } = container

  async function renderList(
    request: FastifyRequest,
    reply: FastifyReply,
    tenant: TenantRow,
    added: QuestionForm = { id: '', english: '', rows: blankRows() },
    errors?: ConsoleErrors,
    status = 200,
  ) {
    const view = await securityQuestions.view(tenant)
    return kit.render(
      request,
      reply,
      'settings-security-questions',
      {
        title: 'Security questions',
        section: 'settings',
        settingsNav: settingsNav('security-questions'),
        errors,
        questions: view.questions.map((question) => ({
          id: question.id,
          texts: Object.entries(question.text).map(([locale, text]) => ({ locale, text })),
        })),
        isDefault: view.isDefault,
        answersRequired: securityQuestions.minimumAnswers(),
        questionsAsked: securityQuestions.questionsAsked(),
        maxQuestions: questionListLimits.maxQuestions,
        form: questionFields(added, errors, true),
      },
      status,
    )
  }

  function renderEdit(
    request: FastifyRequest,
    reply: FastifyReply,
    form: QuestionForm,
    errors?: ConsoleErrors,
    status = 200,
  ) {
    return kit.render(
      request,
      reply,
      'settings-security-question',
      {
        title: `Security question ${form.id}`,
        section: 'settings',
        settingsNav: settingsNav('security-questions'),
        errors,
        questionId: form.id,
        form: questionFields(form, errors, false),
      },
      status,
    )
  }

  /** Replaces the list; a refusal comes back as the form's errors, anything else is thrown. */
  async function replace(
    request: FastifyRequest,
    list: SecurityQuestion[],
    fieldOf: (pointer: string) => FieldRef | undefined,
  ): Promise<{ errors: ConsoleErrors; status: number } | undefined> {
    const { tenant, principal } = kit.context(request)
    try {
      await securityQuestions.replaceQuestions(tenant, list, principal.actor)
      return undefined
    } catch (error) {
      return { errors: settingsErrorsOf(error, fieldOf), status: (error as { status: number }).status }
    }
  }

  async function requireQuestion(tenant: TenantRow, id: string) {
    const list = await securityQuestions.questions(tenant)
    const index = list.findIndex((question) => question.id === id)
    if (index === -1) throw notFound('This organisation has no security question with this id.')
    return { list, index, question: list[index]! }
  }

  return async (app: FastifyInstance) => {
    const permission = { permission: 'config:write' as const }

    app.get(
      PAGE,
      { schema: consolePage('Console: security questions'), config: permission },
      async (request, reply) => renderList(request, reply, kit.context(request).tenant),
    )

    app.post(
      PAGE,
      { schema: consoleForm('Console: add a security question'), config: permission },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant } = kit.context(request)
        const form = readForm(request.body, formField(request.body, 'id', 64).trim())
        const read = questionOf(form)
        if ('refusal' in read) return renderList(request, reply, tenant, form, read.refusal, 400)
        const list = await securityQuestions.questions(tenant)
        const refused = await replace(
          request,
          [...list, read.question],
          questionFieldOf(form, list.length, true),
        )
        if (refused) return renderList(request, reply, tenant, form, refused.errors, refused.status)
        return kit.redirect(request, reply, PAGE, 'settings-question-added')
      },
    )

    app.get(
      `${PAGE}/:id/edit`,
      {
        schema: consolePage('Console: edit a security question', { params: QuestionParams }),
        config: permission,
      },
      async (request, reply) => {
        const { id } = request.params as { id: string }
        const { question } = await requireQuestion(kit.context(request).tenant, id)
        return renderEdit(request, reply, formOf(question))
      },
    )

    app.post(
      `${PAGE}/:id/edit`,
      {
        schema: consoleForm('Console: save a security question', { params: QuestionParams }),
        config: permission,
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { id } = request.params as { id: string }
        const { list, index } = await requireQuestion(kit.context(request).tenant, id)
        const form = readForm(request.body, id)
        const read = questionOf(form)
        if ('refusal' in read) return renderEdit(request, reply, form, read.refusal, 400)
        const changed = list.map((question, at) => (at === index ? read.question : question))
        const refused = await replace(request, changed, questionFieldOf(form, index, false))
        if (refused) return renderEdit(request, reply, form, refused.errors, refused.status)
        return kit.redirect(request, reply, PAGE, 'settings-question-saved')
      },
    )

    app.post(
      `${PAGE}/:id/remove`,
      {
        schema: consoleForm('Console: remove a security question', { params: QuestionParams }),
        config: permission,
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant } = kit.context(request)
        const { id } = request.params as { id: string }
        const { list, index } = await requireQuestion(tenant, id)
        const remaining = list.filter((_, at) => at !== index)
        const refused = await replace(request, remaining, (pointer) =>
          pointer === '/questions' ? { label: 'The question list' } : undefined,
        )
        if (refused) return renderList(request, reply, tenant, undefined, refused.errors, refused.status)
        return kit.redirect(request, reply, PAGE, 'settings-question-removed')
      },
    )

    app.post(
      `${PAGE}/defaults`,
      { schema: consoleForm('Console: return to the built-in security questions'), config: permission },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        if ((await securityQuestions.view(tenant)).isDefault)
          return kit.redirect(request, reply, PAGE, 'settings-unchanged')
        await securityQuestions.resetQuestions(tenant, principal.actor)
        return kit.redirect(request, reply, PAGE, 'settings-questions-defaults')
      },
    )
  }
}

/** The fields of a question's form: the id (when new), English, and one row per other language. */
function questionFields(form: QuestionForm, errors: ConsoleErrors | undefined, idEditable: boolean) {
  const error = (id: string) => errors?.fields[id]
  return {
    id: idEditable
      ? {
          id: 'question-id',
          name: 'id',
          label: 'Id',
          value: form.id,
          hint: 'Stable: users’ answers refer to it. Lower-case letters, digits and hyphens, such as first-pet.',
          error: error('question-id'),
          required: true,
          autocomplete: 'off',
        }
      : undefined,
    english: {
      id: 'text-en',
      label: 'English text',
      value: form.english,
      hint: `Every question has one; shown when the reader's language has no text. Up to ${questionListLimits.maxTextLength} characters.`,
      error: error('text-en'),
      required: true,
      autocomplete: 'off',
    },
    rows: form.rows.map((row, index) => ({
      locale: {
        id: `locale-${index + 1}`,
        label: `Language ${index + 1}`,
        value: row.locale,
        error: error(`locale-${index + 1}`),
        autocomplete: 'off',
        narrow: true,
      },
      text: {
        id: `text-${index + 1}`,
        label: `Text in language ${index + 1}`,
        value: row.text,
        error: error(`text-${index + 1}`),
        optional: true,
        autocomplete: 'off',
      },
    })),
  }
}
