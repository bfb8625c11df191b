import { scimError } from '../../scim/errors.ts'
import { routedPath } from '../routed-path.ts'

/** The SCIM endpoints by path (after `/scim2`), and the methods each answers (RFC 7644 §3.2). */
const ENDPOINTS: ReadonlyArray<[RegExp, readonly string[]]> = [
  [/^\/(?:Users|Groups)\/?$/, ['GET', 'HEAD', 'POST']],
  [/^\/(?:Users|Groups)\/\.search$/, ['POST']],
  [/^\/(?:Users|Groups)\/[^/]+$/, ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE']],
  [/^\/Me$/, ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']],
  [/^\/Bulk$/, ['POST']],
  [/^\/\.search$/, ['POST']],
  [/^\/(?:ServiceProviderConfig|ResourceTypes|Schemas)(?:\/[^/]+)?\/?$/, ['GET', 'HEAD']],
]

/**
 * The error for a request no route took: 405 with `Allow` when the path is an endpoint that
 * does not answer this method (a PATCH of the collection, a POST to one user), 404 otherwise.
 * `path` is the request path after the SCIM base, without the query.
 */
export function unroutedError(method: string, path: string) {
  const allowed = ENDPOINTS.find(([pattern]) => pattern.test(path))?.[1]
  if (allowed && !allowed.includes(method))
    return scimError.methodNotAllowed(`${path} answers ${allowed.join(', ')}, not ${method}.`, allowed)
  return scimError.notFound('No such SCIM endpoint: see /ServiceProviderConfig, /ResourceTypes and /Schemas.')
}

/** The path of a SCIM request after its base (`/scim2` or `/t/{tenant}/scim2`), as routed. */
export function pathAfterScimBase(url: string): string {
  return routedPath(url).replace(SCIM_BASE, '')
}

/** Whether a request path is one of the SCIM service provider's (`/scim2/…`, `/t/{tenant}/scim2/…`). */
export function isScimPath(url: string): boolean {
  return SCIM_BASE.test(routedPath(url))
}

const SCIM_BASE = /^(?:\/t\/[^/]+)?\/scim2(?=\/|$)/
