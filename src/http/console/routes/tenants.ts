import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type TenantView, toTenantView } from '../../../admin/tenant-service.ts'
import type { Container } from '../../../container.ts'
import { AppError } from '../../../errors/app-error.ts'
import { type ConsoleErrors, consoleErrorsOf } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm, consolePage } from '../route-schema.ts'
import { newTenantPage } from './tenants-new.ts'

const domainParams = {
  type: 'object',
  properties: { domain: { type: 'string', minLength: 1, maxLength: 253 } },
  required: ['domain'],
}

/** A tenant as the list and the confirmation page show it. */
function tenantItem(tenant: TenantView) {
  return {
    ...tenant,
    isActive: tenant.status === 'active',
    created: tenant.createdAt.slice(0, 10),
    // The default tenant's console is the root one; the others live under /t/{domain}.
    consoleHref: tenant.isDefault ? '/console' : `/t/${tenant.domain}/console`,
    path: `/tenants/${encodeURIComponent(tenant.domain)}`,
  }
}

/**
 * The console's tenant management: the organisations this server serves. It exists only in
 * the default tenant's console (`/console`), as the admin API's tenant routes exist only on
 * the root URLs: under `/t/{tenant}/console` these routes are not registered at all, so a
 * tenant's administrator finds no page there (404), whatever roles they hold.
 */
export function tenantPages(container: Container, kit: ConsoleKit) {
  const { tenants } = container

  function renderDisable(
    request: FastifyRequest,
    reply: FastifyReply,
    tenant: TenantView,
    errors?: ConsoleErrors,
    status = 200,
  ) {
    return kit.render(
      request,
      reply,
      'tenants-disable',
      {
        title: `Disable ${tenant.domain}`,
        section: 'tenants',
        tenant: tenantItem(tenant),
        ...(errors ? { errors } : {}),
      },
      status,
    )
  }

  /** The tenant service's refusal for the default tenant, shown before anything is tried. */
  const defaultTenantRefusal = () => consoleErrorsOf(new AppError('tenant.default-immutable'))

  return async (app: FastifyInstance) => {
    if (app.prefix.startsWith('/t/')) return
    // Defence in depth: were these routes ever mounted in a tenant's URL space, they would
    // still answer "not found" there.
    app.addHook('preHandler', async (request) => {
      if (!kit.context(request).isDefaultTenant)
        throw new AppError('route.not-found', { detail: 'There is no console page at this address.' })
    })

    app.get(
      '/tenants',
      { schema: consolePage('Tenants: list'), config: { permission: 'tenants:manage' } },
      async (request, reply) => {
        const list = (await tenants.list()).map(tenantItem)
        return kit.render(request, reply, 'tenants', { title: 'Tenants', section: 'tenants', tenants: list })
      },
    )

    await app.register(newTenantPage(container, kit))

    app.get(
      '/tenants/:domain/disable',
      {
        schema: consolePage('Tenants: confirm disabling one', { params: domainParams }),
        config: { permission: 'tenants:manage' },
      },
      async (request, reply) => {
        const { domain } = request.params as { domain: string }
        const tenant = toTenantView(await tenants.require(domain))
        if (tenant.isDefault) return renderDisable(request, reply, tenant, defaultTenantRefusal(), 409)
        return renderDisable(request, reply, tenant)
      },
    )

    app.post(
      '/tenants/:domain/disable',
      {
        schema: consoleForm('Tenants: disable one', { params: domainParams }),
        config: { permission: 'tenants:manage' },
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { principal } = kit.context(request)
        const { domain } = request.params as { domain: string }
        const tenant = toTenantView(await tenants.require(domain))
        try {
          await tenants.setStatus(tenant.domain, 'disabled', principal.actor)
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'tenant.default-immutable') throw error
          return renderDisable(request, reply, tenant, consoleErrorsOf(error), error.status)
        }
        return kit.redirect(request, reply, '/tenants', 'tenant-disabled')
      },
    )

    app.post(
      '/tenants/:domain/enable',
      {
        schema: consoleForm('Tenants: enable one', { params: domainParams }),
        config: { permission: 'tenants:manage' },
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { principal } = kit.context(request)
        const { domain } = request.params as { domain: string }
        await tenants.setStatus(domain, 'active', principal.actor)
        return kit.redirect(request, reply, '/tenants', 'tenant-enabled')
      },
    )
  }
}
