import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { toTenantView } from '../../admin/tenant-service.ts'
import type { Container } from '../../container.ts'
import { principalOf } from '../admin-auth-hook.ts'
import { routedPath } from '../routed-path.ts'
import { TenantSchema } from '../schemas.ts'

const CreateTenantBody = Type.Object(
  {
    domain: Type.String({ minLength: 1, maxLength: 253 }),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    adminPassword: Type.String({
      minLength: 1,
      maxLength: 4096,
      description: "Password of the new tenant's admin user",
    }),
  },
  { additionalProperties: false },
)
const DomainParam = Type.Object({ domain: Type.String({ minLength: 1, maxLength: 253 }) })
const PatchTenantBody = Type.Object(
  { status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]) },
  { additionalProperties: false },
)

/** Tenant management: only on the default tenant's root URLs, with `tenants:manage`. */
export function tenantRoutes(container: Container): FastifyPluginAsyncTypebox {
  const { tenants } = container
  return async (app) => {
    app.get(
      '/tenants',
      {
        config: { permission: 'tenants:manage' },
        schema: {
          tags: ['tenants'],
          summary: 'List tenants',
          response: { 200: Type.Object({ tenants: Type.Array(TenantSchema) }) },
        },
      },
      async () => ({ tenants: await tenants.list() }),
    )

    app.post(
      '/tenants',
      {
        config: { permission: 'tenants:manage' },
        schema: {
          tags: ['tenants'],
          summary: 'Create a tenant with its admin user',
          body: CreateTenantBody,
          response: { 201: TenantSchema },
        },
      },
      async (request, reply) => {
        const { domain, displayName, adminPassword } = request.body
        const tenant = await tenants.createWithAdministrator(
          domain,
          displayName,
          adminPassword,
          principalOf(request).actor,
        )
        return reply
          .code(201)
          .header('location', `${routedPath(request.url)}/${tenant.domain}`)
          .send(toTenantView(tenant))
      },
    )

    app.get(
      '/tenants/:domain',
      {
        config: { permission: 'tenants:manage' },
        schema: {
          tags: ['tenants'],
          summary: 'Get a tenant',
          params: DomainParam,
          response: { 200: TenantSchema },
        },
      },
      async (request) => toTenantView(await tenants.require(request.params.domain)),
    )

    app.patch(
      '/tenants/:domain',
      {
        config: { permission: 'tenants:manage' },
        schema: {
          tags: ['tenants'],
          summary: 'Enable or disable a tenant',
          params: DomainParam,
          body: PatchTenantBody,
          response: { 200: TenantSchema },
        },
      },
      async (request) =>
        tenants.setStatus(request.params.domain, request.body.status, principalOf(request).actor),
    )
  }
}
