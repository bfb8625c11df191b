import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../container.ts'
import { AppError } from '../../errors/app-error.ts'
import { consoleStylesheetUrl, stylesheetUrl } from '../pages/assets.ts'
import { pageCsrfGuard } from '../pages/kit.ts'
import { returnPath } from '../pages/return-path.ts'
import { toAppError } from '../problem.ts'
import { consoleSecurityHeaders } from '../security-headers.ts'
import { tenantResolver } from '../tenant-resolver.ts'
import { ConsoleKit } from './kit.ts'
import { auditPages } from './routes/audit.ts'
import { bulkResetPages } from './routes/bulk-reset.ts'
import { emailPages } from './routes/email.ts'
import { homePage } from './routes/home.ts'
import { rolePages } from './routes/roles.ts'
import { settingsPages } from './routes/settings.ts'
import { tenantPages } from './routes/tenants.ts'
import { userPages } from './routes/users.ts'
import { ConsoleViews } from './views.ts'

/** The permissions that make a signed-in user an administrator: any but `login`. */
function isAdministrator(request: FastifyRequest): boolean {
  return [...(request.principal?.permissions ?? [])].some((permission) => permission !== 'login')
}

/**
 * The admin console of one URL space (`/console`, `/t/{tenant}/console`): server-rendered pages
 * on the same use cases as the admin API. Signing in is the end-user sign-in (every login
 * check, forced resets and prompts included); the console reads that session's cookie and
 * the user's roles on every request, so a revoked session or a role taken away applies at once.
 * Each route names the permission it needs (a route without one fails at start); a request
 * without it gets a 403 page whatever the navigation showed. Every form carries a CSRF token.
 */
export function adminConsole(container: Container, views: ConsoleViews = new ConsoleViews()) {
  return async (app: FastifyInstance) => {
    const kit = new ConsoleKit(container, views, pageCsrfGuard(container), [
      stylesheetUrl,
      consoleStylesheetUrl,
    ])
    const headers = consoleSecurityHeaders()

    app.addHook('onRoute', (route) => {
      if (!route.config?.permission && !route.config?.consoleLanding)
        throw new Error(`console route ${route.method} ${route.url} declares no permission`)
    })
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers)
      done()
    })
    app.addHook('onRequest', tenantResolver(container.tenants))
    app.addHook('onRequest', async (request, reply) => {
      const principal = await kit.principalOf(request)
      if (!principal) return toSignIn(request, reply)
      request.principal = principal
      if (!isAdministrator(request))
        return kit.message(request, reply, 403, {
          title: 'No access to the console',
          body: 'Your account has no administrator permissions in this organisation. Ask an administrator to give you a role that has them.',
          link: { href: `${kit.place(request).base}/myaccount`, text: 'Go to My Account' },
        })
      const required = request.routeOptions.config.permission
      if (required && !principal.permissions.has(required))
        return kit.message(request, reply, 403, {
          title: 'Not permitted',
          body: `This needs the ${required} permission, which your roles do not grant. Nothing was changed.`,
          link: { href: kit.place(request).root, text: 'Back to the console' },
        })
    })

    /** To the sign-in page, which brings the browser back here after a full sign-in. */
    function toSignIn(request: FastifyRequest, reply: FastifyReply) {
      const { base } = kit.place(request)
      const here = request.method === 'GET' ? returnPath(request.url.slice(base.length)) : undefined
      const next = encodeURIComponent(here ?? '/console')
      const notice = request.method === 'GET' ? '' : '&m=session-ended'
      return reply.code(303).redirect(`${base}/login?next=${next}${notice}`)
    }

    app.setErrorHandler((error: unknown, request, reply) => {
      const appError = toAppError(error)
      if (appError.status >= 500)
        request.log.error({ err: error, code: appError.code }, 'console page failed')
      return kit.message(request, reply, appError.status, {
        title:
          appError.status === 404
            ? 'Not found'
            : appError.status >= 500
              ? 'Something went wrong'
              : 'Not possible',
        body:
          appError.status >= 500
            ? 'The server could not complete this. Nothing was half-done; try again in a moment.'
            : (appError.details.detail ?? appError.title),
        link: { href: request.tenant ? kit.place(request).root : '/console', text: 'Back to the console' },
      })
    })
    app.setNotFoundHandler((request, reply) => {
      if (!request.principal) return toSignIn(request, reply)
      throw new AppError('route.not-found', { detail: 'There is no console page at this address.' })
    })

    await app.register(homePage(container, kit))
    await app.register(userPages(container, kit))
    await app.register(bulkResetPages(container, kit))
    await app.register(rolePages(container, kit))
    await app.register(settingsPages(container, kit))
    await app.register(emailPages(container, kit))
    await app.register(auditPages(container, kit))
    await app.register(tenantPages(container, kit))
  }
}
