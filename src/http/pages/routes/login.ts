import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import { AppError } from '../../../errors/app-error.ts'
import { signInRateLimit } from '../../sign-in-rate-limit.ts'
import { type FormErrors, fieldError, formError } from '../form-errors.ts'
import { formField, type PageKit } from '../kit.ts'
import { noticeKey } from '../notices.ts'
import { formSchema, noticeQuery, pageSchema } from '../page-schema.ts'
import { returnPath } from '../return-path.ts'

/** The sign-in page's query: a notice, and where a console page sent the browser from. */
const loginQuery = {
  type: 'object',
  properties: {
    ...noticeQuery.properties,
    next: { type: 'string', description: 'A console page (`/console/…`) to return to after signing in' },
  },
}

/** Longest values the login API accepts; longer ones are refused the same way here. */
const MAX_USER_NAME = 320
const MAX_PASSWORD = 4096

/**
 * `/login` and its one-time-password variant. The form posts to LoginService, the one place a
 * session is created, so every ordered login check, the one-time-password sign-in of a forced
 * reset and the reset-password prompt hold here as in the API.
 */
export function loginPages(container: Container, kit: PageKit) {
  const { login, forcedResets, config, tenantPolicies } = container

  async function showLogin(
    request: FastifyRequest,
    reply: FastifyReply,
    options: {
      otp: boolean
      username?: string
      errors?: FormErrors
      notice?: string
      next?: string | undefined
    },
    status = 200,
  ) {
    const { tenant, t } = kit.context(request)
    const heading = options.otp ? t('login.otp.title') : t('login.title')
    // Offered only where the tenant's pipeline has stages: an empty one turns the flow off.
    const forgotPassword = (await tenantPolicies.selfServicePolicy(tenant)).stages.length > 0
    return kit.render(
      request,
      reply,
      'login',
      {
        title: heading,
        heading,
        intro: options.otp ? t('login.otp.intro') : t('login.intro'),
        otp: options.otp,
        forgotPassword,
        username: options.username ?? '',
        notice: options.notice,
        next: options.next,
        ...(options.errors ? { errors: options.errors } : {}),
      },
      status,
    )
  }

  /**
   * The refusal as the page words it. The reference behaviour: one message for every failure,
   * so a guessed password is not confirmed, unless the tenant lets sign-in say that a reset is
   * pending (`reset.login_reveals_pending`).
   */
  async function refusal(
    request: FastifyRequest,
    error: AppError,
  ): Promise<{ errors: FormErrors; status: number }> {
    const { tenant, t } = kit.context(request)
    if (error.code === 'auth.login-not-permitted')
      return { errors: formError(t('error.auth.login-not-permitted')), status: 403 }
    const reveals = error.details.reason !== undefined && (await forcedResets.revealsPending(tenant))
    if (reveals && error.details.reason === 'reset.pending')
      return { errors: formError(t('error.reset.pending')), status: 401 }
    if (reveals && error.details.reason === 'reset.otp-invalid')
      return { errors: formError(t('error.reset.otp-invalid')), status: 401 }
    return { errors: formError(t('error.auth.failed')), status: 401 }
  }

  return async (app: FastifyInstance) => {
    app.get('/login', { schema: pageSchema('Sign-in page', loginQuery) }, async (request, reply) => {
      const next = returnPath((request.query as { next?: unknown }).next)
      if (await kit.session(request, 'full')) return kit.redirect(request, reply, next ?? '/myaccount')
      const notice = noticeKey(request.query)
      return showLogin(request, reply, {
        otp: false,
        next,
        ...(notice ? { notice: kit.context(request).t(notice) } : {}),
      })
    })

    app.get(
      '/login/one-time-password',
      { schema: pageSchema('Sign-in page for a one-time password of a forced reset') },
      async (request, reply) => showLogin(request, reply, { otp: true }),
    )

    app.post(
      '/login',
      {
        schema: formSchema('Sign in (form post)'),
        config: signInRateLimit(config),
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, t } = kit.context(request)
        const otp = formField(request.body, 'mode') === 'otp'
        const username = formField(request.body, 'username', MAX_USER_NAME).trim()
        const password = formField(request.body, 'password', MAX_PASSWORD)
        const next = returnPath(formField(request.body, 'next', 512))
        if (username === '')
          return showLogin(
            request,
            reply,
            { otp, next, errors: fieldError('username', t('error.field.username-required')) },
            400,
          )
        if (password === '')
          return showLogin(
            request,
            reply,
            { otp, next, username, errors: fieldError('password', t('error.field.password-required')) },
            400,
          )
        const shownName = username.slice(0, MAX_USER_NAME)
        if (username.length > MAX_USER_NAME || password.length > MAX_PASSWORD)
          return showLogin(
            request,
            reply,
            { otp, next, username: shownName, errors: formError(t('error.auth.failed')) },
            401,
          )
        try {
          const result = await login.login({
            tenant,
            username,
            password,
            client: { address: request.ip, userAgent: request.headers['user-agent'] ?? null },
          })
          kit.setSession(request, reply, result)
          if (result.requiredAction === 'set-password') return kit.redirect(request, reply, '/reset-password')
          if (result.requiredAction === 'reset-password-prompt')
            return kit.redirect(request, reply, '/password-prompt')
          return kit.redirect(request, reply, next ?? '/myaccount')
        } catch (error) {
          if (
            !(error instanceof AppError) ||
            !['auth.failed', 'auth.login-not-permitted'].includes(error.code)
          )
            throw error
          const { errors, status } = await refusal(request, error)
          return showLogin(request, reply, { otp, next, username: shownName, errors }, status)
        }
      },
    )
  }
}
