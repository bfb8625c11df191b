import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Container } from '../../container.ts'
import { installAdminAuth } from '../admin-auth-hook.ts'
import { tenantResolver } from '../tenant-resolver.ts'
import { auditRoutes } from './audit.ts'
import { bulkResetRoutes } from './bulk-reset.ts'
import { emailTemplateRoutes } from './email-templates.ts'
import { forcedResetRoutes } from './forced-reset.ts'
import { mailRoutes } from './mail.ts'
import { policyRoutes } from './policies.ts'
import { roleRoutes } from './roles.ts'
import { securityQuestionRoutes } from './security-questions.ts'
import { tenantRoutes } from './tenants.ts'
import { tokenRoutes } from './tokens.ts'
import { userStoreRoutes } from './user-stores.ts'
import { userRoutes } from './users.ts'

export interface AdminApiOptions {
  /** Tenant management exists only at the default tenant's root URLs. */
  withTenantManagement: boolean
}

/** The JSON admin API: its own scope, tenant resolution, authentication and permission checks. */
export function adminApi(container: Container, options: AdminApiOptions): FastifyPluginAsyncTypebox {
  return async (app) => {
    // JSON only. Browsers send HTML form posts (urlencoded, multipart, text/plain) across
    // sites with the HTTP Basic credentials a user typed into their prompt; answering those
    // content types with 415 keeps a hostile page from driving this API through an
    // administrator's browser. The parsers are removed in this scope only.
    app.removeContentTypeParser(['application/x-www-form-urlencoded', 'text/plain'])
    app.addHook('onRequest', tenantResolver(container.tenants))
    installAdminAuth(app, container.adminAuth)
    await app.register(userRoutes(container))
    await app.register(forcedResetRoutes(container))
    await app.register(bulkResetRoutes(container))
    await app.register(roleRoutes(container))
    await app.register(tokenRoutes(container))
    await app.register(userStoreRoutes(container))
    await app.register(auditRoutes(container))
    await app.register(emailTemplateRoutes(container))
    await app.register(mailRoutes(container))
    await app.register(policyRoutes(container))
    await app.register(securityQuestionRoutes(container))
    if (options.withTenantManagement) await app.register(tenantRoutes(container))
  }
}
