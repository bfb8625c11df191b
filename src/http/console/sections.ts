import type { Permission } from '../../domain/permissions.ts'

/** A part of the console in the navigation. */
export interface ConsoleSection {
  key: string
  label: string
  /** Under `/console`. */
  path: string
  /** Shown when the administrator holds any of these. */
  anyOf: readonly Permission[]
  /** Only in the default tenant's console (tenant management). */
  defaultTenantOnly?: boolean
}

/**
 * The navigation, in order. What a section shows is decided again by each route's own
 * permission: hiding a link is convenience, never the check.
 */
export const consoleSections: readonly ConsoleSection[] = [
  { key: 'users', label: 'Users', path: '/users', anyOf: ['users:read'] },
  { key: 'bulk-reset', label: 'Bulk force reset', path: '/bulk-reset', anyOf: ['reset:force'] },
  { key: 'roles', label: 'Roles', path: '/roles', anyOf: ['users:read'] },
  {
    key: 'settings',
    label: 'Password reset settings',
    path: '/settings/password-reset',
    anyOf: ['config:write'],
  },
  { key: 'email', label: 'Email', path: '/email', anyOf: ['config:write', 'audit:read'] },
  { key: 'audit', label: 'Audit log', path: '/audit', anyOf: ['audit:read'] },
  { key: 'tenants', label: 'Tenants', path: '/tenants', anyOf: ['tenants:manage'], defaultTenantOnly: true },
]

export function visibleSections(
  permissions: ReadonlySet<Permission>,
  isDefaultTenant: boolean,
): ConsoleSection[] {
  return consoleSections.filter(
    (section) =>
      (!section.defaultTenantOnly || isDefaultTenant) &&
      section.anyOf.some((permission) => permissions.has(permission)),
  )
}
