import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../container.ts'
import { matchesVersion, parsePrecondition, versionTag } from '../../scim/etag.ts'
import type { GroupRecord } from '../../scim/groups/group-record.ts'
import { renderGroup } from '../../scim/groups/group-resource.ts'
import { type Projection, projectResource } from '../../scim/projection.ts'
import { groupRegistry } from '../../scim/schema/registry.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { LIST_RESPONSE, type ListParameters, listParametersOf, searchParametersOf } from './list-request.ts'
import { scimBaseUrl, sendScim } from './replies.ts'
import { singleProjection } from './users.ts'

type IdRequest = FastifyRequest<{ Params: { id: string } }>

/** Members are loaded only when the answer will show them (a group may have many). */
export function showsMembers(projection: Projection): boolean {
  const named = (paths: Projection['attributes']) =>
    (paths ?? []).some((path) => path.attribute.toLowerCase() === 'members' && !path.subAttribute)
  if (projection.attributes && projection.attributes.length > 0)
    return projection.attributes.some((path) => path.attribute.toLowerCase() === 'members')
  return !named(projection.excludedAttributes)
}

export function groupResponse(record: GroupRecord, baseUrl: string, projection: Projection) {
  return projectResource(renderGroup(record, baseUrl), groupRegistry, projection)
}

export function groupRoutes(container: Container) {
  const { config, scimGroups } = container
  const maxResults = config.scim.max_results

  return async (app: FastifyInstance) => {
    const list = async (request: FastifyRequest, parameters: ListParameters) => {
      const projection = { ...parameters, listing: true }
      const { total, records } = await scimGroups.list(tenantOf(request), {
        ...parameters,
        withMembers: showsMembers(projection),
      })
      const baseUrl = scimBaseUrl(config, request)
      return {
        schemas: [LIST_RESPONSE],
        totalResults: total,
        itemsPerPage: records.length,
        startIndex: parameters.startIndex,
        Resources: records.map((record) => groupResponse(record, baseUrl, projection)),
      }
    }
    const one = (
      request: FastifyRequest,
      reply: FastifyReply,
      record: GroupRecord,
      projection: Projection,
      status = 200,
    ) =>
      sendScim(reply, status, groupResponse(record, scimBaseUrl(config, request), projection), {
        etag: versionTag(record.row.version),
        ...(status === 201 ? { location: `${scimBaseUrl(config, request)}/Groups/${record.row.id}` } : {}),
      })
    const projectionOf = (request: FastifyRequest) =>
      singleProjection(request.query, maxResults, groupRegistry)

    app.get(
      '/Groups',
      { config: { permission: 'users:read' }, schema: { hide: true } },
      async (request, reply) =>
        sendScim(
          reply,
          200,
          await list(
            request,
            listParametersOf(request.query as Record<string, unknown>, groupRegistry, maxResults),
          ),
        ),
    )
    app.post(
      '/Groups/.search',
      { config: { permission: 'users:read' }, schema: { hide: true } },
      async (request, reply) =>
        sendScim(
          reply,
          200,
          await list(request, searchParametersOf(request.body, groupRegistry, maxResults)),
        ),
    )
    app.post(
      '/Groups',
      { config: { permission: 'users:write' }, schema: { hide: true } },
      async (request, reply) => {
        const projection = projectionOf(request)
        const record = await scimGroups.create(tenantOf(request), request.body, principalOf(request))
        return one(request, reply, record, projection, 201)
      },
    )
    app.get(
      '/Groups/:id',
      { config: { permission: 'users:read' }, schema: { hide: true } },
      async (request: IdRequest, reply) => {
        const projection = projectionOf(request)
        const record = await scimGroups.get(tenantOf(request), request.params.id, showsMembers(projection))
        const ifNoneMatch = parsePrecondition(request.headers['if-none-match'])
        if (ifNoneMatch && matchesVersion(ifNoneMatch, record.row.version))
          return reply.code(304).header('etag', versionTag(record.row.version)).send()
        return one(request, reply, record, projection)
      },
    )
    app.put(
      '/Groups/:id',
      { config: { permission: 'users:write' }, schema: { hide: true } },
      async (request: IdRequest, reply) => {
        const projection = projectionOf(request)
        const ifMatch = parsePrecondition(request.headers['if-match'])
        const record = await scimGroups.replace(
          tenantOf(request),
          request.params.id,
          request.body,
          principalOf(request),
          ifMatch,
        )
        return one(request, reply, record, projection)
      },
    )
    app.patch(
      '/Groups/:id',
      { config: { permission: 'users:write' }, schema: { hide: true } },
      async (request: IdRequest, reply) => {
        const projection = projectionOf(request)
        const ifMatch = parsePrecondition(request.headers['if-match'])
        const record = await scimGroups.patch(
          tenantOf(request),
          request.params.id,
          request.body,
          principalOf(request),
          ifMatch,
        )
        return one(request, reply, record, projection)
      },
    )
    app.delete(
      '/Groups/:id',
      { config: { permission: 'users:write' }, schema: { hide: true } },
      async (request: IdRequest, reply) => {
        const ifMatch = parsePrecondition(request.headers['if-match'])
        await scimGroups.delete(tenantOf(request), request.params.id, principalOf(request), ifMatch)
        return reply.code(204).send()
      },
    )
  }
}
