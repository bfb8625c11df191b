import type { FastifyRequest } from 'fastify'
import type { TenantService } from '../admin/tenant-service.ts'
import { DEFAULT_TENANT } from '../domain/tenant.ts'

/**
 * onRequest hook for tenant-scoped surfaces: the tenant comes from the `:tenant` path
 * parameter of `/t/{tenant}/…` routes, or is the default tenant for root routes. Unknown
 * tenants stop the request with 404 before any authentication runs.
 */
export function tenantResolver(tenants: TenantService) {
  return async function resolveTenant(request: FastifyRequest): Promise<void> {
    const params = request.params as { tenant?: string } | undefined
    request.tenant = await tenants.require(params?.tenant ?? DEFAULT_TENANT)
  }
}
