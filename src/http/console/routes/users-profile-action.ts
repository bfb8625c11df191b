import type { FastifyInstance } from 'fastify'
import type { Container } from '../../../container.ts'
import type { Permission } from '../../../domain/permissions.ts'
import type { UserRow } from '../../../persistence/repositories/users.ts'
import type { ConsoleContext, ConsoleKit } from '../kit.ts'
import { consoleForm } from '../route-schema.ts'
import { type ProfileExtras, profileRenderer } from './users-profile-view.ts'

/** `:id` of every user page: an id (or user name) of the console's tenant. */
export const userParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 512 } },
  required: ['id'],
}

/**
 * What a profile form answers: a notice name for the redirect to the profile, or the profile
 * shown again with these extras (a refusal's errors and the values typed, a revealed code).
 */
export type ProfileOutcome = { done: string } | ProfileExtras

/** A profile form's work on the tenant's user the URL names, given the posted form's body. */
export type ProfileActionRun = (
  context: ConsoleContext,
  user: UserRow,
  body: unknown,
) => Promise<ProfileOutcome>

/**
 * Registers the profile's forms: `profileAction(path, permission, summary, run)` answers
 * `POST /users/:id/{path}`. Each has its own permission (the console's hook refuses the post
 * without it, whatever the page showed) and passes the CSRF check before anything is read;
 * a user of another tenant, or none, is the 404 page and nothing is done.
 */
export function profileActions(container: Container, kit: ConsoleKit, app: FastifyInstance) {
  const renderProfile = profileRenderer(container, kit)

  return function profileAction(
    path: string,
    permission: Permission,
    summary: string,
    run: ProfileActionRun,
  ) {
    app.post(
      `/users/:id/${path}`,
      { schema: consoleForm(`Users: ${summary}`, { params: userParams }), config: { permission } },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const context = kit.context(request)
        const user = await container.users.require(context.tenant, (request.params as { id: string }).id)
        const outcome = await run(context, user, request.body)
        if ('done' in outcome)
          return kit.redirect(request, reply, `/users/${encodeURIComponent(user.id)}`, outcome.done)
        return renderProfile(request, reply, user.id, outcome)
      },
    )
  }
}
