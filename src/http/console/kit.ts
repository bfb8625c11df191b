import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Principal } from '../../admin/admin-authenticator.ts'
import type { Container } from '../../container.ts'
import type { Permission } from '../../domain/permissions.ts'
import { DEFAULT_TENANT } from '../../domain/tenant.ts'
import { AppError } from '../../errors/app-error.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { tenantOf } from '../admin-auth-hook.ts'
import { sessionCookie } from '../auth-api/session-cookie.ts'
import { CSRF_FIELD, type CsrfGuard } from '../pages/csrf.ts'
import { formField } from '../pages/kit.ts'
import { translator } from '../pages/messages/catalogue.ts'
import { type ConsoleErrors, noConsoleErrors } from './form-errors.ts'
import { consoleNotice } from './notices/index.ts'
import { visibleSections } from './sections.ts'
import type { ConsoleViews } from './views.ts'

/** Where a console page lives and who is looking at it. */
export interface ConsoleContext {
  tenant: TenantRow
  principal: Principal
  /** `''` for the default tenant, `/t/{domain}` for the others. */
  base: string
  /** `{base}/console`: prefixed to every console link. */
  root: string
  isDefaultTenant: boolean
}

export interface ConsoleModel {
  title: string
  /** The navigation section the page belongs to (`users`, `roles`, …). */
  section?: string
  errors?: ConsoleErrors
  notice?: string | undefined
  [key: string]: unknown
}

/** The end-user pages' translator: the shared parts (`layout.error-prefix`) read it. */
const english = translator('en')

/**
 * What every console handler needs: the signed-in administrator, rendering in the console's
 * layout (navigation filtered by permission, CSRF token, notices), redirects inside the
 * console, and the CSRF check of forms.
 */
export class ConsoleKit {
  constructor(
    private readonly container: Container,
    private readonly views: ConsoleViews,
    private readonly csrf: CsrfGuard,
    private readonly stylesheets: readonly string[],
  ) {}

  /** Base paths of a request's URL space, also when its tenant is unknown. */
  place(request: FastifyRequest): { base: string; root: string; isDefaultTenant: boolean } {
    const domain = request.tenant?.domain ?? DEFAULT_TENANT
    const base = domain === DEFAULT_TENANT ? '' : `/t/${domain}`
    return { base, root: `${base}/console`, isDefaultTenant: domain === DEFAULT_TENANT }
  }

  context(request: FastifyRequest): ConsoleContext {
    const principal = request.principal
    if (!principal) throw new AppError('auth.required')
    return { tenant: tenantOf(request), principal, ...this.place(request) }
  }

  can(request: FastifyRequest, permission: Permission): boolean {
    return request.principal?.permissions.has(permission) ?? false
  }

  /** The administrator of the browser's full sign-in session in this tenant, if any. */
  async principalOf(request: FastifyRequest): Promise<Principal | undefined> {
    const tenant = tenantOf(request)
    const token = request.cookies[sessionCookie(this.container.config, tenant.domain).name]
    if (!token || token.length > 256) return undefined
    return this.container.adminAuth.sessionPrincipal(tenant, token)
  }

  render(request: FastifyRequest, reply: FastifyReply, view: string, model: ConsoleModel, status = 200) {
    const { base, root, isDefaultTenant } = this.place(request)
    const principal = request.principal
    const domain = request.tenant?.domain ?? ''
    const html = this.views.render(view, {
      ...model,
      errors: model.errors ?? noConsoleErrors,
      notice: model.notice ?? consoleNotice(request.query),
      t: english,
      base,
      root,
      stylesheets: this.stylesheets,
      tenantLabel: request.tenant?.domain ?? null,
      who: principal?.actor.name ?? null,
      nav: principal ? visibleSections(principal.permissions, isDefaultTenant) : [],
      can: (permission: Permission) => principal?.permissions.has(permission) ?? false,
      csrfField: CSRF_FIELD,
      csrfToken: request.tenant ? this.csrf.tokenFor(request, reply, domain) : '',
    })
    return reply.code(status).type('text/html; charset=utf-8').send(html)
  }

  /** A page with one message (errors, refusals), in the console's look. */
  message(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    text: { title: string; body: string; link?: { href: string; text: string } },
  ) {
    return this.render(request, reply, 'message', { ...text, heading: text.title }, status)
  }

  /** 303 to a console path: after a POST the browser follows with a GET, so reloading never re-submits. */
  redirect(request: FastifyRequest, reply: FastifyReply, path: string, done?: string) {
    const target = `${this.place(request).root}${path}`
    const withNotice = done
      ? `${target}${target.includes('?') ? '&' : '?'}done=${encodeURIComponent(done)}`
      : target
    return reply.code(303).redirect(withNotice)
  }

  /** Whether a POST passed the CSRF checks; on refusal the "form expired" page is already sent. */
  acceptsForm(request: FastifyRequest, reply: FastifyReply): boolean {
    if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? ''))
      throw new AppError('request.unsupported-media-type')
    const domain = tenantOf(request).domain
    if (this.csrf.verify(request, domain, formField(request.body, CSRF_FIELD, 128))) return true
    request.log.info({ reason: 'csrf' }, 'console form refused')
    this.message(request, reply, 403, {
      title: 'This form has expired',
      body: 'The page was open too long or came from somewhere else. Nothing was changed. Open the page again and repeat what you did.',
      link: { href: `${this.place(request).root}`, text: 'Back to the console' },
    })
    return false
  }
}
