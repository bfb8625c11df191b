import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import type { LoginResult } from '../../flows/login/service.ts'
import type { SessionPurpose } from '../../persistence/tables.ts'
import { tenantOf } from '../admin-auth-hook.ts'
import { signInRateLimit } from '../sign-in-rate-limit.ts'
import { tenantResolver } from '../tenant-resolver.ts'
import { cookieWritesAreJsonOnly } from './json-only.ts'
import { requireSession } from './routes.ts'
import { SessionAnswer, sendSession } from './session-answer.ts'

const PromptPasswordBody = Type.Object(
  {
    newPassword: Type.String({ maxLength: 4096 }),
    confirmPassword: Type.Optional(
      Type.String({ maxLength: 4096, description: 'The new password typed again; when given it must match' }),
    ),
  },
  { additionalProperties: false },
)

const ChangePasswordBody = Type.Object(
  {
    currentPassword: Type.String({ maxLength: 4096 }),
    newPassword: Type.String({ maxLength: 4096 }),
    confirmPassword: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
)

/**
 * The login API's side of the reset-password prompt (`requiredAction: reset-password-prompt`)
 * and a signed-in user's own password change. The prompt calls take only the prompt's
 * restricted session and answer with a new full session, as a sign-in does.
 */
export function promptAndAccountApi(container: Container): FastifyPluginAsyncTypebox {
  const { tenants, config, resetPrompt, account } = container
  return async (app) => {
    app.addHook('onRequest', tenantResolver(tenants))
    app.addHook('onRequest', cookieWritesAreJsonOnly)

    const currentSession = (request: FastifyRequest, purpose: SessionPurpose) =>
      requireSession(request, container, purpose)

    const client = (request: FastifyRequest) => ({
      address: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
    })

    function answer(request: FastifyRequest, reply: FastifyReply, result: LoginResult) {
      return sendSession(config, tenantOf(request).domain, reply, result)
    }

    app.post(
      '/password-prompt',
      {
        config: signInRateLimit(config),
        schema: {
          tags: ['auth'],
          summary:
            'Set the new password the reset-password prompt asks for, with the session the sign-in opened; answers with a full session',
          body: PromptPasswordBody,
          response: { 200: SessionAnswer },
        },
      },
      async (request, reply) => {
        const { tenant, session } = await currentSession(request, 'reset-prompt')
        const result = await resetPrompt.complete(
          tenant,
          session,
          { newPassword: request.body.newPassword, confirmation: request.body.confirmPassword },
          client(request),
        )
        return answer(request, reply, result)
      },
    )

    app.post(
      '/password-prompt/skip',
      {
        schema: {
          tags: ['auth'],
          summary: 'Skip the reset-password prompt where allowed; answers with a full session',
          response: { 200: SessionAnswer },
        },
      },
      async (request, reply) => {
        const { tenant, session } = await currentSession(request, 'reset-prompt')
        return answer(request, reply, await resetPrompt.skip(tenant, session, client(request)))
      },
    )

    app.post(
      '/change-password',
      {
        // The current password is verified here: limited like sign-in against guessing with a stolen session.
        config: signInRateLimit(config),
        schema: {
          tags: ['auth'],
          summary:
            "Change the signed-in user's own password; the user's other sessions end, this one is kept",
          body: ChangePasswordBody,
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        const { tenant, session } = await currentSession(request, 'full')
        await account.changePassword(tenant, session, {
          currentPassword: request.body.currentPassword,
          newPassword: request.body.newPassword,
          confirmation: request.body.confirmPassword,
        })
        return reply.code(204).send(null)
      },
    )
  }
}
