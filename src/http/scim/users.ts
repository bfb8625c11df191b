import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../container.ts'
import { matchesVersion, parsePrecondition, versionTag } from '../../scim/etag.ts'
import { attributeKey, type Projection, projectResource } from '../../scim/projection.ts'
import { userRegistry } from '../../scim/schema/registry.ts'
import { REKEY_USER } from '../../scim/users/user-mapping.ts'
import type { UserRecord } from '../../scim/users/user-record.ts'
import { renderUser } from '../../scim/users/user-resource.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { LIST_RESPONSE, type ListParameters, listParametersOf, searchParametersOf } from './list-request.ts'
import { scimBaseUrl, sendScim } from './replies.ts'

/** Never in a page of users, even when asked for: the offline one-time password. */
export const neverListedUserAttributes: ReadonlySet<string> = new Set([
  attributeKey(REKEY_USER, 'oneTimePassword'),
])

type IdRequest = FastifyRequest<{ Params: { id: string } }>

export function userResponse(record: UserRecord, baseUrl: string, projection: Projection) {
  return projectResource(renderUser(record, baseUrl), userRegistry, projection, neverListedUserAttributes)
}

/** `attributes` / `excludedAttributes` of a single-resource request. */
export function singleProjection(query: unknown, maxResults: number, registry = userRegistry): Projection {
  const parameters = listParametersOf((query ?? {}) as Record<string, unknown>, registry, maxResults)
  return {
    attributes: parameters.attributes,
    excludedAttributes: parameters.excludedAttributes,
    listing: false,
  }
}

export function userRoutes(container: Container) {
  const { config, scimUsers } = container
  const maxResults = config.scim.max_results

  return async (app: FastifyInstance) => {
    const list = async (request: FastifyRequest, parameters: ListParameters) => {
      const { total, records } = await scimUsers.list(tenantOf(request), parameters)
      const baseUrl = scimBaseUrl(config, request)
      const projection = { ...parameters, listing: true }
      return {
        schemas: [LIST_RESPONSE],
        totalResults: total,
        itemsPerPage: records.length,
        startIndex: parameters.startIndex,
        Resources: records.map((record) => userResponse(record, baseUrl, projection)),
      }
    }
    // The projection is read before any write, so a bad `attributes` cannot follow a change.
    const one = (
      request: FastifyRequest,
      reply: FastifyReply,
      record: UserRecord,
      projection: Projection,
      status = 200,
    ) =>
      sendScim(reply, status, userResponse(record, scimBaseUrl(config, request), projection), {
        etag: versionTag(record.row.version),
        ...(status === 201 ? { location: `${scimBaseUrl(config, request)}/Users/${record.row.id}` } : {}),
      })

    app.get(
      '/Users',
      { config: { permission: 'users:read' }, schema: { hide: true } },
      async (request, reply) =>
        sendScim(
          reply,
          200,
          await list(
            request,
            listParametersOf(request.query as Record<string, unknown>, userRegistry, maxResults),
          ),
        ),
    )
    app.post(
      '/Users/.search',
      { config: { permission: 'users:read' }, schema: { hide: true } },
      async (request, reply) =>
        sendScim(reply, 200, await list(request, searchParametersOf(request.body, userRegistry, maxResults))),
    )
    app.post(
      '/Users',
      { config: { permission: 'users:write' }, schema: { hide: true } },
      async (request, reply) => {
        const projection = singleProjection(request.query, maxResults)
        const record = await scimUsers.create(tenantOf(request), request.body, principalOf(request).actor)
        return one(request, reply, record, projection, 201)
      },
    )
    app.get(
      '/Users/:id',
      { config: { permission: 'users:read' }, schema: { hide: true } },
      async (request: IdRequest, reply) => {
        const projection = singleProjection(request.query, maxResults)
        const record = await scimUsers.get(tenantOf(request), request.params.id)
        const ifNoneMatch = parsePrecondition(request.headers['if-none-match'])
        if (ifNoneMatch && matchesVersion(ifNoneMatch, record.row.version))
          return reply.code(304).header('etag', versionTag(record.row.version)).send()
        return one(request, reply, record, projection)
      },
    )
    app.put(
      '/Users/:id',
      { config: { permission: 'users:write' }, schema: { hide: true } },
      async (request: IdRequest, reply) => {
        const projection = singleProjection(request.query, maxResults)
        const ifMatch = parsePrecondition(request.headers['if-match'])
        const record = await scimUsers.replace(
          tenantOf(request),
          request.params.id,
          request.body,
          principalOf(request).actor,
          ifMatch,
        )
        return one(request, reply, record, projection)
      },
    )
    app.patch(
      '/Users/:id',
      { config: { permission: 'users:write' }, schema: { hide: true } },
      async (request: IdRequest, reply) => {
        const projection = singleProjection(request.query, maxResults)
        const ifMatch = parsePrecondition(request.headers['if-match'])
        const record = await scimUsers.patch(
          tenantOf(request),
          request.params.id,
          request.body,
          principalOf(request).actor,
          ifMatch,
        )
        return one(request, reply, record, projection)
      },
    )
    app.delete(
      '/Users/:id',
      { config: { permission: 'users:write' }, schema: { hide: true } },
      async (request: IdRequest, reply) => {
        const ifMatch = parsePrecondition(request.headers['if-match'])
        await scimUsers.delete(tenantOf(request), request.params.id, principalOf(request).actor, ifMatch)
        return reply.code(204).send()
      },
    )
  }
}
