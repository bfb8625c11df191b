import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Principal } from '../../admin/admin-authenticator.ts'
import type { Config } from '../../config/schema.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { scimError } from '../../scim/errors.ts'
import {
  matchesVersion,
  type Precondition,
  parsePrecondition,
  requireVersion,
  versionTag,
} from '../../scim/etag.ts'
import type { Projection, ScimResource } from '../../scim/projection.ts'
import type { SchemaRegistry } from '../../scim/schema/types.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { LIST_RESPONSE, type ListParameters, listParametersOf, searchParametersOf } from './list-request.ts'
import { scimBaseUrl, sendScim } from './replies.ts'

/** What the routes of one resource type need: its schemas, use cases and rendering. */
export interface ResourceEndpoint<Item> {
  /** `Users` or `Groups`: the collection's path segment. */
  collection: string
  registry: SchemaRegistry
  identity(record: Item): { id: string; version: number }
  render(record: Item, baseUrl: string, projection: Projection): ScimResource
  list(
    tenant: TenantRow,
    parameters: ListParameters,
    projection: Projection,
  ): Promise<{ total: number; records: Item[] }>
  get(tenant: TenantRow, id: string, projection: Projection, principal: Principal): Promise<Item>
  create(tenant: TenantRow, body: unknown, principal: Principal): Promise<Item>
  replace(
    tenant: TenantRow,
    id: string,
    body: unknown,
    principal: Principal,
    ifMatch?: Precondition,
  ): Promise<Item>
  patch(
    tenant: TenantRow,
    id: string,
    body: unknown,
    principal: Principal,
    ifMatch?: Precondition,
  ): Promise<Item>
  delete(tenant: TenantRow, id: string, principal: Principal, ifMatch?: Precondition): Promise<void>
}

/** `attributes` / `excludedAttributes` of a single-resource request. */
export function singleProjection(query: unknown, maxResults: number, registry: SchemaRegistry): Projection {
  const parameters = listParametersOf((query ?? {}) as Record<string, unknown>, registry, maxResults)
  return {
    attributes: parameters.attributes,
    excludedAttributes: parameters.excludedAttributes,
    listing: false,
  }
}

type IdRequest = FastifyRequest<{ Params: { id: string } }>

/** Every attribute: the projection of a read that only looks at the version. */
const READ_ALL: Projection = { attributes: undefined, excludedAttributes: undefined, listing: false }

/**
 * The SCIM routes of one resource type (RFC 7644 §3.2–3.6): list, search, create, read, replace,
 * patch, delete. The projection is read before any write, so a bad `attributes` cannot follow a
 * change; single-resource answers carry the version as ETag.
 */
