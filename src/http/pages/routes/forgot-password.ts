import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import { AppError } from '../../../errors/app-error.ts'
import { checkPromptPassword } from '../../../flows/reset-prompt/validation.ts'
import { STAGE_NAMES } from '../../../flows/selfservice/stages.ts'
import { signInRateLimit } from '../../sign-in-rate-limit.ts'
import { type FormErrors, fieldError, formError, passwordFormErrors } from '../form-errors.ts'
import { formField, type PageKit } from '../kit.ts'
import { formSchema, pageSchema } from '../page-schema.ts'
import { accountQuery } from './forgot-password-query.ts'
import { forgotPasswordSteps, MAX_TOKEN } from './forgot-password-steps.ts'
import { answerField, FORGOT_PATH, forgotPasswordViews } from './forgot-password-views.ts'

/** As long as a user name the login page takes; the engine refuses longer queries anyway. */
const MAX_ACCOUNT = 320
/** Codes are at most 32 characters (`selfservice.code_length`); room for spaces and dashes. */
const MAX_CODE = 64
/** The most questions the KBA stage asks (`selfservice.kba_questions_asked` ≤ 10). */
const MAX_QUESTIONS = 10

const codeLinkQuery = {
  type: 'object',
  properties: {
    token: { type: 'string', description: 'The flow token from the emailed link' },
    code: { type: 'string', description: 'The emailed code, filled into the form' },
  },
}

/**
 * "Forgot password?": self-service password reset as pages, over the same engine as the staged
 * REST API (`container.selfService`). Each POST is one engine call (the first page makes the
 * calls that start a flow and send its query); the flow's token travels in a hidden field and
 * the engine, not the page, decides which stage comes next. The pages add only what a form
 * needs: required fields, the typed-twice password, and wording.
 */
