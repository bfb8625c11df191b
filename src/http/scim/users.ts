import type { Container } from '../../container.ts'
import { attributeKey, type Projection, projectResource } from '../../scim/projection.ts'
import { userRegistry } from '../../scim/schema/registry.ts'
import { REKEY_USER } from '../../scim/users/user-mapping.ts'
import type { UserRecord } from '../../scim/users/user-record.ts'
import { renderUser } from '../../scim/users/user-resource.ts'
import { resourceRoutes } from './resource-routes.ts'

/** Never in a page of users, even when asked for: the offline one-time password. */
export const neverListedUserAttributes: ReadonlySet<string> = new Set([
  attributeKey(REKEY_USER, 'oneTimePassword'),
])

export function userResponse(record: UserRecord, baseUrl: string, projection: Projection) {
  return projectResource(renderUser(record, baseUrl), userRegistry, projection, neverListedUserAttributes)
}

export function userRoutes(container: Container) {
  const { scimUsers } = container
  return resourceRoutes<UserRecord>(container.config, {
    collection: 'Users',
    registry: userRegistry,
    identity: (record) => ({ id: record.row.id, version: record.row.version }),
    render: userResponse,
    list: (tenant, parameters) => scimUsers.list(tenant, parameters),
    get: (tenant, id) => scimUsers.get(tenant, id),
    create: (tenant, body, principal) => scimUsers.create(tenant, body, principal.actor),
    replace: (tenant, id, body, principal, ifMatch) =>
      scimUsers.replace(tenant, id, body, principal.actor, ifMatch),
    patch: (tenant, id, body, principal, ifMatch) =>
      scimUsers.patch(tenant, id, body, principal.actor, ifMatch),
    delete: (tenant, id, principal, ifMatch) => scimUsers.delete(tenant, id, principal.actor, ifMatch),
  })
}
