import type { CookieSerializeOptions } from '@fastify/cookie'
import type { Config } from '../../config/schema.ts'
import { publicUrl } from '../../config/semantics.ts'
import { DEFAULT_TENANT } from '../../domain/tenant.ts'

/**
 * Session cookie per tenant: HttpOnly (no script access), SameSite=Lax (not sent on
 * cross-site POSTs: CSRF), Secure whenever users reach us over HTTPS, and scoped to the
 * tenant's path so tenants never see each other's cookies.
 */
export function sessionCookie(
  config: Config,
  tenantDomain: string,
): { name: string; options: CookieSerializeOptions } {
  const isDefault = tenantDomain === DEFAULT_TENANT
  return {
    name: isDefault ? config.auth.cookie_name : `${config.auth.cookie_name}-${tenantDomain}`,
    options: {
      httpOnly: true,
      sameSite: 'lax',
      secure: publicUrl(config).startsWith('https:'),
      path: isDefault ? '/' : `/t/${tenantDomain}/`,
    },
  }
}
