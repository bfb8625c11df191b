import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import { displayUserName } from '../../../domain/user-name.ts'
import { AppError } from '../../../errors/app-error.ts'
import { MAX_ANSWER_LENGTH } from '../../../flows/security-questions/normalize-answer.ts'
import { questionText } from '../../../flows/security-questions/question-list.ts'
import type { SessionRow } from '../../../persistence/repositories/sessions.ts'
import type { TenantRow } from '../../../persistence/repositories/tenants.ts'
import type { SessionPurpose } from '../../../persistence/tables.ts'
import { signInRateLimit } from '../../sign-in-rate-limit.ts'
import { type FieldName, type FormErrors, fieldError, passwordFormErrors } from '../form-errors.ts'
import { formField, type PageKit } from '../kit.ts'
import type { Translate } from '../messages/catalogue.ts'
import { noticeKey } from '../notices.ts'
import { formSchema, noticeQuery, pageSchema } from '../page-schema.ts'
import { passwordRules } from '../password-rules.ts'

const questionField = (slot: number): FieldName => `securityQuestion${slot}`
const answerField = (slot: number): FieldName => `securityAnswer${slot}`
/** Not `currentPassword`: the change-password form on the same page has that id. */
const securityPasswordField: FieldName = 'securityCurrentPassword'

/**
 * A refused set of security answers, worded for the page: a wrong current password by its field,
 * each problem with the answers by the select or answer field of its slot (the form sends slot n
 * as `/answers/{n-1}`). Undefined for other errors.
 */
function securityFormErrors(error: AppError, t: Translate, required: number): FormErrors | undefined {
  if (error.code === 'password.current-incorrect')
    return fieldError(securityPasswordField, t('error.password.current-incorrect'))
  if (error.code !== 'security-answers.invalid') return undefined
  const errors: FormErrors = { summary: [], fields: {} }
  const problems = error.details.errors ?? []
  for (const problem of problems) {
    const slot = /^\/answers\/(\d+)\/(questionId|answer)$/.exec(problem.pointer)
    if (!slot) continue
    const field = slot[2] === 'answer' ? answerField(Number(slot[1]) + 1) : questionField(Number(slot[1]) + 1)
    const text =
      problem.rule === 'repeated-question'
        ? t('error.security.question-repeated')
        : problem.rule === 'too-long'
          ? t('error.security.answer-too-long', { count: MAX_ANSWER_LENGTH })
          : problem.rule === 'empty'
            ? t('error.security.answer-empty')
            : t('error.security.question-unknown')
    errors.summary.push({ field, text })
    errors.fields[field] = text
  }
  // Too few different questions: said on its own only when no slot explains it.
  if (errors.summary.length === 0)
    errors.summary.push({ field: questionField(1), text: t('error.security.too-few', { count: required }) })
  return errors
}

