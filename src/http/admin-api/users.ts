import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { routedPath } from '../routed-path.ts'
import { IdParam, SessionSchema, UserSchema } from '../schemas.ts'

const CreateUserBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 320 }),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    passwordHash: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1024, description: 'Imported hash instead of a password' }),
    ),
    claims: Type.Optional(Type.Record(Type.String(), Type.String())),
    roles: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
)

const PatchUserBody = Type.Object(
  {
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
    claims: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]), {
        description: 'null removes a claim',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
)

const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
    username: Type.Optional(
      Type.String({ maxLength: 255, description: 'User name prefix, case-insensitive' }),
    ),
    domain: Type.Optional(Type.String({ maxLength: 64, description: 'User store domain' })),
  },
  { additionalProperties: false },
)

const PasswordBody = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 4096 }) },
  { additionalProperties: false },
)
const LockBody = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_.-]*$' })) },
  { additionalProperties: false },
)
const SessionParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 512 }),
  sessionId: Type.String({ format: 'uuid' }),
})

export function userRoutes(container: Container): FastifyPluginAsyncTypebox {
  const { users, sessions } = container
  return async (app) => {
    app.get(
      '/users',
      {
        config: { permission: 'users:read' },
        schema: {
          tags: ['users'],
          summary: 'List users',
          querystring: ListQuery,
          response: {
            200: Type.Object({
              users: Type.Array(UserSchema),
              total: Type.Integer(),
              limit: Type.Integer(),
              offset: Type.Integer(),
            }),
          },
        },
      },
      async (request) => {
        const { limit, offset, username, domain } = request.query
        const result = await users.list(tenantOf(request), {
          limit,
          offset,
          namePrefix: username,
          storeDomain: domain?.toUpperCase(),
        })
        return { ...result, limit, offset }
      },
    )

    app.post(
      '/users',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['users'],
          summary: 'Create a user',
          body: CreateUserBody,
          response: { 201: UserSchema },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request)
        const user = await users.create(tenantOf(request), request.body, principal.actor, undefined, {
          channel: 'admin-api',
          permissions: principal.permissions,
        })
        return reply
          .code(201)
          .header('location', `${routedPath(request.url)}/${user.id}`)
          .send(user)
      },
    )

    app.get(
      '/users/:id',
      {
        config: { permission: 'users:read' },
        schema: {
          tags: ['users'],
          summary: 'Get a user by id or user name',
          params: IdParam,
          response: { 200: UserSchema },
        },
      },
      async (request) => users.get(tenantOf(request), request.params.id),
    )

    app.patch(
      '/users/:id',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['users'],
          summary: 'Change user name or claims',
          params: IdParam,
          body: PatchUserBody,
          response: { 200: UserSchema },
        },
      },
      async (request) =>
        users.update(tenantOf(request), request.params.id, request.body, principalOf(request).actor, {
          channel: 'admin-api',
          permissions: principalOf(request).permissions,
        }),
    )

    app.delete(
      '/users/:id',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['users'],
          summary: 'Delete a user',
          params: IdParam,
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        await users.delete(
          tenantOf(request),
          request.params.id,
          principalOf(request).actor,
          principalOf(request).permissions,
        )
        return reply.code(204).send(null)
      },
    )

    app.post(
      '/users/:id/password',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['users'],
          summary: "Set a user's password (revokes its sessions)",
          params: IdParam,
          body: PasswordBody,
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        await users.setPassword(
          tenantOf(request),
          request.params.id,
          request.body.password,
          principalOf(request).actor,
          principalOf(request).permissions,
        )
        return reply.code(204).send(null)
      },
    )

    app.post(
      '/users/:id/lock',
      {
        config: { permission: 'users:write' },
        // The body is optional (`curl -X POST …/lock` locks with reason "admin").
        preValidation: async (request) => {
          request.body ??= {}
        },
        schema: {
          tags: ['users'],
          summary: 'Lock an account (revokes its sessions)',
          params: IdParam,
          body: LockBody,
          response: { 200: UserSchema },
        },
      },
      async (request) =>
        users.lock(
          tenantOf(request),
          request.params.id,
          request.body?.reason ?? 'admin',
          principalOf(request).actor,
          principalOf(request).permissions,
        ),
    )

    app.post(
      '/users/:id/unlock',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['users'],
          summary: 'Unlock an account',
          params: IdParam,
          response: { 200: UserSchema },
        },
      },
      async (request) =>
        users.unlock(
          tenantOf(request),
          request.params.id,
          principalOf(request).actor,
          principalOf(request).permissions,
        ),
    )

    app.get(
      '/users/:id/sessions',
      {
        config: { permission: 'users:read' },
        schema: {
          tags: ['users'],
          summary: "List a user's live sessions",
          params: IdParam,
          response: { 200: Type.Object({ sessions: Type.Array(SessionSchema) }) },
        },
      },
      async (request) => {
        const user = await users.require(tenantOf(request), request.params.id)
        return { sessions: await sessions.listForUser(user.id) }
      },
    )

    app.delete(
      '/users/:id/sessions/:sessionId',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['users'],
          summary: 'Revoke one session',
          params: SessionParams,
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request)
        const user = await users.require(tenant, request.params.id)
        await sessions.revokeById(tenant, user.id, request.params.sessionId, principalOf(request).actor)
        return reply.code(204).send(null)
      },
    )
  }
}
