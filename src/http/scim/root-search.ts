import type { FastifyInstance } from 'fastify'
import type { Container } from '../../container.ts'
import { isScimError, scimError } from '../../scim/errors.ts'
import { groupRegistry, userRegistry } from '../../scim/schema/registry.ts'
import type { SchemaRegistry } from '../../scim/schema/types.ts'
import { tenantOf } from '../admin-auth-hook.ts'
import { groupResponse, showsMembers } from './groups.ts'
import { LIST_RESPONSE, type ListParameters, searchParametersOf } from './list-request.ts'
import { scimBaseUrl, sendScim } from './replies.ts'
import { userResponse } from './users.ts'

/**
 * POST /.search across Users then Groups (RFC 7644 §3.4.3). An attribute one resource type
 * lacks has no value there (RFC 7644 §3.4.2.1): `userName pr` selects no group, `not (userName
 * pr)` every group. Paging runs over Users first.
 */
/** Attributes of one type have no value in the other; an attribute of neither is an error. */
const ACROSS_TYPES = { foreignAttributes: 'absent', knownTo: [userRegistry, groupRegistry] } as const

export function rootSearchRoutes(container: Container) {
  const { config, scimUsers, scimGroups } = container
  const maxResults = config.scim.max_results
  const parametersFor = (body: unknown, registry: SchemaRegistry): ListParameters | undefined => {
    try {
      return searchParametersOf(body, registry, maxResults, ACROSS_TYPES)
    } catch (error) {
      if (isScimError(error) && error.scimType === 'invalidFilter') return undefined
      throw error
    }
  }
  // A sortBy that one type lacks leaves that type in its own order, as resources without the
  // value would be (RFC 7644 §3.4.2.3), rather than failing the whole search.
  const sortableIn = (parameters: ListParameters | undefined, registry: SchemaRegistry) =>
    parameters?.sortBy && !registry.resolve(parameters.sortBy)
      ? { ...parameters, sortBy: undefined }
      : parameters
  return async (app: FastifyInstance) => {
    app.post(
      '/.search',
      { config: { permission: 'users:read' }, schema: { hide: true } },
      async (request, reply) => {
        const forUsers = sortableIn(parametersFor(request.body, userRegistry), userRegistry)
        const forGroups = sortableIn(parametersFor(request.body, groupRegistry), groupRegistry)
        // Neither type accepts the filter: report it as the Users search would.
        if (!forUsers && !forGroups) searchParametersOf(request.body, userRegistry, maxResults)
        const tenant = tenantOf(request)
        const baseUrl = scimBaseUrl(config, request)
        const first = (forUsers ?? forGroups)!
        const users =
          forUsers && !forUsers.matchesNone
            ? await scimUsers.list(tenant, forUsers)
            : { total: 0, records: [] }
        const groupStart = Math.max(1, first.startIndex - users.total)
        const groupCount = Math.max(0, first.count - users.records.length)
        const groups =
          forGroups && !forGroups.matchesNone
            ? await scimGroups.list(tenant, {
                ...forGroups,
                startIndex: groupStart,
                count: first.startIndex > users.total || users.records.length < first.count ? groupCount : 0,
                withMembers: showsMembers({ ...forGroups, listing: true }),
              })
            : { total: 0, records: [] }
        if (!forUsers && !forGroups)
          throw scimError.invalidFilter('The filter fits neither Users nor Groups.')
        const resources = [
          ...users.records.map((record) => userResponse(record, baseUrl, { ...first, listing: true })),
          ...groups.records.map((record) => groupResponse(record, baseUrl, { ...first, listing: true })),
        ]
        return sendScim(reply, 200, {
          schemas: [LIST_RESPONSE],
          totalResults: users.total + groups.total,
          itemsPerPage: resources.length,
          startIndex: first.startIndex,
          Resources: resources,
        })
      },
    )
  }
}
