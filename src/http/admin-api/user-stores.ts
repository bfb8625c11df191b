import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import type { UserStoreRow } from '../../persistence/repositories/user-stores.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { IsoDate } from '../schemas.ts'

const UserStoreSchema = Type.Object({ domain: Type.String(), description: Type.String(), createdAt: IsoDate })
const CreateBody = Type.Object(
  {
    domain: Type.String({ minLength: 1, maxLength: 64 }),
    description: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
)

const view = (row: UserStoreRow) => ({
  domain: row.domain,
  description: row.description,
  createdAt: new Date(row.created_at).toISOString(),
})

export function userStoreRoutes(container: Container): FastifyPluginAsyncTypebox {
  const { tenants } = container
  return async (app) => {
    app.get(
      '/user-stores',
      {
        config: { permission: 'users:read' },
        schema: {
          tags: ['user stores'],
          summary: 'List user store domains',
          response: { 200: Type.Object({ userStores: Type.Array(UserStoreSchema) }) },
        },
      },
      async (request) => ({ userStores: (await tenants.listUserStores(tenantOf(request))).map(view) }),
    )

    app.post(
      '/user-stores',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['user stores'],
          summary: 'Add a secondary user store domain',
          body: CreateBody,
          response: { 201: UserStoreSchema },
        },
      },
      async (request, reply) => {
        const row = await tenants.createUserStore(
          tenantOf(request),
          request.body.domain,
          request.body.description ?? '',
          principalOf(request).actor,
        )
        return reply.code(201).send(view(row))
      },
    )
  }
}
