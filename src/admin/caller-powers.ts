import type { Permission } from '../domain/permissions.ts'
import { AppError } from '../errors/app-error.ts'
import type { Executor } from '../persistence/executor.ts'
import { rolesRepository } from '../persistence/repositories/roles.ts'

/** The permissions among `granted` the caller does not hold; `login`, which every user may hold, aside. */
function beyondCaller(granted: readonly string[], permissions: ReadonlySet<Permission>): string[] {
  return granted.filter((permission) => permission !== 'login' && !permissions.has(permission as Permission))
}

/**
 * Threat: a credential allowed to manage users (`users:write`) taking over an account that holds
 * more than the credential does: setting an administrator's password or address, disabling,
 * locking or deleting it, and so gaining, or denying others, powers it was never given. A user
 * holding any permission beyond the caller's (`login` aside, which every user may hold) can be
 * written only by a caller holding it too. `permissions` undefined: the CLI, run by whoever
 * operates the server.
 */
export async function requireWithinCallerPowers(
  db: Executor,
  userId: string,
  permissions: ReadonlySet<Permission> | undefined,
): Promise<void> {
  if (!permissions) return
  const beyond = beyondCaller(await rolesRepository.permissionsOfUser(db, userId), permissions)
  if (beyond.length > 0)
    throw new AppError('auth.forbidden', {
      detail: `This user holds ${beyond.join(', ')}, which these credentials do not hold: only a caller holding them may change or remove the user.`,
    })
}

/**
 * Threat: a credential allowed to manage roles (`users:write`) granting itself, through a role,
 * powers it was never given (creating a role that holds `tokens:manage`, or joining the
 * administrators' role, and signing in as a member), or taking them from those who hold them
 * (removing an administrator from its role, emptying or deleting that role, after which the
 * administrator holds nothing beyond the caller). A role granting any permission beyond the
 * caller's (`login` aside) can be created, changed, deleted, joined or left only by a caller
 * holding it too. `permissions` undefined: the CLI.
 */
export function requireRoleWithinCallerPowers(
  granted: readonly string[],
  permissions: ReadonlySet<Permission> | undefined,
): void {
  if (!permissions) return
  const beyond = beyondCaller(granted, permissions)
  if (beyond.length > 0)
    throw new AppError('auth.forbidden', {
      detail: `This role grants ${beyond.join(', ')}, which these credentials do not hold: only a caller holding them may create, change or delete the role, or add or remove its members.`,
    })
}

/**
 * The stored role's permissions, refused (requireRoleWithinCallerPowers) when one is beyond the
 * caller's: the one check of the admin API, the console and SCIM Groups before they change a
 * role or its members. Returns the permissions read.
 */
export async function requireStoredRoleWithinCallerPowers(
  db: Executor,
  roleId: string,
  permissions: ReadonlySet<Permission> | undefined,
): Promise<string[]> {
  const granted = (await rolesRepository.permissionsOf(db, [roleId])).get(roleId) ?? []
  requireRoleWithinCallerPowers(granted, permissions)
  return granted
}

/**
 * Threat: a tenant shut out by its own administrators, disabling or locking the last account
 * that could still administer it (deleting it is refused the same way).
 */
export async function requireAnotherActiveAdministrator(db: Executor, userId: string): Promise<void> {
  if (await rolesRepository.isLastActiveAdministrator(db, userId))
    throw new AppError('role.last-administrator', {
      detail:
        'This user is the last active member of the administrator role: disabling or locking it would leave the tenant without an administrator.',
    })
}
