import type { FastifyRequest } from 'fastify'

/**
 * The path a request was routed by, as the base of the `Location` of what it created: without
 * the query, with runs of slashes as one and none at the end, as the router reads it. Threat:
 * `POST //host/api/admin/users` reaches the route too, and a `Location` starting with `//`
 * would send a client that follows it to another host.
 */
export function collectionPath(request: FastifyRequest): string {
  return request.url
    .split('?')[0]!
    .replace(/\/{2,}/g, '/')
    .replace(/\/$/, '')
}
