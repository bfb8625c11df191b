import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { routedPath } from '../routed-path.ts'
import { NameParam, PermissionSchema, RoleMemberSchema, RoleSchema } from '../schemas.ts'

const CreateRoleBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    permissions: Type.Array(PermissionSchema, { maxItems: 64, default: [] }),
  },
  { additionalProperties: false },
)
const PatchRoleBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    permissions: Type.Optional(Type.Array(PermissionSchema, { maxItems: 64 })),
  },
  { additionalProperties: false, minProperties: 1 },
)
const MembersBody = Type.Object(
  {
    users: Type.Array(Type.String({ minLength: 1, maxLength: 320 }), {
      minItems: 1,
      maxItems: 1000,
      description: 'User ids or user names',
    }),
  },
  { additionalProperties: false },
)
const MemberParams = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  user: Type.String({ minLength: 1, maxLength: 512 }),
})
const Members = Type.Object({ members: Type.Array(RoleMemberSchema) })

export function roleRoutes(container: Container): FastifyPluginAsyncTypebox {
  const { roles } = container
  return async (app) => {
    app.get(
      '/roles',
      {
        config: { permission: 'users:read' },
        schema: {
          tags: ['roles'],
          summary: 'List roles',
          response: { 200: Type.Object({ roles: Type.Array(RoleSchema) }) },
        },
      },
      async (request) => ({ roles: await roles.list(tenantOf(request)) }),
    )

    app.post(
      '/roles',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['roles'],
          summary: 'Create a role',
          body: CreateRoleBody,
          response: { 201: RoleSchema },
        },
      },
      async (request, reply) => {
        const role = await roles.create(
          tenantOf(request),
          request.body.name,
          request.body.permissions,
          principalOf(request).actor,
          { caller: principalOf(request).permissions },
        )
        return reply
          .code(201)
          .header('location', `${routedPath(request.url)}/${encodeURIComponent(role.name)}`)
          .send(role)
      },
    )

    app.get(
      '/roles/:name',
      {
        config: { permission: 'users:read' },
        schema: {
          tags: ['roles'],
          summary: 'Get a role with its members',
          params: NameParam,
          response: { 200: Type.Intersect([RoleSchema, Members]) },
        },
      },
      async (request) => roles.get(tenantOf(request), request.params.name),
    )

    app.patch(
      '/roles/:name',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['roles'],
          summary: 'Rename a role or replace its permissions',
          params: NameParam,
          body: PatchRoleBody,
          response: { 200: RoleSchema },
        },
      },
      async (request) =>
        roles.update(
          tenantOf(request),
          request.params.name,
          request.body,
          principalOf(request).actor,
          principalOf(request).permissions,
        ),
    )

    app.delete(
      '/roles/:name',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['roles'],
          summary: 'Delete a role',
          params: NameParam,
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        await roles.delete(
          tenantOf(request),
          request.params.name,
          principalOf(request).actor,
          principalOf(request).permissions,
        )
        return reply.code(204).send(null)
      },
    )

    app.get(
      '/roles/:name/members',
      {
        config: { permission: 'users:read' },
        schema: {
          tags: ['roles'],
          summary: 'List role members',
          params: NameParam,
          response: { 200: Members },
        },
      },
      async (request) => ({ members: await roles.members(tenantOf(request), request.params.name) }),
    )

    app.post(
      '/roles/:name/members',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['roles'],
          summary: 'Assign users to a role (all or nothing)',
          params: NameParam,
          body: MembersBody,
          response: { 200: Members },
        },
      },
      async (request) => ({
        members: await roles.assign(
          tenantOf(request),
          request.params.name,
          request.body.users,
          principalOf(request).actor,
          { caller: principalOf(request).permissions },
        ),
      }),
    )

    app.delete(
      '/roles/:name/members/:user',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['roles'],
          summary: 'Remove a user from a role',
          params: MemberParams,
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        await roles.unassign(
          tenantOf(request),
          request.params.name,
          request.params.user,
          principalOf(request).actor,
          principalOf(request).permissions,
        )
        return reply.code(204).send(null)
      },
    )
  }
}
