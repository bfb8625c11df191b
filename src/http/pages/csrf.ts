import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** The hidden form field that carries the token. */
export const CSRF_FIELD = 'csrf'

export interface CsrfOptions {
  /** The server secret; the CSRF key is derived from it, so every instance agrees. */
  secretKey: Buffer
  /** Users reach us over HTTPS: the cookie is Secure and takes the `__Host-` prefix. */
  secure: boolean
  /** The origin users reach us at (from `server.public_url`), also accepted in `Origin`. */
  publicOrigin: string
}

/**
 * Cross-site request forgery defence of the page forms (decision 0015), in two independent
 * layers, both checked on every POST:
 *
 * 1. Fetch metadata and origin: a browser says where a request comes from. `Sec-Fetch-Site`
 *    other than `same-origin` (or `none`), or an `Origin` that names another origin, is
 *    refused before anything else is read. `Origin: null` is not refused: the pages' own
 *    `Referrer-Policy: no-referrer` makes browsers send exactly that on every form post, so it
 *    says nothing about the sender; `Sec-Fetch-Site` and the token still decide.
 * 2. A token bound to the browser: a random per-browser secret lives in an HttpOnly cookie
 *    (`__Host-` prefixed under TLS, so a sibling subdomain cannot plant or overwrite it); the
 *    form carries HMAC(key, tenant, secret). A forger can neither read the cookie nor compute
 *    the HMAC; the comparison is constant-time. Binding the tenant keeps a token of one
 *    tenant's page from being replayed on another's.
 *
 * The token does not change per form or per request, so the back button and several tabs keep
 * working; it changes when the cookie does.
 */
export class CsrfGuard {
  readonly cookieName: string
  private readonly key: Buffer

  constructor(private readonly options: CsrfOptions) {
    this.cookieName = options.secure ? '__Host-rekey_csrf' : 'rekey_csrf'
    this.key = createHmac('sha256', options.secretKey).update('rekey page csrf v1').digest()
  }

  /** The token for this browser's forms, setting the browser's secret first when it has none. */
  tokenFor(request: FastifyRequest, reply: FastifyReply, tenantDomain: string): string {
    let secret = this.browserSecret(request)
    if (!secret) {
      secret = randomBytes(32).toString('base64url')
      reply.setCookie(this.cookieName, secret, {
        httpOnly: true,
        secure: this.options.secure,
        // Lax: sent when the user follows an emailed link, so the page it opens has a usable
        // token; never sent on a cross-site POST.
        sameSite: 'lax',
        path: '/',
      })
      // A later `tokenFor` in the same request must see the secret just issued.
      request.cookies[this.cookieName] = secret
    }
    return this.sign(secret, tenantDomain)
  }

  /** Whether a form POST is genuine. Never throws: a refusal is the caller's "form expired" page. */
  verify(request: FastifyRequest, tenantDomain: string, submitted: unknown): boolean {
    if (!this.fromOurOrigin(request)) return false
    const secret = this.browserSecret(request)
    if (!secret || typeof submitted !== 'string' || submitted.length > 128) return false
    const expected = Buffer.from(this.sign(secret, tenantDomain))
    const given = Buffer.from(submitted)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  private fromOurOrigin(request: FastifyRequest): boolean {
    const site = request.headers['sec-fetch-site']
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return false
    const origin = request.headers.origin
    if (origin === undefined || origin === 'null') return true
    return origin === this.options.publicOrigin || origin === `${request.protocol}://${request.host}`
  }

  private browserSecret(request: FastifyRequest): string | undefined {
    const value = request.cookies[this.cookieName]
    return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined
  }

  private sign(secret: string, tenantDomain: string): string {
    return createHmac('sha256', this.key).update(`${tenantDomain}\0${secret}`).digest('base64url')
  }
}