export function forgotPasswordPages(container: Container, kit: PageKit) {
  const { tenantPolicies, config } = container
  const views = forgotPasswordViews(container, kit)
  const { submit, step, again, tokenOf } = forgotPasswordSteps(container, kit, views)

  async function requireEnabled(request: FastifyRequest): Promise<void> {
    const policy = await tenantPolicies.selfServicePolicy(kit.context(request).tenant)
    if (policy.stages.length === 0)
      throw new AppError('route.not-found', { detail: 'Self-service password reset is not enabled here.' })
  }

  return async (app: FastifyInstance) => {
    app.get(
      FORGOT_PATH,
      { schema: pageSchema('Forgot password: find your account') },
      async (request, reply) => {
        await requireEnabled(request)
        return views.find(request, reply)
      },
    )

    app.post(
      FORGOT_PATH,
      {
        config: signInRateLimit(config),
        schema: formSchema('Forgot password: find your account (form post)'),
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply, FORGOT_PATH)) return reply
        const { tenant, t } = kit.context(request)
        const account = formField(request.body, 'username', MAX_ACCOUNT).trim()
        if (account === '')
          return views.find(request, reply, {
            errors: fieldError('username', t('forgot.find.account-required')),
          })
        const invalid = () =>
          views.find(request, reply, {
            account: account.slice(0, MAX_ACCOUNT),
            errors: fieldError('username', t('forgot.find.account-invalid')),
          })
        if (account.length > MAX_ACCOUNT) return invalid()
        const { queryableAttributes } = await tenantPolicies.selfServicePolicy(tenant)
        return step(
          request,
          reply,
          async () => {
            // A new flow; a `parameters` stage before the query gets no parameters from a page.
            let answer = await submit(request, { input: {} })
            for (let hop = 0; hop < STAGE_NAMES.length && 'token' in answer; hop++) {
              if (answer.type === 'userQuery')
                return submit(request, {
                  input: { queryFilter: accountQuery(account, queryableAttributes) },
                  token: answer.token,
                })
              if (answer.type !== 'parameters') return answer
              answer = await submit(request, { input: {}, token: answer.token })
            }
            return answer
          },
          (error) => (error.code === 'selfservice.invalid-input' ? invalid() : undefined),
        )
      },
    )

    // The emailed link. Threat: mail scanners and link previews follow links, so this GET only
    // shows the form with the code filled in; the person presses Continue to submit it.
    app.get(
      `${FORGOT_PATH}/code`,
      {
        schema: pageSchema(
          'Forgot password: the emailed link, showing the code form filled in',
          codeLinkQuery,
        ),
      },
      async (request, reply) => {
        const query = request.query as { token?: unknown; code?: unknown }
        const token = query.token
        if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN)
          return views.expired(request, reply)
        const code = typeof query.code === 'string' ? query.code.slice(0, MAX_CODE) : ''
        // An empty input only asks for the stage: it tells an expired link now, and uses nothing up.
        return step(request, reply, () => submit(request, { input: {}, token }), undefined, { code })
      },
    )

    app.post(
      `${FORGOT_PATH}/code`,
      {
        config: signInRateLimit(config),
        schema: formSchema('Forgot password: the emailed code (form post)'),
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply, FORGOT_PATH)) return reply
        const { t } = kit.context(request)
        const token = tokenOf(request)
        if (!token) return views.expired(request, reply)
        const code = formField(request.body, 'code', MAX_CODE).trim()
        if (code === '')
          return views.code(request, reply, token, { errors: fieldError('code', t('forgot.code.required')) })
        return step(
          request,
          reply,
          () => submit(request, { input: { code: code.slice(0, MAX_CODE) }, token }),
          (error) => {
            if (error.code !== 'selfservice.verification-failed') return undefined
            const message = error.details.detail ?? error.message
            return again(request, reply, token, fieldError('code', message), message)
          },
        )
      },
    )

    app.post(
      `${FORGOT_PATH}/questions`,
      {
        config: signInRateLimit(config),
        schema: formSchema('Forgot password: answers to security questions (form post)'),
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply, FORGOT_PATH)) return reply
        const { t } = kit.context(request)
        const token = tokenOf(request)
        if (!token) return views.expired(request, reply)
        const answers = Array.from({ length: MAX_QUESTIONS }, (_, index) => ({
          number: index + 1,
          present: hasField(request.body, answerField(index + 1)),
          value: formField(request.body, answerField(index + 1)),
        })).filter((answer) => answer.present)
        const empty = answers.filter((answer) => answer.value.trim() === '')
        if (answers.length === 0 || empty.length > 0) {
          const required = t('forgot.questions.answer-required')
          const errors: FormErrors = {
            summary: empty.map((answer) => ({ field: answerField(answer.number), text: required })),
            fields: Object.fromEntries(empty.map((answer) => [answerField(answer.number), required])),
          }
          return again(request, reply, token, errors.summary.length > 0 ? errors : formError(required))
        }
        return step(
          request,
          reply,
          () =>
            submit(request, {
              input: Object.fromEntries(answers.map((answer) => [`answer${answer.number}`, answer.value])),
              token,
            }),
          (error) => {
            if (error.code !== 'selfservice.verification-failed') return undefined
            // Which answer was wrong is not said: that would help guess them one at a time.
            const message = error.details.detail ?? error.message
            return again(request, reply, token, formError(message), message)
          },
        )
      },
    )

    app.post(
      `${FORGOT_PATH}/new-password`,
      {
        config: signInRateLimit(config),
        schema: formSchema('Forgot password: the new password (form post)'),
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply, FORGOT_PATH)) return reply
        const { t } = kit.context(request)
        const token = tokenOf(request)
        if (!token) return views.expired(request, reply)
        const input = {
          newPassword: formField(request.body, 'newPassword'),
          confirmation: formField(request.body, 'confirmation'),
        }
        const refused = (error: AppError) => {
          const errors = passwordFormErrors(error, t)
          return errors ? views.newPassword(request, reply, token, { errors }) : undefined
        }
        try {
          // Typed twice the same way, checked here: a typo must not become the password.
          checkPromptPassword(input, undefined)
        } catch (error) {
          const shown = error instanceof AppError ? await refused(error) : undefined
          if (shown) return shown
          throw error
        }
        return step(
          request,
          reply,
          () => submit(request, { input: { password: input.newPassword }, token }),
          refused,
        )
      },
    )
  }
}

function hasField(body: unknown, name: string): boolean {
  return typeof body === 'object' && body !== null && Object.hasOwn(body, name)
}
