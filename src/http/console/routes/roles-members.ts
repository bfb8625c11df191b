import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Container } from '../../../container.ts'
import { AppError } from '../../../errors/app-error.ts'
import { formField } from '../../pages/kit.ts'
import { consoleFieldError } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm } from '../route-schema.ts'
import { roleErrors, roleFields, rolePath } from './roles-form.ts'
import { type RolePageState, RoleParams, type RoleRequest } from './roles-page.ts'

const write = { permission: 'users:write' } as const

const MemberParams = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    user: { type: 'string', minLength: 1, maxLength: 64 },
  },
  required: ['name', 'user'],
}

type ShowRole = (request: RoleRequest, reply: FastifyReply, state?: RolePageState) => Promise<unknown>

/** Adding a user to a role by user name, and removing a member, from the role's page. */
export function roleMemberPages(container: Container, kit: ConsoleKit, showRole: ShowRole) {
  const { roles } = container
  return async (app: FastifyInstance) => {
    app.post(
      '/roles/:name/members',
      { schema: consoleForm('Roles: add a user to a role', { params: RoleParams }), config: write },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const roleRequest = request as RoleRequest
        const { tenant, principal } = kit.context(request)
        const member = formField(request.body, 'user', 320).trim()
        const role = await roles.summary(tenant, roleRequest.params.name)
        if (member === '')
          return showRole(roleRequest, reply, {
            member,
            errors: consoleFieldError(roleFields.member, 'Enter the user name of the user to add.'),
            status: 400,
          })
        try {
          await roles.addMembers(tenant, role.name, [member], principal.actor, {
            caller: principal.permissions,
          })
        } catch (error) {
          if (error instanceof AppError && error.code === 'user.not-found')
            return showRole(roleRequest, reply, {
              member,
              errors: consoleFieldError(
                roleFields.member,
                'No user of this organisation has this user name (DOMAIN/name for a secondary user store).',
              ),
              status: 400,
            })
          return showRole(roleRequest, reply, { member, ...roleErrors(error) })
        }
        return kit.redirect(request, reply, rolePath(role.name), 'role-member-added')
      },
    )

    app.post(
      '/roles/:name/members/:user/remove',
      { schema: consoleForm('Roles: remove a member from a role', { params: MemberParams }), config: write },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { name, user } = request.params as { name: string; user: string }
        const { tenant, principal } = kit.context(request)
        const role = await roles.summary(tenant, name)
        try {
          await roles.unassign(tenant, role.name, user, principal.actor, principal.permissions)
        } catch (error) {
          // Not a member (removed meanwhile) or not a user here: said on the role's page.
          if (error instanceof AppError && error.code === 'user.not-found')
            return showRole(request as RoleRequest, reply, {
              errors: consoleFieldError(roleFields.member, 'That user is not a member of this role.'),
              status: 404,
            })
          return showRole(request as RoleRequest, reply, roleErrors(error))
        }
        return kit.redirect(request, reply, rolePath(role.name), 'role-member-removed')
      },
    )
  }
}