/** `/myaccount` (who am I, change password, security questions) and sign-out. Only a full session reaches them. */
export function accountPages(container: Container, kit: PageKit) {
  const { account, sessions, tenantPolicies, securityQuestions, users, config } = container

  /**
   * The security-questions form: one select and one answer field per answer the tenant asks
   * for. The selects show what was just submitted, else the questions already answered, then
   * the first unanswered ones; answers are never shown back (they are stored hashed anyway).
   */
  async function securitySection(
    tenant: TenantRow,
    session: SessionRow,
    t: Translate,
    locale: string,
    submitted?: string[],
  ) {
    const required = securityQuestions.minimumAnswers()
    const [questions, answered] = await Promise.all([
      securityQuestions.questions(tenant),
      securityQuestions.answeredQuestionIds(tenant.id, session.user_id),
    ])
    const suggested = [
      ...answered,
      ...questions.map((question) => question.id).filter((id) => !answered.includes(id)),
    ]
    return {
      intro: t('account.security.intro', { count: required }),
      status:
        answered.length === 0
          ? t('account.security.status-none')
          : t('account.security.status-some', { count: answered.length }),
      passwordField: securityPasswordField,
      options: questions.map((question) => ({ id: question.id, text: questionText(question, locale) })),
      slots: Array.from({ length: required }, (_, index) => ({
        number: index + 1,
        questionField: questionField(index + 1),
        answerField: answerField(index + 1),
        selected: submitted ? submitted[index] : suggested[index],
      })),
    }
  }

  async function showAccount(
    request: FastifyRequest,
    reply: FastifyReply,
    session: SessionRow,
    extra: { errors?: FormErrors; notice?: string; submittedQuestions?: string[] },
    status = 200,
  ) {
    const { tenant, t, locale } = kit.context(request)
    const { submittedQuestions, ...shown } = extra
    const [summary, policy, security] = await Promise.all([
      account.summary(tenant, session),
      tenantPolicies.passwordPolicy(tenant),
      securitySection(tenant, session, t, locale, submittedQuestions),
    ])
    const changedAt = summary.passwordChangedAt
    return kit.render(
      request,
      reply,
      'account',
      {
        title: t('account.title'),
        account: summary,
        passwordChanged:
          changedAt === null
            ? null
            : {
                iso: new Date(changedAt).toISOString(),
                text: `${new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(changedAt)} UTC`,
              },
        rules: passwordRules(policy, t),
        security,
        ...shown,
      },
      status,
    )
  }

  return async (app: FastifyInstance) => {
    app.get('/myaccount', { schema: pageSchema('My Account', noticeQuery) }, async (request, reply) => {
      const session = await kit.session(request, 'full')
      if (!session) return kit.redirect(request, reply, '/login')
      const notice = noticeKey(request.query)
      return showAccount(request, reply, session, notice ? { notice: kit.context(request).t(notice) } : {})
    })

    app.post(
      '/myaccount/password',
      {
        schema: formSchema('Change one’s own password (form post)'),
        // The current password is verified here: limited like sign-in against guessing with a stolen session.
        config: signInRateLimit(config),
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply, '/myaccount')) return reply
        const { tenant, t } = kit.context(request)
        const session = await kit.session(request, 'full')
        if (!session) return kit.redirect(request, reply, '/login?m=session-ended')
        try {
          await account.changePassword(tenant, session, {
            currentPassword: formField(request.body, 'currentPassword'),
            newPassword: formField(request.body, 'newPassword'),
            confirmation: formField(request.body, 'confirmation'),
          })
          return kit.redirect(request, reply, '/myaccount?m=account-password-changed')
        } catch (error) {
          if (!(error instanceof AppError)) throw error
          if (error.code === 'auth.required') return kit.redirect(request, reply, '/login?m=session-ended')
          const errors = passwordFormErrors(error, t)
          if (!errors) throw error
          return showAccount(request, reply, session, { errors }, 400)
        }
      },
    )

    app.post(
      '/myaccount/security-answers',
      {
        schema: formSchema('Set one’s own security answers (form post)'),
        // The current password is verified and each answer hashed like a password: limited like
        // sign-in against guessing with a stolen session and against spending the hashing threads.
        config: signInRateLimit(config),
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply, '/myaccount')) return reply
        const { tenant, t } = kit.context(request)
        const session = await kit.session(request, 'full')
        if (!session) return kit.redirect(request, reply, '/login?m=session-ended')
        const user = await users.find(tenant, session.user_id)
        if (user?.id !== session.user_id || user.status !== 'active')
          return kit.redirect(request, reply, '/login?m=session-ended')
        const required = securityQuestions.minimumAnswers()
        const slots = Array.from({ length: required }, (_, index) => index + 1)
        const submittedQuestions = slots.map((slot) => formField(request.body, questionField(slot), 256))
        try {
          // Before the answers are hashed: a wrong password costs one verification and stores nothing.
          await account.confirmCurrentPassword(tenant, user, formField(request.body, securityPasswordField))
          await securityQuestions.setAnswers(
            tenant,
            user.id,
            slots.map((slot, index) => ({
              questionId: submittedQuestions[index]!,
              answer: formField(request.body, answerField(slot)),
            })),
            { kind: 'user', id: user.id, name: displayUserName(user.store_domain, user.username) },
          )
          return kit.redirect(request, reply, '/myaccount?m=security-answers-saved')
        } catch (error) {
          if (!(error instanceof AppError)) throw error
          const errors = securityFormErrors(error, t, required)
          if (!errors) throw error
          return showAccount(request, reply, session, { errors, submittedQuestions }, 400)
        }
      },
    )

    app.post('/logout', { schema: formSchema('Sign out (form post)') }, async (request, reply) => {
      if (!kit.acceptsForm(request, reply)) return reply
      const { tenant } = kit.context(request)
      // Whatever the browser holds ends: a full session, or a restricted one abandoned half-way.
      const purposes: SessionPurpose[] = ['full', 'password-reset', 'reset-prompt']
      for (const purpose of purposes) {
        const session = await kit.session(request, purpose)
        if (session)
          await sessions.revoke(tenant, session, { kind: 'user', id: session.user_id, name: session.user_id })
      }
      kit.clearSession(request, reply)
      return kit.redirect(request, reply, '/login?m=signed-out')
    })
  }
}
