import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import type { ConsoleErrors } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm, consolePage } from '../route-schema.ts'
import { userParams } from './users-profile-action.ts'
import { profileErrors } from './users-profile-view.ts'

/** `/users/:id/delete`: a confirmation page, then the deletion and back to the list. */
export function userDeletePages(container: Container, kit: ConsoleKit) {
  async function confirmation(
    request: FastifyRequest,
    reply: FastifyReply,
    errors?: ConsoleErrors,
    status = 200,
  ) {
    const { tenant, root } = kit.context(request)
    const user = await container.users.get(tenant, (request.params as { id: string }).id)
    return kit.render(
      request,
      reply,
      'users-delete',
      {
        title: `Delete ${user.username}`,
        section: 'users',
        errors,
        user,
        href: `${root}/users/${encodeURIComponent(user.id)}`,
        roleCount: user.roles?.length ?? 0,
      },
      status,
    )
  }

  return async (app: FastifyInstance) => {
    app.get(
      '/users/:id/delete',
      {
        schema: consolePage('Users: confirm a deletion', { params: userParams }),
        config: { permission: 'users:write' },
      },
      async (request, reply) => confirmation(request, reply),
    )

    app.post(
      '/users/:id/delete',
      {
        schema: consoleForm('Users: delete', { params: userParams }),
        config: { permission: 'users:write' },
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const user = await container.users.require(tenant, (request.params as { id: string }).id)
        try {
          await container.users.delete(tenant, user.id, principal.actor, principal.permissions)
        } catch (error) {
          // Refusals (your own account, the last administrator) are shown on the confirmation page.
          const { errors, status } = profileErrors(error)
          return confirmation(request, reply, errors, status)
        }
        return kit.redirect(request, reply, '/users', 'user-deleted')
      },
    )
  }
}