export function resourceRoutes<Item>(config: Config, endpoint: ResourceEndpoint<Item>) {
  const maxResults = config.scim.max_results
  const { collection, registry } = endpoint
  return async (app: FastifyInstance) => {
    const projectionOf = (request: FastifyRequest) => singleProjection(request.query, maxResults, registry)
    const list = async (request: FastifyRequest, parameters: ListParameters) => {
      // Written out, not spread: see `projectResource`.
      const projection: Projection = {
        attributes: parameters.attributes,
        excludedAttributes: parameters.excludedAttributes,
        listing: true,
      }
      const { total, records } = await endpoint.list(tenantOf(request), parameters, projection)
      const baseUrl = scimBaseUrl(config, request)
      return {
        schemas: [LIST_RESPONSE],
        totalResults: total,
        itemsPerPage: records.length,
        startIndex: parameters.startIndex,
        Resources: records.map((record) => endpoint.render(record, baseUrl, projection)),
      }
    }
    const one = (
      request: FastifyRequest,
      reply: FastifyReply,
      record: Item,
      projection: Projection,
      status = 200,
    ) => {
      const { id, version } = endpoint.identity(record)
      const baseUrl = scimBaseUrl(config, request)
      return sendScim(reply, status, endpoint.render(record, baseUrl, projection), {
        etag: versionTag(version),
        ...(status === 201 ? { location: `${baseUrl}/${collection}/${id}` } : {}),
      })
    }
    const read = { config: { permission: 'users:read' as const }, schema: { hide: true } }
    const write = { config: { permission: 'users:write' as const }, schema: { hide: true } }

    /**
     * The version a write may apply to (RFC 7232 §3.1–3.2): If-Match as sent; with If-None-Match,
     * the version read now, refused with 412 when the header names it (or is `*`: the resource
     * exists) and otherwise pinned, so the write still fails if another lands in between.
     */
    const writeCondition = async (request: IdRequest): Promise<Precondition | undefined> => {
      const ifMatch = parsePrecondition(request.headers['if-match'])
      const ifNoneMatch = parsePrecondition(request.headers['if-none-match'])
      if (!ifNoneMatch) return ifMatch
      const current = await endpoint.get(tenantOf(request), request.params.id, READ_ALL, principalOf(request))
      const { version } = endpoint.identity(current)
      if (matchesVersion(ifNoneMatch, version))
        throw scimError.preconditionFailed(
          `If-None-Match names the resource's version ${versionTag(version)} (or is *): nothing was changed.`,
        )
      requireVersion(ifMatch, version)
      return { any: false, versions: new Set([version]) }
    }

    // `Users/` is the collection too: the router ignores a trailing slash.
    app.get(`/${collection}`, read, async (request, reply) =>
      sendScim(
        reply,
        200,
        await list(request, listParametersOf(request.query as Record<string, unknown>, registry, maxResults)),
      ),
    )
    app.post(`/${collection}`, write, async (request, reply) => {
      const projection = projectionOf(request)
      const record = await endpoint.create(tenantOf(request), request.body, principalOf(request))
      return one(request, reply, record, projection, 201)
    })
    // Without it, a GET of `.search` would read as the user or group with that id.
    app.get(`/${collection}/.search`, read, async () => {
      throw scimError.methodNotAllowed(`/${collection}/.search answers POST (a SearchRequest), not GET.`, [
        'POST',
      ])
    })
    app.post(`/${collection}/.search`, read, async (request, reply) =>
      sendScim(reply, 200, await list(request, searchParametersOf(request.body, registry, maxResults))),
    )
    app.get(`/${collection}/:id`, read, async (request: IdRequest, reply) => {
      const projection = projectionOf(request)
      const ifMatch = parsePrecondition(request.headers['if-match'])
      const ifNoneMatch = parsePrecondition(request.headers['if-none-match'])
      const record = await endpoint.get(
        tenantOf(request),
        request.params.id,
        projection,
        principalOf(request),
      )
      const { version } = endpoint.identity(record)
      requireVersion(ifMatch, version)
      if (ifNoneMatch && matchesVersion(ifNoneMatch, version))
        return reply.code(304).header('etag', versionTag(version)).send()
      return one(request, reply, record, projection)
    })
    for (const method of ['put', 'patch'] as const) {
      app[method](`/${collection}/:id`, write, async (request: IdRequest, reply) => {
        const projection = projectionOf(request)
        const condition = await writeCondition(request)
        const change = method === 'put' ? endpoint.replace : endpoint.patch
        const principal = principalOf(request)
        const record = await change(tenantOf(request), request.params.id, request.body, principal, condition)
        // Threat: a write-only credential reading users through PATCHes that change nothing. It
        // gets 204 and the ETag, which RFC 7644 §3.5.2 allows, and not the resource.
        if (method === 'patch' && !principal.permissions.has('users:read'))
          return reply
            .code(204)
            .header('etag', versionTag(endpoint.identity(record).version))
            .send()
        return one(request, reply, record, projection)
      })
    }
    app.delete(`/${collection}/:id`, write, async (request: IdRequest, reply) => {
      const condition = await writeCondition(request)
      await endpoint.delete(tenantOf(request), request.params.id, principalOf(request), condition)
      return reply.code(204).send()
    })
  }
}
