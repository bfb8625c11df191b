import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import { normalizeTenantDomain } from '../../domain/tenant.ts'
import { AppError } from '../../errors/app-error.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import type { SessionPurpose } from '../../persistence/tables.ts'
import { tenantOf } from '../admin-auth-hook.ts'
import { IsoDate } from '../schemas.ts'
import { signInRateLimit } from '../sign-in-rate-limit.ts'
import { tenantResolver } from '../tenant-resolver.ts'
import { cookieWritesAreJsonOnly } from './json-only.ts'
import { SessionAnswer, sendSession } from './session-answer.ts'
import { sessionCookie } from './session-cookie.ts'

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 320 }),
    password: Type.String({ minLength: 1, maxLength: 4096 }),
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    context: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 255 }), Type.String({ maxLength: 1024 }), {
        maxProperties: 32,
        description:
          'Attributes of this sign-in; the reset-password prompt reads its attribute here when `reset_prompt.attribute_source` is `login-context`',
      }),
    ),
  },
  { additionalProperties: false },
)

const NewPasswordBody = Type.Object(
  { newPassword: Type.String({ minLength: 1, maxLength: 4096 }) },
  { additionalProperties: false },
)

const CurrentSession = Type.Object({
  sessionId: Type.String(),
  expiresAt: IsoDate,
  user: Type.Object({ id: Type.String(), tenant: Type.String() }),
})

export interface AuthApiOptions {
  isTenantScoped: boolean
}

export function presentedSession(request: FastifyRequest, cookieName: string): string | undefined {
  const authorization = request.headers.authorization
  if (authorization && /^bearer /i.test(authorization)) return authorization.slice(7).trim()
  return request.cookies[cookieName]
}

/**
 * The request's session of the given purpose (bearer value or the tenant's cookie), with its
 * tenant; `auth.required` when there is none. Every signed-in user route starts here.
 */
export async function requireSession(
  request: FastifyRequest,
  container: Pick<Container, 'config' | 'sessions'>,
  purpose: SessionPurpose = 'full',
) {
  const tenant = tenantOf(request)
  const presented = presentedSession(request, sessionCookie(container.config, tenant.domain).name)
  const session = presented ? await container.sessions.authenticate(tenant, presented, purpose) : undefined
  if (!session) throw new AppError('auth.required')
  return { tenant, session }
}

/** The sign-in API: creates, reads and ends server-side sessions. */
export function authApi(container: Container, options: AuthApiOptions): FastifyPluginAsyncTypebox {
  const { login, sessions, tenants, config, forcedResets } = container
  return async (app) => {
    app.addHook('onRequest', tenantResolver(tenants))
    app.addHook('onRequest', cookieWritesAreJsonOnly)

    async function loginTenant(request: FastifyRequest, bodyTenant: string | undefined): Promise<TenantRow> {
      const fromUrl = tenantOf(request)
      if (bodyTenant === undefined) return fromUrl
      if (options.isTenantScoped && normalizeTenantDomain(bodyTenant) !== fromUrl.domain) {
        throw new AppError('request.invalid', {
          detail: 'The tenant in the body differs from the tenant in the URL.',
        })
      }
      return normalizeTenantDomain(bodyTenant) === fromUrl.domain ? fromUrl : tenants.require(bodyTenant)
    }

    app.post(
      '/login',
      {
        config: signInRateLimit(config),
        schema: {
          tags: ['auth'],
          summary: 'Sign in with user name and password',
          body: LoginBody,
          response: { 200: SessionAnswer },
        },
      },
      async (request, reply) => {
        const tenant = await loginTenant(request, request.body.tenant)
        const result = await login.login({
          tenant,
          username: request.body.username,
          password: request.body.password,
          client: { address: request.ip, userAgent: request.headers['user-agent'] ?? null },
          ...(request.body.context ? { context: request.body.context } : {}),
        })
        return sendSession(config, tenant.domain, reply, result)
      },
    )

    app.post(
      '/password',
      {
        config: signInRateLimit(config),
        schema: {
          tags: ['auth'],
          summary:
            'Set the new password of a forced reset, with the restricted session the one-time password opened',
          body: NewPasswordBody,
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        const { tenant, session } = await currentSession(request, 'password-reset')
        await forcedResets.setNewPassword(tenant, session, request.body.newPassword)
        const cookie = sessionCookie(config, tenant.domain)
        reply.clearCookie(cookie.name, cookie.options)
        reply.header('cache-control', 'no-store')
        return reply.code(204).send(null)
      },
    )

    const currentSession = (request: FastifyRequest, purpose: SessionPurpose = 'full') =>
      requireSession(request, container, purpose)

    app.get(
      '/session',
      {
        schema: { tags: ['auth'], summary: 'The current session', response: { 200: CurrentSession } },
      },
      async (request) => {
        const { tenant, session } = await currentSession(request)
        return {
          sessionId: session.id,
          expiresAt: new Date(session.expires_at).toISOString(),
          user: { id: session.user_id, tenant: tenant.domain },
        }
      },
    )

    app.post(
      '/logout',
      {
        config: { bodilessCookieWrite: true },
        schema: { tags: ['auth'], summary: 'End the current session', response: { 204: Type.Null() } },
      },
      async (request, reply: FastifyReply) => {
        const { tenant, session } = await currentSession(request)
        await sessions.revoke(tenant, session, { kind: 'user', id: session.user_id, name: session.user_id })
        const cookie = sessionCookie(config, tenant.domain)
        reply.clearCookie(cookie.name, cookie.options)
        return reply.code(204).send(null)
      },
    )
  }
}
