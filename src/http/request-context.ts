import type { Principal } from '../admin/admin-authenticator.ts'
import type { Permission } from '../domain/permissions.ts'
import type { TenantRow } from '../persistence/repositories/tenants.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant named by the URL (`/t/{tenant}/…`) or the default tenant. */
    tenant: TenantRow | null
    /** The authenticated admin caller, set by the admin scope's hook. */
    principal: Principal | null
  }
  interface FastifyContextConfig {
    /** The permission an admin route requires; every admin route must name one. */
    permission?: Permission
    /**
     * A sign-in API write whose forgery is harmless (ending one's own session) may come with
     * the cookie and no body; every other cookie-borne write must be JSON (see json-only.ts).
     */
    bodilessCookieWrite?: boolean
    /** A console route any administrator may open (the landing page); all others name a permission. */
    consoleLanding?: boolean
  }
}
