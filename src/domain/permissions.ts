/**
 * Permissions a role can grant. `login` admits a user to the end-user sign-in; the others gate
 * admin routes. `tenants:manage` exists only in the default tenant.
 */
export const permissions = [
  'login',
  'users:read',
  'users:write',
  'reset:force',
  'config:write',
  'audit:read',
  'tokens:manage',
  'tenants:manage',
] as const

export type Permission = (typeof permissions)[number]

export const permissionDescriptions: Record<Permission, string> = {
  login: 'Sign in through the login API and pages',
  'users:read': 'Read users, roles and user stores',
  'users:write': 'Create, change, lock and delete users; manage roles and role membership',
  'reset:force': 'Force password resets',
  'config:write': 'Change tenant configuration',
  'audit:read': 'Read the audit log',
  'tokens:manage': 'Create, list and revoke API tokens',
  'tenants:manage': 'Create, list and disable tenants (default tenant only)',
}

export function isPermission(value: string): value is Permission {
  return (permissions as readonly string[]).includes(value)
}

/** What the built-in `admin` role holds in a tenant. */
export function administratorPermissions(isDefaultTenant: boolean): Permission[] {
  return permissions.filter((permission) => isDefaultTenant || permission !== 'tenants:manage')
}
