import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AdminAuthenticator } from '../admin/admin-authenticator.ts'
import { AppError } from '../errors/app-error.ts'

/**
 * Installs admin authentication and per-route permission checks on a scope. A route without
 * a declared permission fails at start-up rather than becoming reachable by any signed-in
 * caller (threat: an unguarded admin route).
 */
export function installAdminAuth(app: FastifyInstance, authenticator: AdminAuthenticator): void {
  app.addHook('onRoute', (route) => {
    if (!route.config?.permission)
      throw new Error(`admin route ${route.method} ${route.url} declares no permission`)
  })
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const tenant = request.tenant
    if (!tenant) throw new AppError('tenant.not-found')
    const principal = await authenticator.authenticate(tenant, request.headers.authorization)
    const required = request.routeOptions.config.permission
    if (!required || !principal.permissions.has(required)) {
      throw new AppError('auth.forbidden', { detail: `This call needs the ${required} permission.` })
    }
    request.principal = principal
  })
}

export function principalOf(request: FastifyRequest) {
  if (!request.principal) throw new AppError('auth.required')
  return request.principal
}

export function tenantOf(request: FastifyRequest) {
  if (!request.tenant) throw new AppError('tenant.not-found')
  return request.tenant
}
