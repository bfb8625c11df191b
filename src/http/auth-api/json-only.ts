import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../../errors/app-error.ts'

/**
 * The sign-in API takes the session cookie as well as the bearer value. Threat: a page on a
 * sibling site (SameSite=Lax lets same-site posts carry the cookie) posting an HTML form to
 * set a password or skip a prompt with the victim's session. Forms can only send urlencoded,
 * multipart or text/plain bodies, and a cross-origin JSON request needs a CORS preflight this
 * server never grants; so a write that relies on the cookie must be JSON. Requests with an
 * Authorization header carry their credential explicitly and are not affected.
 */
export async function cookieWritesAreJsonOnly(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (request.method === 'GET' || request.method === 'HEAD' || request.headers.authorization) return
  const bodiless =
    request.headers['content-type'] === undefined && (request.headers['content-length'] ?? '0') === '0'
  if (bodiless && request.routeOptions.config?.bodilessCookieWrite) return
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json')
    throw new AppError('request.unsupported-media-type', {
      detail: 'Send the request as application/json (or authenticate with an Authorization header).',
    })
}
