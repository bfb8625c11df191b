import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { IdParam } from '../schemas.ts'

const Mode = Type.Union(
  [Type.Literal('email-link'), Type.Literal('email-otp'), Type.Literal('offline-otp')],
  {
    description: "Overrides the tenant's reset mode for this request",
  },
)

const TriggerBody = Type.Object({ mode: Type.Optional(Mode) }, { additionalProperties: false })

const TriggerResult = Type.Object({
  userId: Type.String(),
  mode: Mode,
  expiresAt: Type.String({
    format: 'date-time',
    description: 'When the link or one-time password stops working',
  }),
  sessionsRevoked: Type.Integer(),
  messageId: Type.Union([Type.String(), Type.Null()], { description: 'The queued email (email modes)' }),
})

/** Forcing a user to replace the password: trigger, cancel, and the offline one-time password. */
export function forcedResetRoutes(container: Container): FastifyPluginAsyncTypebox {
  const { users, forcedResets } = container
  return async (app) => {
    app.post(
      '/users/:id/force-password-reset',
      {
        config: { permission: 'reset:force' },
        // The body is optional: `curl -X POST …/force-password-reset` uses the tenant's mode.
        preValidation: async (request) => {
          request.body ??= {}
        },
        schema: {
          tags: ['users'],
          summary: 'Force a password reset (locks the account, ends its sessions, sends the link or code)',
          params: IdParam,
          body: TriggerBody,
          response: { 200: TriggerResult },
        },
      },
      async (request) => {
        const tenant = tenantOf(request)
        const user = await users.require(tenant, request.params.id)
        return forcedResets.trigger(tenant, user, {
          mode: request.body?.mode,
          actor: principalOf(request).actor,
          channel: 'admin-api',
        })
      },
    )

    app.delete(
      '/users/:id/force-password-reset',
      {
        config: { permission: 'reset:force' },
        schema: {
          tags: ['users'],
          summary: 'Cancel a pending forced reset (unlocks, voids the link or code)',
          params: IdParam,
          response: { 200: Type.Object({ cancelled: Type.Boolean() }) },
        },
      },
      async (request) => {
        const tenant = tenantOf(request)
        const user = await users.require(tenant, request.params.id)
        return {
          cancelled: await forcedResets.cancel(tenant, user, {
            actor: principalOf(request).actor,
            channel: 'admin-api',
          }),
        }
      },
    )

    app.get(
      '/users/:id/one-time-password',
      {
        config: { permission: 'reset:force' },
        schema: {
          tags: ['users'],
          summary: "Read a user's live offline one-time password (the read is audited)",
          params: IdParam,
          response: {
            200: Type.Object({
              oneTimePassword: Type.Union([Type.String(), Type.Null()], {
                description: 'Null when no offline reset is pending or its code expired or was used',
              }),
            }),
          },
        },
      },
      async (request) => {
        const tenant = tenantOf(request)
        const user = await users.require(tenant, request.params.id)
        const otp = await forcedResets.readOfflineOtp(tenant, user, principalOf(request).actor)
        return { oneTimePassword: otp ?? null }
      },
    )
  }
}
