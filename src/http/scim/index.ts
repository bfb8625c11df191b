import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Container } from '../../container.ts'
import { scimError } from '../../scim/errors.ts'
import { installAdminAuth } from '../admin-auth-hook.ts'
import { tenantResolver } from '../tenant-resolver.ts'
import { pathAfterScimBase, unroutedError } from './allowed-methods.ts'
import { bulkRoutes } from './bulk.ts'
import { discoveryRoutes } from './discovery.ts'
import { scimErrorHandler } from './error-handler.ts'
import { groupRoutes } from './groups.ts'
import { unpairedSurrogateIn, utf8Text } from './json-text.ts'
import { meRoutes } from './me.ts'
import { requireAcceptableResponse } from './media-type.ts'
import { rootSearchRoutes } from './root-search.ts'
import { userRoutes } from './users.ts'

type JsonParser = (
  request: FastifyRequest,
  body: string,
  done: (error: Error | null, body?: unknown) => void,
) => void
type BufferParser = (
  request: FastifyRequest,
  body: Buffer,
  done: (error: Error | null, body?: unknown) => void,
) => void

/** Whether `text` parses as JSON at all (the safe parser also refuses prototype keys). */
function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

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
    const parseJson: BufferParser = (request, bytes, done) => {
      // A DELETE has no body (RFC 7644 §3.6), but connectors that put the SCIM content type on
      // every request send one with it: that is no body, not malformed JSON.
      if (bytes.length === 0 && request.method === 'DELETE') return done(null, undefined)
      let text: string
      try {
        text = utf8Text(request.headers['content-type'], bytes)
      } catch (error) {
        return done(error as Error)
      }
      json(request, text, (error, body) => {
        // Threat: prototype pollution through `__proto__` or `constructor.prototype` keys, which
        // the parser refuses; say so rather than call valid JSON malformed.
        if (error && /"(?:__proto__|constructor)"/.test(text) && isJson(text))
          return done(
            scimError.invalidSyntax(
              'The body has a key named __proto__, or constructor holding prototype: such keys are refused.',
            ),
          )
        if (error) return done(error)
        // Threat: a name that is not text (an unpaired surrogate) is stored as replacement
        // characters, looks like another user's name, and escapes filters that cannot express it.
        const malformed = text.includes('\\u') ? unpairedSurrogateIn(body) : undefined
        if (malformed !== undefined)
          return done(
            scimError.invalidSyntax(
              `A string in the body holds an unpaired UTF-16 surrogate (${malformed}): strings must be Unicode text.`,
            ),
          )
        done(null, body)
      })
    }
    app.addContentTypeParser(['application/json', 'application/scim+json'], { parseAs: 'buffer' }, parseJson)
    app.setErrorHandler(scimErrorHandler)
    app.setNotFoundHandler(async (request) => {
      throw unroutedError(request.method, pathAfterScimBase(request.url))
    })
    app.addHook('onRequest', async (request) => requireAcceptableResponse(request))
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
