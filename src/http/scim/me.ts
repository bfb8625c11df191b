import type { FastifyInstance } from 'fastify'
import type { Container } from '../../container.ts'
import { ScimError } from '../../scim/errors.ts'
import { versionTag } from '../../scim/etag.ts'
import { userRegistry } from '../../scim/schema/registry.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { scimBaseUrl, sendScim } from './replies.ts'
import { singleProjection } from './resource-routes.ts'
import { userResponse } from './users.ts'

/**
 * `/Me` (RFC 7644 §3.11): the user the credentials belong to. API tokens belong to no user.
 * Changing oneself goes through `/Users/{id}` with the same permission checks as for anyone.
 */
export function meRoutes(container: Container) {
  const { config, scimUsers } = container
  return async (app: FastifyInstance) => {
    app.get('/Me', { config: { permission: 'login' }, schema: { hide: true } }, async (request, reply) => {
      const projection = singleProjection(request.query, config.scim.max_results, userRegistry)
      const { actor } = principalOf(request)
      if (actor.kind !== 'user' || !actor.id)
        throw new ScimError(
          undefined,
          'These credentials are an API token, which belongs to no user: /Me needs a user.',
          501,
        )
      const record = await scimUsers.get(tenantOf(request), actor.id)
      const location = `${scimBaseUrl(config, request)}/Users/${record.row.id}`
      return sendScim(reply, 200, userResponse(record, scimBaseUrl(config, request), projection), {
        etag: versionTag(record.row.version),
        location,
      })
    })
    for (const method of ['PUT', 'PATCH', 'DELETE', 'POST'] as const) {
      app.route({
        method,
        url: '/Me',
        config: { permission: 'login' },
        schema: { hide: true },
        handler: async () => {
          throw new ScimError(undefined, '/Me is read-only here: change a user through /Users/{id}.', 501)
        },
      })
    }
  }
}
