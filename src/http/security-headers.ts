import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export interface SecurityHeaderOptions {
  /** Send Strict-Transport-Security: only when users reach Rekey over HTTPS. */
  hsts: boolean
}

/**
 * The hardening headers of every answer. The JSON APIs serve no documents, so the policy
 * forbids everything; a page surface that needs more sets its own policy on its own scope.
 */
export function securityHeaders(options: SecurityHeaderOptions): Readonly<Record<string, string>> {
  return Object.freeze({
    // Threat: an answer opened in a browser running script, loading content or being framed.
    'content-security-policy': "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
    // Threat: cross-origin windows and documents reaching into ours (Spectre-class leaks).
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    // Threat: reset links and codes leaking to third parties through the Referer header.
    'referrer-policy': 'no-referrer',
    // Threat: content sniffing turning a JSON answer into script or HTML.
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    // Threat: clickjacking, for browsers that predate frame-ancestors.
    'x-frame-options': 'SAMEORIGIN',
    'x-permitted-cross-domain-policies': 'none',
    // The legacy XSS auditor introduced leaks of its own; modern guidance is to turn it off.
    'x-xss-protection': '0',
    ...(options.hsts ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  })
}

/**
 * What the end-user pages add over `securityHeaders` on their own scope. Threats: injected
 * markup running script (no script source at all, styles only from our own stylesheet),
 * forms posting elsewhere, framing (clickjacking), `<base>` hijacking relative links; and
 * pages with CSRF tokens, reset tokens or account details kept in shared caches or the
 * back-button history after sign-out (`no-store`).
 */
export function pageSecurityHeaders(): Readonly<Record<string, string>> {
  return Object.freeze({
    'content-security-policy':
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
  })
}

/**
 * The admin console's headers: those of the end-user pages, and frames of our own origin only
 * (the email template preview shows a rendered message in a sandboxed frame). Still no script
 * source at all.
 */
export function consoleSecurityHeaders(): Readonly<Record<string, string>> {
  return Object.freeze({
    ...pageSecurityHeaders(),
    'content-security-policy':
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  })
}

/**
 * Sets the headers on every reply, errors and 404s included. They are computed once: building
 * them per request (as general-purpose middleware does) costs more than some whole answers.
 */
export const securityHeadersPlugin = fp(
  async (app: FastifyInstance, options: SecurityHeaderOptions) => {
    const headers = securityHeaders(options)
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers)
      done()
    })
  },
  { name: 'rekey-security-headers' },
)

/**
 * The headers of a rendered email the console shows in its preview frame (a template with
 * sample values, a draft, a mailbox message), replacing the console's own on that answer.
 * Threats: message HTML an administrator or a template author wrote running script, submitting
 * forms or reaching the console (`sandbox` with no allowances gives the document an opaque
 * origin and no script; no script source either), loading remote content that would tell an
 * outsider the message was opened (inline styles and data: images only), and the preview being
 * framed by another site (`frame-ancestors 'self'`, and X-Frame-Options for older browsers).
 */
export function emailPreviewHeaders(): Readonly<Record<string, string>> {
  return Object.freeze({
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox",
    'x-frame-options': 'SAMEORIGIN',
    'cache-control': 'no-store',
  })
}
