/**
 * A request URL's path as the router reads it (`ignoreDuplicateSlashes`, `ignoreTrailingSlash`):
 * without the query, runs of slashes as one, none at the end. Anything built from or matched
 * against the path uses this form. Threat: `POST //host/api/admin/users` reaches its route too,
 * and a `Location` built from the raw path (`//host/…`) would send a client to another host.
 */
export function routedPath(url: string): string {
  return url
    .split('?')[0]!
    .replace(/\/{2,}/g, '/')
    .replace(/(.)\/$/, '$1')
}
