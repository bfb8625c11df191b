import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import { AppError } from '../../../errors/app-error.ts'
import type { PromptView } from '../../../flows/reset-prompt/service.ts'
import { signInRateLimit } from '../../sign-in-rate-limit.ts'
import { type FormErrors, formError, passwordFormErrors } from '../form-errors.ts'
import { formField, type PageKit } from '../kit.ts'
import { formSchema, pageSchema } from '../page-schema.ts'
import { passwordRules } from '../password-rules.ts'

/**
 * `/password-prompt`: the reset-password prompt after a correct password. Only a session of
 * purpose `reset-prompt` reaches it; setting a new password or skipping (where allowed)
 * trades that session for a full one and goes on to My Account.
 */
export function promptPages(container: Container, kit: PageKit) {
  const { resetPrompt, tenantPolicies } = container

  async function showPrompt(
    request: FastifyRequest,
    reply: FastifyReply,
    view: PromptView,
    errors?: FormErrors,
    status = 200,
  ) {
    const { tenant, t, base } = kit.context(request)
    const policy = await tenantPolicies.passwordPolicy(tenant)
    return kit.render(
      request,
      reply,
      'reset-password',
      {
        title: t('prompt.title'),
        heading: t('prompt.title'),
        intro:
          view.decision.reason === 'password-expired'
            ? t('prompt.intro.password-expired')
            : t('prompt.intro.attribute'),
        action: `${base}/password-prompt`,
        skipAction: view.decision.allowSkip ? `${base}/password-prompt/skip` : undefined,
        userName: view.userName,
        rules: passwordRules(policy, t),
        ...(errors ? { errors } : {}),
      },
      status,
    )
  }

  const client = (request: FastifyRequest) => ({
    address: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
  })

  return async (app: FastifyInstance) => {
    app.get(
      '/password-prompt',
      { schema: pageSchema('The reset-password prompt after sign-in') },
      async (request, reply) => {
        const session = await kit.session(request, 'reset-prompt')
        if (!session) return kit.redirect(request, reply, '/login?m=session-ended')
        return showPrompt(request, reply, await resetPrompt.view(kit.context(request).tenant, session))
      },
    )

    app.post(
      '/password-prompt',
      {
        config: signInRateLimit(container.config),
        schema: formSchema('Set the new password the prompt asks for (form post)'),
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, t } = kit.context(request)
        const session = await kit.session(request, 'reset-prompt')
        if (!session) return kit.redirect(request, reply, '/login?m=session-ended')
        try {
          const result = await resetPrompt.complete(
            tenant,
            session,
            {
              newPassword: formField(request.body, 'newPassword'),
              confirmation: formField(request.body, 'confirmation'),
            },
            client(request),
          )
          kit.setSession(request, reply, result)
          return kit.redirect(request, reply, '/myaccount?m=prompt-done')
        } catch (error) {
          if (!(error instanceof AppError)) throw error
          if (error.code === 'auth.required') return kit.redirect(request, reply, '/login?m=session-ended')
          const errors = passwordFormErrors(error, t)
          if (!errors) throw error
          return showPrompt(request, reply, await resetPrompt.view(tenant, session), errors, 400)
        }
      },
    )

    app.post(
      '/password-prompt/skip',
      { schema: formSchema('Skip the reset-password prompt, where allowed (form post)') },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, t } = kit.context(request)
        const session = await kit.session(request, 'reset-prompt')
        if (!session) return kit.redirect(request, reply, '/login?m=session-ended')
        try {
          kit.setSession(request, reply, await resetPrompt.skip(tenant, session, client(request)))
          return kit.redirect(request, reply, '/myaccount')
        } catch (error) {
          if (!(error instanceof AppError)) throw error
          if (error.code === 'auth.required') return kit.redirect(request, reply, '/login?m=session-ended')
          if (error.code !== 'reset.prompt-not-skippable') throw error
          const view = await resetPrompt.view(tenant, session)
          return showPrompt(request, reply, view, formError(t('error.reset.prompt-not-skippable')), 403)
        }
      },
    )
  }
}
