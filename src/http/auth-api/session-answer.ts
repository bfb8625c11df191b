import type { FastifyReply } from 'fastify'
import Type from 'typebox'
import type { Config } from '../../config/schema.ts'
import type { LoginResult } from '../../flows/login/service.ts'
import { IsoDate } from '../schemas.ts'
import { sessionCookie } from './session-cookie.ts'

/** The answer of every call that opens a sign-in session: login, and the reset-password prompt. */
export const SessionAnswer = Type.Object({
  sessionId: Type.String(),
  token: Type.String({ description: 'Bearer value; also set as an HttpOnly cookie' }),
  tokenType: Type.Literal('Bearer'),
  expiresAt: IsoDate,
  user: Type.Object({ id: Type.String(), username: Type.String(), tenant: Type.String() }),
  requiredAction: Type.Optional(
    Type.Union([Type.Literal('set-password'), Type.Literal('reset-password-prompt')], {
      description:
        '`set-password`: the one-time password of a forced reset was accepted; this session can only set a new password (POST /api/auth/password). `reset-password-prompt`: the password was right but must be replaced; this session can only set a new password (POST /api/auth/password-prompt) or, with `allowSkip`, skip (POST /api/auth/password-prompt/skip)',
    }),
  ),
  allowSkip: Type.Optional(
    Type.Boolean({ description: 'With `reset-password-prompt`: whether skipping is allowed' }),
  ),
  promptReason: Type.Optional(
    Type.Union([Type.Literal('attribute'), Type.Literal('password-expired')], {
      description:
        'With `reset-password-prompt`: the user attribute asked for a new password, or the password is older than the policy allows',
    }),
  ),
  reason: Type.Optional(Type.Literal('reset.otp-accepted')),
  legacyCode: Type.Optional(Type.Literal(17007)),
})

export function toSessionAnswer(result: LoginResult) {
  return {
    sessionId: result.sessionId,
    token: result.token,
    tokenType: 'Bearer' as const,
    expiresAt: new Date(result.expiresAt).toISOString(),
    user: result.user,
    ...(result.requiredAction === 'set-password'
      ? {
          requiredAction: 'set-password' as const,
          reason: 'reset.otp-accepted' as const,
          legacyCode: 17007 as const,
        }
      : {}),
    ...(result.requiredAction === 'reset-password-prompt' && result.prompt
      ? {
          requiredAction: 'reset-password-prompt' as const,
          allowSkip: result.prompt.allowSkip,
          promptReason: result.prompt.reason,
        }
      : {}),
  }
}

/**
 * Answers with a new session: the bearer value in the body and the HttpOnly cookie for the
 * tenant, never cached (the body holds the session's secret).
 */
export function sendSession(config: Config, tenantDomain: string, reply: FastifyReply, result: LoginResult) {
  const cookie = sessionCookie(config, tenantDomain)
  reply.setCookie(cookie.name, result.token, { ...cookie.options, expires: new Date(result.expiresAt) })
  reply.header('cache-control', 'no-store')
  return toSessionAnswer(result)
}
