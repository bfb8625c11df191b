import type { Container } from '../../container.ts'
import type { GroupRecord } from '../../scim/groups/group-record.ts'
import { renderGroup } from '../../scim/groups/group-resource.ts'
import { type Projection, projectResource } from '../../scim/projection.ts'
import { groupRegistry } from '../../scim/schema/registry.ts'
import { resourceRoutes } from './resource-routes.ts'

/** Members are loaded only when the answer will show them (a group may have many). */
export function showsMembers(projection: Projection): boolean {
  if (projection.attributes && projection.attributes.length > 0)
    return projection.attributes.some((path) => path.attribute.toLowerCase() === 'members')
  return !(projection.excludedAttributes ?? []).some(
    (path) => path.attribute.toLowerCase() === 'members' && !path.subAttribute,
  )
}

export function groupResponse(record: GroupRecord, baseUrl: string, projection: Projection) {
  return projectResource(renderGroup(record, baseUrl), groupRegistry, projection)
}

export function groupRoutes(container: Container) {
  const { scimGroups } = container
  return resourceRoutes<GroupRecord>(container.config, {
    collection: 'Groups',
    registry: groupRegistry,
    identity: (record) => ({ id: record.row.id, version: record.row.version }),
    render: groupResponse,
    list: (tenant, parameters, projection) =>
      scimGroups.list(tenant, { ...parameters, withMembers: showsMembers(projection) }),
    get: (tenant, id, projection) => scimGroups.get(tenant, id, showsMembers(projection)),
    create: (tenant, body, principal) => scimGroups.create(tenant, body, principal),
    replace: (tenant, id, body, principal, ifMatch) =>
      scimGroups.replace(tenant, id, body, principal, ifMatch),
    patch: (tenant, id, body, principal, ifMatch) => scimGroups.patch(tenant, id, body, principal, ifMatch),
    delete: (tenant, id, principal, ifMatch) => scimGroups.delete(tenant, id, principal, ifMatch),
  })
}
