import type { FastifyReply, FastifyRequest } from 'fastify'
import { publicUrl } from '../../config/semantics.ts'
import type { Container } from '../../container.ts'
import { DEFAULT_TENANT } from '../../domain/tenant.ts'
import { AppError } from '../../errors/app-error.ts'
import type { LoginResult } from '../../flows/login/service.ts'
import type { SessionRow } from '../../persistence/repositories/sessions.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import type { SessionPurpose } from '../../persistence/tables.ts'
import { tenantOf } from '../admin-auth-hook.ts'
import { sessionCookie } from '../auth-api/session-cookie.ts'
import { CSRF_FIELD, CsrfGuard } from './csrf.ts'
import { type FormErrors, noErrors } from './form-errors.ts'
import { negotiateLocale, type Translate, translator } from './messages/catalogue.ts'
import type { PageViews, ViewName } from './views.ts'

/** Where a page lives and who reads it. */
export interface PageContext {
  tenant: TenantRow
  /** `''` for the default tenant, `/t/{domain}` for the others: prefixed to every link. */
  base: string
  locale: string
  t: Translate
}

export interface PageModel {
  title: string
  errors?: FormErrors
  [key: string]: unknown
}

/** Reads a form field as text: absent, repeated or non-text values read as empty. */
export function formField(body: unknown, name: string, maxLength = 4096): string {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined
  return typeof value === 'string' ? value.slice(0, maxLength + 1) : ''
}

/**
 * The CSRF guard of the server's page forms (end-user pages and console alike): keyed from the
 * server secret and the public URL, so a token from either surface's page verifies on both.
 */
export function pageCsrfGuard(container: Container): CsrfGuard {
  const url = publicUrl(container.config)
  return new CsrfGuard({
    secretKey: container.secretKey,
    secure: url.startsWith('https:'),
    publicOrigin: new URL(url).origin,
  })
}

/**
 * What every page handler needs: its context, rendering with the layout's shared values,
 * the CSRF guard, the session cookie, and redirects inside the tenant's URL space.
 */
export class PageKit {
  readonly csrf: CsrfGuard

  constructor(
    private readonly container: Container,
    private readonly views: PageViews,
    readonly stylesheetUrl: string,
  ) {
    this.csrf = pageCsrfGuard(container)
  }

  context(request: FastifyRequest): PageContext {
    const tenant = tenantOf(request)
    return { tenant, ...this.place(request) }
  }

  /**
   * Renders a page in the layout. Also used by the error handler, where the tenant may be
   * unknown (an unknown `/t/{tenant}`): the page then renders without one.
   */
  render(request: FastifyRequest, reply: FastifyReply, view: ViewName, model: PageModel, status = 200) {
    const place = this.place(request)
    const domain = request.tenant?.domain ?? ''
    const html = this.views.render(view, {
      ...model,
      errors: model.errors ?? noErrors,
      t: place.t,
      lang: place.locale,
      base: place.base,
      tenantLabel: domain === DEFAULT_TENANT || domain === '' ? null : domain,
      stylesheet: this.stylesheetUrl,
      csrfField: CSRF_FIELD,
      csrfToken: this.csrf.tokenFor(request, reply, domain),
    })
    return reply.code(status).type('text/html; charset=utf-8').send(html)
  }

  /** Base path and language, also for a request whose tenant is unknown. */
  place(request: FastifyRequest): Omit<PageContext, 'tenant'> {
    const domain = request.tenant?.domain ?? DEFAULT_TENANT
    const locale = negotiateLocale(request.headers['accept-language'])
    return { base: domain === DEFAULT_TENANT ? '' : `/t/${domain}`, locale, t: translator(locale) }
  }

  /** 303: after a POST the browser follows with a GET, so reloading never re-submits. */
  redirect(request: FastifyRequest, reply: FastifyReply, path: string) {
    return reply.code(303).redirect(`${this.context(request).base}${path}`)
  }

  /** The live session of the given purpose the browser holds for this tenant, if any. */
  async session(request: FastifyRequest, purpose: SessionPurpose): Promise<SessionRow | undefined> {
    const tenant = tenantOf(request)
    const token = request.cookies[sessionCookie(this.container.config, tenant.domain).name]
    if (!token || token.length > 256) return undefined
    return this.container.sessions.authenticate(tenant, token, purpose)
  }

  setSession(request: FastifyRequest, reply: FastifyReply, result: LoginResult): void {
    const cookie = sessionCookie(this.container.config, tenantOf(request).domain)
    reply.setCookie(cookie.name, result.token, { ...cookie.options, expires: new Date(result.expiresAt) })
  }

  clearSession(request: FastifyRequest, reply: FastifyReply): void {
    const cookie = sessionCookie(this.container.config, tenantOf(request).domain)
    reply.clearCookie(cookie.name, cookie.options)
  }

  /** Whether a POST passed the CSRF checks; on refusal the "form expired" page is already sent. */
  acceptsForm(request: FastifyRequest, reply: FastifyReply, retryPath = '/login'): boolean {
    // Pages post HTML forms only; a script-made JSON or text body is not one of ours.
    if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? ''))
      throw new AppError('request.unsupported-media-type')
    const page = this.context(request)
    if (this.csrf.verify(request, page.tenant.domain, formField(request.body, CSRF_FIELD, 128))) return true
    request.log.info({ reason: 'csrf' }, 'page form refused')
    this.render(
      request,
      reply,
      'message',
      {
        title: page.t('form-expired.title'),
        heading: page.t('form-expired.title'),
        body: page.t('form-expired.body'),
        link: { href: `${page.base}${retryPath}`, text: page.t('form-expired.reload') },
      },
      403,
    )
    return false
  }
}
