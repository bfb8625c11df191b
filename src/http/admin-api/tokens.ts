import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { IdParam, PermissionSchema, TokenSchema } from '../schemas.ts'

const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    scopes: Type.Optional(
      Type.Array(PermissionSchema, { maxItems: 64, description: "Default: the creator's permissions" }),
    ),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
)

export function tokenRoutes(container: Container): FastifyPluginAsyncTypebox {
  const { tokens } = container
  return async (app) => {
    app.get(
      '/tokens',
      {
        config: { permission: 'tokens:manage' },
        schema: {
          tags: ['tokens'],
          summary: 'List API tokens (never their values)',
          response: { 200: Type.Object({ tokens: Type.Array(TokenSchema) }) },
        },
      },
      async (request) => ({ tokens: await tokens.list(tenantOf(request)) }),
    )

    app.post(
      '/tokens',
      {
        config: { permission: 'tokens:manage' },
        schema: {
          tags: ['tokens'],
          summary: 'Create an API token; its value is shown in this answer only',
          body: CreateTokenBody,
          response: { 201: Type.Intersect([TokenSchema, Type.Object({ token: Type.String() })]) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request)
        const scopes = request.body.scopes ?? [...principal.permissions]
        const created = await tokens.create(
          tenantOf(request),
          { name: request.body.name, scopes, expiresInDays: request.body.expiresInDays },
          principal.actor,
          principal.permissions,
        )
        return reply
          .code(201)
          .header('cache-control', 'no-store')
          .send({ ...created.view, token: created.token })
      },
    )

    app.delete(
      '/tokens/:id',
      {
        config: { permission: 'tokens:manage' },
        schema: {
          tags: ['tokens'],
          summary: 'Revoke an API token',
          params: IdParam,
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        await tokens.revoke(tenantOf(request), request.params.id, principalOf(request).actor)
        return reply.code(204).send(null)
      },
    )
  }
}
