import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import type { Container } from '../../src/container.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'

export interface PageAnswer {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  body: string
  /** The redirect target, for 3xx answers. */
  location: string | undefined
}

/**
 * A browser-like client of the end-user pages over `app.inject`: it keeps cookies between
 * requests (by name; tenants' cookies have distinct names) and reads the CSRF token of the
 * last page it was shown, as a form would send it. No answer may be a 5xx.
 */
export class PageClient {
  readonly cookies = new Map<string, string>()
  lastPage = ''

  constructor(private readonly app: FastifyInstance) {}

  async get(url: string, headers: Record<string, string> = {}): Promise<PageAnswer> {
    const answer = await this.send('GET', url, undefined, headers)
    if (answer.status === 200) this.lastPage = answer.body
    return answer
  }

  /** Posts a form; the CSRF token of the last page is added unless `csrf` says otherwise. */
  async post(
    url: string,
    fields: Record<string, string>,
    options: { csrf?: string | false; headers?: Record<string, string> } = {},
  ): Promise<PageAnswer> {
    const csrf = options.csrf === undefined ? csrfToken(this.lastPage) : options.csrf
    const form = new URLSearchParams({ ...fields, ...(csrf === false ? {} : { csrf }) }).toString()
    const answer = await this.send('POST', url, form, {
      'content-type': 'application/x-www-form-urlencoded',
      ...(options.headers ?? {}),
    })
    if (answer.status === 200 || answer.status === 400 || answer.status === 401) this.lastPage = answer.body
    return answer
  }

  /** Follows a 303 with a GET, as a browser does. */
  async follow(answer: PageAnswer): Promise<PageAnswer> {
    assert.equal(
      answer.status,
      303,
      `expected a redirect, got ${answer.status}: ${answer.body.slice(0, 500)}`,
    )
    return this.get(answer.location!)
  }

  private async send(
    method: 'GET' | 'POST',
    url: string,
    payload: string | undefined,
    headers: Record<string, string>,
  ): Promise<PageAnswer> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const response = await this.app.inject({
      method,
      url,
      ...(payload !== undefined ? { payload } : {}),
      headers: { ...(cookie ? { cookie } : {}), ...headers },
    })
    assert.ok(response.statusCode < 500, `${method} ${url} answered ${response.statusCode}: ${response.body}`)
    for (const set of [response.headers['set-cookie'] ?? []].flat()) this.remember(String(set))
    return {
      status: response.statusCode,
      headers: response.headers,
      body: response.body,
      location: response.headers.location as string | undefined,
    }
  }

  private remember(setCookie: string): void {
    const [pair = '', ...attributes] = setCookie.split(';')
    const separator = pair.indexOf('=')
    const name = pair.slice(0, separator).trim()
    const value = pair.slice(separator + 1).trim()
    const expired = attributes.some((attribute) => {
      const [key = '', raw = ''] = attribute.trim().split('=')
      if (key.toLowerCase() === 'max-age') return Number(raw) <= 0
      // Clearing sets the epoch; a real date is kept whatever the test clock says.
      if (key.toLowerCase() === 'expires') return Date.parse(raw) < 86_400_000
      return false
    })
    if (expired || value === '') this.cookies.delete(name)
    else this.cookies.set(name, value)
  }
}

export function csrfToken(html: string): string {
  return /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
}

/** The page's text without markup, whitespace collapsed: what a reader sees. */
export function pageText(html: string): string {
  return html
    .replace(/<head>[\s\S]*?<\/head>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim()
}

/** The role every page test user has: it grants `login`, as the reference's "test role" does. */
export const STAFF_ROLE = 'staff'
export const EMAIL_CLAIM = 'http://wso2.org/claims/emailaddress'

/**
 * Creates the sign-in role once and a user with it (and an email address) through the admin
 * API; an existing user of that name is replaced. Answers the user's id.
 */
export async function createStaffUser(
  app: FastifyInstance,
  adminAuth: string,
  user: { username: string; password: string; claims?: Record<string, string>; tenantPrefix?: string },
): Promise<string> {
  const prefix = user.tenantPrefix ?? ''
  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    app.inject({
      method,
      url: `${prefix}${url}`,
      headers: { authorization: adminAuth },
      ...(payload ? { payload } : {}),
    })
  const role = await inject('GET', `/api/admin/roles/${STAFF_ROLE}`)
  if (role.statusCode === 404) {
    const created = await inject('POST', '/api/admin/roles', { name: STAFF_ROLE, permissions: ['login'] })
    assert.equal(created.statusCode, 201, created.body)
  }
  const existing = await inject('GET', `/api/admin/users/${encodeURIComponent(user.username)}`)
  if (existing.statusCode === 200) await inject('DELETE', `/api/admin/users/${existing.json().id}`)
  const created = await inject('POST', '/api/admin/users', {
    username: user.username,
    password: user.password,
    roles: [STAFF_ROLE],
    claims: { [EMAIL_CLAIM]: `${user.username.replace(/\W/g, '.')}@example.com`, ...(user.claims ?? {}) },
  })
  assert.equal(created.statusCode, 201, created.body)
  return created.json().id
}

/** Forces a password reset on a user through the admin API, in `mode`; asserts it was started. */
export async function forceResetThroughApi(
  app: FastifyInstance,
  adminAuth: string,
  userId: string,
  mode: 'email-link' | 'email-otp' | 'offline-otp',
): Promise<void> {
  const forced = await app.inject({
    method: 'POST',
    url: `/api/admin/users/${userId}/force-password-reset`,
    headers: { authorization: adminAuth },
    payload: { mode },
  })
  assert.equal(forced.statusCode, 200, forced.body)
}

/** The text of the newest message of the built-in mailbox for an address (the outbox drained first). */
export async function latestMailText(
  container: Container,
  tenant: TenantRow,
  recipient: string,
): Promise<string> {
  await container.outboxWorker.drain()
  const [latest] = await container.outbox.mailbox(tenant, { limit: 1, recipient })
  assert.ok(latest, `a message for ${recipient} in the mailbox`)
  return (await container.outbox.readMailbox(tenant, latest.id, { kind: 'cli', id: null, name: 'cli' })).text
}

/** The reset link's path and query (`/reset-password?token=…`) in a message. */
export function resetLinkPath(text: string): string {
  const link = /https?:\/\/[^\s"<>]+\/reset-password\?token=[\w%-]+/.exec(text)?.[0]
  assert.ok(link, `a reset link in: ${text}`)
  const url = new URL(link)
  return `${url.pathname}${url.search}`
}

/** The one-time password of an `AdminForcedPasswordResetWithOTP` message. */
export function oneTimePassword(text: string): string {
  const otp = /^ {4}([A-Z2-9]{8})$/m.exec(text)?.[1]
  assert.ok(otp, `a one-time password in: ${text}`)
  return otp
}

/**
 * Restores the shipped password policy (user name, common passwords, history of 5) for the
 * tenant: the test configuration relaxes it, and these pages must show its refusals.
 */
export async function useShippedPasswordPolicy(app: FastifyInstance, adminAuth: string, tenantPrefix = '') {
  const answer = await app.inject({
    method: 'PATCH',
    url: `${tenantPrefix}/api/admin/password-policy`,
    headers: { authorization: adminAuth },
    payload: { forbidUserName: true, checkCommonPasswords: true, historyCount: 5 },
  })
  assert.equal(answer.statusCode, 200, answer.body)
}
