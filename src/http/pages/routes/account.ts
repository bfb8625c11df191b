import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import { AppError } from '../../../errors/app-error.ts'
import type { SessionRow } from '../../../persistence/repositories/sessions.ts'
import type { SessionPurpose } from '../../../persistence/tables.ts'
import { signInRateLimit } from '../../sign-in-rate-limit.ts'
import { type FormErrors, passwordFormErrors } from '../form-errors.ts'
import { formField, type PageKit } from '../kit.ts'
import { noticeKey } from '../notices.ts'
import { formSchema, noticeQuery, pageSchema } from '../page-schema.ts'
import { passwordRules } from '../password-rules.ts'

/** `/myaccount` (who am I, change password) and sign-out. Only a full session reaches them. */
export function accountPages(container: Container, kit: PageKit) {
  const { account, sessions, tenantPolicies, config } = container

  async function showAccount(
    request: FastifyRequest,
    reply: FastifyReply,
    session: SessionRow,
    extra: { errors?: FormErrors; notice?: string },
    status = 200,
  ) {
    const { tenant, t, locale } = kit.context(request)
    const [summary, policy] = await Promise.all([
      account.summary(tenant, session),
      tenantPolicies.passwordPolicy(tenant),
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
        ...extra,
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
