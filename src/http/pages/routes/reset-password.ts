import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import { displayUserName } from '../../../domain/user-name.ts'
import { AppError } from '../../../errors/app-error.ts'
import { checkPromptPassword } from '../../../flows/reset-prompt/validation.ts'
import type { SessionRow } from '../../../persistence/repositories/sessions.ts'
import { usersRepository } from '../../../persistence/repositories/users.ts'
import { signInRateLimit } from '../../sign-in-rate-limit.ts'
import { type FormErrors, passwordFormErrors } from '../form-errors.ts'
import { formField, type PageKit } from '../kit.ts'
import { formSchema, pageSchema, resetQuery } from '../page-schema.ts'
import { passwordRules } from '../password-rules.ts'

/** Link tokens are 64 base64url characters (43 before selectors); anything much longer is not one of ours. */
const MAX_TOKEN = 512

/**
 * `/reset-password`: the page behind the emailed link, and the page a session opened with a
 * one-time password leads to. Threat: mail scanners and link previews follow links, so the
 * GET only inspects the token; the POST with the new password consumes it, atomically with
 * the password write. The token travels in a hidden field, never in a URL we build, and the
 * pages send `Referrer-Policy: no-referrer` and `Cache-Control: no-store`.
 */
export function resetPasswordPages(container: Container, kit: PageKit) {
  const { forcedResets, tenantPolicies, store } = container

  async function showForm(
    request: FastifyRequest,
    reply: FastifyReply,
    target: { token?: string; userName: string },
    errors?: FormErrors,
  ) {
    const { tenant, t, base } = kit.context(request)
    const policy = await tenantPolicies.passwordPolicy(tenant)
    return kit.render(
      request,
      reply,
      'reset-password',
      {
        title: t('reset.title'),
        heading: t('reset.title'),
        intro: t('reset.intro', { user: target.userName }),
        action: `${base}/reset-password`,
        token: target.token,
        userName: target.userName,
        rules: passwordRules(policy, t),
        ...(errors ? { errors } : {}),
      },
      errors ? 400 : 200,
    )
  }

  function showLinkInvalid(request: FastifyRequest, reply: FastifyReply) {
    const { t, base } = kit.context(request)
    return kit.render(
      request,
      reply,
      'message',
      {
        title: t('reset.link-invalid.title'),
        heading: t('reset.link-invalid.title'),
        body: t('reset.link-invalid.body'),
        tone: 'warning',
        link: { href: `${base}/login`, text: t('reset.link-invalid.sign-in') },
      },
      400,
    )
  }

  function showDone(request: FastifyRequest, reply: FastifyReply) {
    const { t, base } = kit.context(request)
    kit.clearSession(request, reply)
    return kit.render(request, reply, 'message', {
      title: t('reset.done.title'),
      heading: t('reset.done.title'),
      body: t('reset.done.body'),
      tone: 'success',
      link: { href: `${base}/login?m=password-changed`, text: t('reset.done.sign-in') },
    })
  }

  async function restrictedUser(
    request: FastifyRequest,
  ): Promise<{ session: SessionRow; userName: string } | undefined> {
    const session = await kit.session(request, 'password-reset')
    if (!session) return undefined
    const user = await usersRepository.findById(store.db, session.tenant_id, session.user_id)
    return user ? { session, userName: displayUserName(user.store_domain, user.username) } : undefined
  }

  return async (app: FastifyInstance) => {
    app.get(
      '/reset-password',
      {
        schema: pageSchema(
          'Set a new password: from the emailed link, or after a one-time password',
          resetQuery,
        ),
      },
      async (request, reply) => {
        const { tenant } = kit.context(request)
        const token = (request.query as { token?: unknown }).token
        if (token !== undefined) {
          if (typeof token !== 'string' || token.length > MAX_TOKEN) return showLinkInvalid(request, reply)
          // Inspect only: a GET never consumes the link.
          const link = await forcedResets.inspectLink(tenant, token)
          return link
            ? showForm(request, reply, { token, userName: link.userName })
            : showLinkInvalid(request, reply)
        }
        const restricted = await restrictedUser(request)
        if (!restricted) return kit.redirect(request, reply, '/login?m=session-ended')
        return showForm(request, reply, { userName: restricted.userName })
      },
    )

    app.post(
      '/reset-password',
      { config: signInRateLimit(container.config), schema: formSchema('Set a new password (form post)') },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, t } = kit.context(request)
        const token = formField(request.body, 'token', MAX_TOKEN)
        const input = {
          newPassword: formField(request.body, 'newPassword'),
          confirmation: formField(request.body, 'confirmation'),
        }
        const target = token
          ? await forcedResets
              .inspectLink(tenant, token)
              .then((link) => link && { token, userName: link.userName })
          : await restrictedUser(request)
        if (!target)
          return token
            ? showLinkInvalid(request, reply)
            : kit.redirect(request, reply, '/login?m=session-ended')
        try {
          checkPromptPassword(input, undefined)
          if (token) await forcedResets.completeWithLink(tenant, token, input.newPassword)
          else if ('session' in target)
            await forcedResets.setNewPassword(tenant, target.session, input.newPassword)
          return showDone(request, reply)
        } catch (error) {
          if (!(error instanceof AppError)) throw error
          if (error.code === 'reset.link-invalid') return showLinkInvalid(request, reply)
          if (error.code === 'auth.required') return kit.redirect(request, reply, '/login?m=session-ended')
          const errors = passwordFormErrors(error, t)
          if (!errors) throw error
          return showForm(request, reply, { ...(token ? { token } : {}), userName: target.userName }, errors)
        }
      },
    )
  }
}
