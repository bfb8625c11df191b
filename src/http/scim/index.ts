import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Container } from '../../container.ts'
import { scimError } from '../../scim/errors.ts'
import { installAdminAuth } from '../admin-auth-hook.ts'
import { tenantResolver } from '../tenant-resolver.ts'
import { bulkRoutes } from './bulk.ts'
import { discoveryRoutes } from './discovery.ts'
import { scimErrorHandler } from './error-handler.ts'
import { groupRoutes } from './groups.ts'
import { meRoutes } from './me.ts'
import { rootSearchRoutes } from './root-search.ts'
import { userRoutes } from './users.ts'

type JsonParser = (
  request: FastifyRequest,
  body: string,
  done: (error: Error | null, body?: unknown) => void,
) => void

/**
 * The SCIM 2.0 service provider (RFC 7644) under `/scim2` and `/t/{tenant}/scim2`: its own
 * scope with JSON and SCIM JSON bodies only, SCIM error bodies, tenant resolution, and the
 * admin authentication and per-route permissions of the admin API.
 */
export function scimApi(container: Container) {
  return async (app: FastifyInstance) => {
    // Threat: cross-site form posts driving SCIM with credentials a browser remembers; only
    // JSON content types are parsed here, anything else is 415.
    app.removeContentTypeParser(['application/x-www-form-urlencoded', 'text/plain', 'application/json'])
    // Fastify's JSON parser takes a callback (its type also allows a promise-returning one).
    const json = app.getDefaultJsonParser('error', 'error') as JsonParser
    const parseJson: JsonParser = (request, body, done) => {
      // A DELETE has no body (RFC 7644 §3.6), but connectors that put the SCIM content type on
      // every request send one with it: that is no body, not malformed JSON.
      if (body === '' && request.method === 'DELETE') return done(null, undefined)
      json(request, body, done)
    }
    app.addContentTypeParser(['application/json', 'application/scim+json'], { parseAs: 'string' }, parseJson)
    app.setErrorHandler(scimErrorHandler)
    app.setNotFoundHandler(async () => {
      throw scimError.notFound(
        'No such SCIM endpoint: see /ServiceProviderConfig, /ResourceTypes and /Schemas.',
      )
    })
    app.addHook('onRequest', tenantResolver(container.tenants))
    await app.register(discoveryRoutes(container.config))
    await app.register(async (secured) => {
      installAdminAuth(secured, container.adminAuth)
      await secured.register(userRoutes(container))
      await secured.register(groupRoutes(container))
      await secured.register(meRoutes(container))
      await secured.register(bulkRoutes(container))
      await secured.register(rootSearchRoutes(container))
    })
  }
}
