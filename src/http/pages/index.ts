import type { FastifyInstance } from 'fastify'
import type { Container } from '../../container.ts'
import { pageSecurityHeaders } from '../security-headers.ts'
import { tenantResolver } from '../tenant-resolver.ts'
import { stylesheetUrl } from './assets.ts'
import { pageErrorHandler } from './error-handler.ts'
import { PageKit } from './kit.ts'
import { accountPages } from './routes/account.ts'
import { forgotPasswordPages } from './routes/forgot-password.ts'
import { loginPages } from './routes/login.ts'
import { promptPages } from './routes/prompt.ts'
import { resetPasswordPages } from './routes/reset-password.ts'
import { PageViews } from './views.ts'

export { pageAssets } from './assets.ts'

/**
 * The server-rendered end-user pages of one URL space (the default tenant's root, or
 * `/t/{tenant}`): sign-in, the one-time-password sign-in, the reset page, the reset-password
 * prompt and My Account. They work without script; every form carries a CSRF token; the
 * scope has its own strict Content-Security-Policy and its own error pages.
 */
export function endUserPages(container: Container, views: PageViews = new PageViews()) {
  return async (app: FastifyInstance) => {
    const kit = new PageKit(container, views, stylesheetUrl)
    const headers = pageSecurityHeaders()
    // Runs after the root hook that set the API headers, so the page policy replaces theirs;
    // and before the tenant is resolved, so an unknown tenant's error page has it too.
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers)
      done()
    })
    app.addHook('onRequest', tenantResolver(container.tenants))
    app.setErrorHandler(pageErrorHandler(kit))
    await app.register(loginPages(container, kit))
    await app.register(resetPasswordPages(container, kit))
    await app.register(forgotPasswordPages(container, kit))
    await app.register(promptPages(container, kit))
    await app.register(accountPages(container, kit))
  }
}
