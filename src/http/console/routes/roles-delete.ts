import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Container } from '../../../container.ts'
import type { ConsoleErrors } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm, consolePage } from '../route-schema.ts'
import { permissionDescription, roleErrors, rolePath } from './roles-form.ts'
import { RoleParams, type RoleRequest } from './roles-page.ts'

const write = { permission: 'users:write' } as const

/** Deleting a role: a page that says what deletion takes away, then the post that does it. */
export function roleDeletePages(container: Container, kit: ConsoleKit) {
  const { roles } = container
  return async (app: FastifyInstance) => {
    async function showConfirmation(
      request: RoleRequest,
      reply: FastifyReply,
      errors?: ConsoleErrors,
      status = 200,
    ) {
      const role = await roles.summary(kit.context(request).tenant, request.params.name)
      return kit.render(
        request,
        reply,
        'roles-delete',
        {
          title: `Delete role ${role.name}`,
          section: 'roles',
          errors,
          role,
          path: rolePath(role.name),
          granted: role.permissions.map((permission) => ({
            permission,
            description: permissionDescription(permission),
          })),
        },
        status,
      )
    }

    app.get(
      '/roles/:name/delete',
      { schema: consolePage('Roles: confirm the deletion of a role', { params: RoleParams }), config: write },
      (request, reply) => showConfirmation(request as RoleRequest, reply),
    )

    app.post(
      '/roles/:name/delete',
      { schema: consoleForm('Roles: delete a role', { params: RoleParams }), config: write },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const name = (request as RoleRequest).params.name
        try {
          await roles.delete(tenant, name, principal.actor, principal.permissions)
        } catch (error) {
          const { errors, status } = roleErrors(error)
          return showConfirmation(request as RoleRequest, reply, errors, status)
        }
        return kit.redirect(request, reply, '/roles', 'role-deleted')
      },
    )
  }
}
