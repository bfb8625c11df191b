import type { Principal } from '../../admin/admin-authenticator.ts'
import { validateClaims } from '../../admin/claims-input.ts'
import type { Container } from '../../container.ts'
import type { Permission } from '../../domain/permissions.ts'
import { AppError } from '../../errors/app-error.ts'
import { FORCED_RESET_CLAIM, ONE_TIME_PASSWORD_CLAIM } from '../../flows/forced-reset/reset-policy.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { internalStoreFields, userProfileFields } from '../../soap/profile-fields.ts'
import { type ProfileRequest, profileResponse, setProfileResponse } from '../../soap/profile-messages.ts'

/**
 * The permissions a request needs: writing the forced-reset claim also needs `reset:force`.
 * Checked before the user is looked up, so a caller without them cannot even learn whether a
 * user exists (the reset service checks `reset:force` again where it applies the claim).
 */
export function requiredPermissions(request: ProfileRequest): Permission[] {
  if (request.operation !== 'setUserProfile') return ['users:read']
  return Object.hasOwn(request.changes, FORCED_RESET_CLAIM) ? ['users:write', 'reset:force'] : ['users:write']
}

/** The operations of UserProfileMgtService over Rekey's services; each returns the answer's body XML. */
export function profileOperations(container: Container) {
  const { users, forcedResets } = container

  async function getUserProfile(tenant: TenantRow, principal: Principal, username: string) {
    const user = await users.require(tenant, username)
    const { claims } = await users.get(tenant, user.id)
    // Threat: whoever reads the code can sign in as the user, so it needs the permission that
    // forces resets, as the admin API's read-back does (and the reset service audits the read).
    if (principal.permissions.has('reset:force')) {
      const otp = await forcedResets.readOfflineOtp(tenant, user, principal.actor)
      if (otp !== undefined) claims[ONE_TIME_PASSWORD_CLAIM] = otp
    }
    return profileResponse('getUserProfile', userProfileFields(claims))
  }

  async function setUserProfile(
    tenant: TenantRow,
    principal: Principal,
    username: string,
    changes: Record<string, string | null>,
  ) {
    validateClaims(changes, true)
    // The users service's write, as the admin API's and the console's: one transaction in which
    // every claim and the reset it asks for are applied or none is, the user's version moves
    // (SCIM ETags see the change) and the write is audited.
    const user = await users.require(tenant, username)
    await users.update(tenant, user.id, { claims: changes }, principal.actor, {
      channel: 'soap',
      permissions: principal.permissions,
    })
    return setProfileResponse()
  }

  return async function run(
    tenant: TenantRow,
    principal: Principal,
    request: ProfileRequest,
  ): Promise<string> {
    for (const permission of requiredPermissions(request)) {
      if (!principal.permissions.has(permission))
        throw new AppError('auth.forbidden', { detail: `This call needs the ${permission} permission.` })
    }
    switch (request.operation) {
      case 'getUserProfile':
        return getUserProfile(tenant, principal, request.username)
      case 'setUserProfile':
        return setUserProfile(tenant, principal, request.username, request.changes)
      case 'getProfileFieldsForInternalStore':
        return profileResponse('getProfileFieldsForInternalStore', internalStoreFields())
    }
  }
}
