import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Config } from '../../config/schema.ts'
import { resourceTypes } from '../../scim/discovery/resource-types.ts'
import { schemaResources } from '../../scim/discovery/schemas-resource.ts'
import { serviceProviderConfig } from '../../scim/discovery/service-provider-config.ts'
import { ScimError, scimError } from '../../scim/errors.ts'
import { LIST_RESPONSE } from './list-request.ts'
import { scimBaseUrl, sendScim } from './replies.ts'

/**
 * RFC 7644 §4: discovery lists are not filtered, and a client that sends a filter must not take
 * the whole list for the matches; it is told so (403, as the RFC advises).
 */
function refuseFilter(request: FastifyRequest): void {
  const query = request.query as Record<string, unknown> | undefined
  if (query && Object.keys(query).some((name) => name.toLowerCase() === 'filter'))
    throw new ScimError(undefined, 'Discovery lists are not filtered: read the whole list.', 403)
}

const listOf = (resources: unknown[]) => ({
  schemas: [LIST_RESPONSE],
  totalResults: resources.length,
  itemsPerPage: resources.length,
  startIndex: 1,
  Resources: resources,
})

/**
 * Discovery (RFC 7644 §4): what this endpoint supports. It answers without credentials, as
 * clients read it before they are configured; it holds nothing about users.
 */
export function discoveryRoutes(config: Config) {
  return async (app: FastifyInstance) => {
    const base = (request: FastifyRequest) => scimBaseUrl(config, request)
    const hide = { schema: { hide: true } }
    app.get('/ServiceProviderConfig', hide, async (request, reply) =>
      sendScim(
        reply,
        200,
        serviceProviderConfig({
          baseUrl: base(request),
          maxOperations: config.scim.bulk_max_operations,
          maxPayloadSize: config.scim.bulk_max_payload_bytes,
          maxResults: config.scim.max_results,
        }),
      ),
    )
    app.get('/ResourceTypes', hide, async (request, reply) => {
      refuseFilter(request)
      return sendScim(reply, 200, listOf(resourceTypes(base(request))))
    })
    app.get(
      '/ResourceTypes/:id',
      hide,
      async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
        const found = resourceTypes(base(request)).find(
          (type) => type.id.toLowerCase() === request.params.id.toLowerCase(),
        )
        if (!found)
          throw scimError.notFound(`No resource type ${request.params.id}: there are User and Group.`)
        return sendScim(reply, 200, found)
      },
    )
    app.get('/Schemas', hide, async (request, reply) => {
      refuseFilter(request)
      return sendScim(reply, 200, listOf(schemaResources(base(request))))
    })
    app.get('/Schemas/:id', hide, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const found = schemaResources(base(request)).find(
        (schema) => schema.id.toLowerCase() === request.params.id.toLowerCase(),
      )
      if (!found) throw scimError.notFound(`No schema ${request.params.id}.`)
      return sendScim(reply, 200, found)
    })
  }
}
