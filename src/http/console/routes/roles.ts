import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import type { ConsoleErrors } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm, consolePage } from '../route-schema.ts'
import { roleDeletePages } from './roles-delete.ts'
import {
  permissionDescription,
  permissionOptions,
  type RoleForm,
  readRoleForm,
  roleErrors,
  roleFields,
  rolePath,
} from './roles-form.ts'
import { roleMemberPages } from './roles-members.ts'
import { MemberPageQuery, RoleParams, type RoleRequest, rolePage } from './roles-page.ts'

const read = { permission: 'users:read' } as const
const write = { permission: 'users:write' } as const

/**
 * `/console/roles`: the tenant's roles, their permissions and members. Reading needs
 * `users:read`, every change `users:write`, as in the admin API; the built-in `admin` role's
 * rules are the use case's, shown on the page when it refuses.
 */
export function rolePages(container: Container, kit: ConsoleKit) {
  const { roles } = container
  const showRole = rolePage(container, kit)
  return async (app: FastifyInstance) => {
    app.get('/roles', { schema: consolePage('Roles: the list'), config: read }, async (request, reply) => {
      const { tenant } = kit.context(request)
      const list = await roles.listWithMemberCounts(tenant)
      return kit.render(request, reply, 'roles-list', {
        title: 'Roles',
        section: 'roles',
        roles: list.map((role) => ({
          ...role,
          path: rolePath(role.name),
          permissions: role.permissions.map((permission) => ({
            permission,
            description: permissionDescription(permission),
          })),
        })),
      })
    })

    function showNew(
      request: FastifyRequest,
      reply: FastifyReply,
      form: RoleForm = { name: '', permissions: ['login'] },
      errors?: ConsoleErrors,
      status = 200,
    ) {
      const { isDefaultTenant } = kit.context(request)
      return kit.render(
        request,
        reply,
        'roles-new',
        {
          title: 'New role',
          section: 'roles',
          errors,
          form,
          fields: roleFields,
          options: permissionOptions(isDefaultTenant, form.permissions),
        },
        status,
      )
    }

    app.get(
      '/roles/new',
      { schema: consolePage('Roles: the new-role form'), config: write },
      (request, reply) => showNew(request, reply),
    )

    app.post(
      '/roles/new',
      { schema: consoleForm('Roles: create a role'), config: write },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const form = readRoleForm(request.body)
        try {
          const role = await roles.create(tenant, form.name, form.permissions, principal.actor, {
            caller: principal.permissions,
          })
          return kit.redirect(request, reply, rolePath(role.name), 'role-created')
        } catch (error) {
          const { errors, status } = roleErrors(error)
          return showNew(request, reply, form, errors, status)
        }
      },
    )

    app.get(
      '/roles/:name',
      {
        schema: consolePage('Roles: a role, its permissions and members', {
          params: RoleParams,
          querystring: MemberPageQuery,
        }),
        config: read,
      },
      (request, reply) => showRole(request as RoleRequest, reply),
    )

    app.post(
      '/roles/:name',
      {
        schema: consoleForm('Roles: rename a role or change its permissions', { params: RoleParams }),
        config: write,
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const roleRequest = request as RoleRequest
        const { tenant, principal } = kit.context(request)
        const form = readRoleForm(request.body)
        const current = await roles.summary(tenant, roleRequest.params.name)
        try {
          const role = await roles.update(
            tenant,
            current.name,
            {
              ...(form.name !== current.name ? { name: form.name } : {}),
              permissions: form.permissions,
            },
            principal.actor,
            principal.permissions,
          )
          return kit.redirect(request, reply, rolePath(role.name), 'role-updated')
        } catch (error) {
          return showRole(roleRequest, reply, { form, ...roleErrors(error) })
        }
      },
    )

    await app.register(roleMemberPages(container, kit, showRole))
    await app.register(roleDeletePages(container, kit))
  }
}
