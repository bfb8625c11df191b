import type { Container } from '../../container.ts'
import { ONE_TIME_PASSWORD_CLAIM } from '../../flows/forced-reset/reset-policy.ts'
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

/**
 * Whether `attributes=` names the offline one-time password. It is returned only when named
 * (`returned: request`), one user at a time, and read live from the sealed code.
 */
function asksForOneTimePassword(projection: Projection): boolean {
  return (projection.attributes ?? []).some(
    (path) =>
      path.attribute.toLowerCase() === 'onetimepassword' &&
      (path.schema === undefined || path.schema === REKEY_USER.toLowerCase()),
  )
}

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
    get: async (tenant, id, projection, principal) => {
      const record = await scimUsers.get(tenant, id)
      // The code signs the user in: only those who may force resets read it (and each read is
      // audited by the reset service).
      if (!asksForOneTimePassword(projection) || !principal.permissions.has('reset:force')) return record
      const otp = await container.forcedResets.readOfflineOtp(tenant, record.row, principal.actor)
      return otp === undefined
        ? record
        : { ...record, claims: { ...record.claims, [ONE_TIME_PASSWORD_CLAIM]: otp } }
    },
    create: (tenant, body, principal) => scimUsers.create(tenant, body, principal),
    replace: (tenant, id, body, principal, ifMatch) =>
      scimUsers.replace(tenant, id, body, principal, ifMatch),
    patch: (tenant, id, body, principal, ifMatch) => scimUsers.patch(tenant, id, body, principal, ifMatch),
    delete: (tenant, id, principal, ifMatch) => scimUsers.delete(tenant, id, principal, ifMatch),
  })
}
