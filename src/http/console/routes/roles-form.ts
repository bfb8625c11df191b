import { type Permission, permissionDescriptions, permissions } from '../../../domain/permissions.ts'
import { AppError } from '../../../errors/app-error.ts'
import { formField } from '../../pages/kit.ts'
import { type ConsoleErrors, consoleErrorsOf, consoleFieldError, consoleFormError } from '../form-errors.ts'

/** Members shown per page of a role. */
export const MEMBERS_PER_PAGE = 50

export const roleFields = {
  name: 'role-name',
  permissions: 'role-permissions',
  member: 'role-member',
} as const

/**
 * A role's console path. Look-ups ignore case, so a role named `new` is linked as `New`: its
 * page then never meets the form at `/roles/new`.
 */
export function rolePath(name: string): string {
  return `/roles/${encodeURIComponent(name === 'new' ? 'New' : name)}`
}

/** The permission checkboxes of the tenant (`tenants:manage` only in the default tenant). */
export function permissionOptions(isDefaultTenant: boolean, checked: readonly string[]) {
  return permissions
    .filter((permission) => isDefaultTenant || permission !== 'tenants:manage')
    .map((permission) => ({
      permission,
      id: `role-permission-${permission.replace(/\W/g, '-')}`,
      description: permissionDescriptions[permission],
      checked: checked.includes(permission),
    }))
}

export function permissionDescription(permission: string): string {
  return permissionDescriptions[permission as Permission] ?? permission
}

/** A role form as typed: a name and the permissions ticked (none is a list of none). */
export interface RoleForm {
  name: string
  permissions: string[]
}

export function readRoleForm(body: unknown): RoleForm {
  const ticked = body && typeof body === 'object' ? (body as Record<string, unknown>).permissions : undefined
  const list = Array.isArray(ticked) ? ticked : ticked === undefined ? [] : [ticked]
  return {
    name: formField(body, 'name', 128).trim(),
    // Bounded: a crafted post cannot make the use case check thousands of values.
    permissions: list
      .filter((value): value is string => typeof value === 'string')
      .slice(0, permissions.length + 8)
      .map((value) => value.slice(0, 64)),
  }
}

/** Where a use-case problem about a role form belongs. */
export function roleFieldOf(pointer: string): string | undefined {
  if (pointer === '/name') return roleFields.name
  if (pointer.startsWith('/permissions')) return roleFields.permissions
  return undefined
}

/**
 * A refusal of a role change, worded for the page: a bad or taken name by the name field,
 * permissions by theirs, the built-in role's rules in the summary. A role that does not exist
 * (deleted meanwhile, another tenant's) and server faults are rethrown: the console's error
 * page answers them.
 */
export function roleErrors(error: unknown): { errors: ConsoleErrors; status: number } {
  if (!(error instanceof AppError) || error.status >= 500 || error.code === 'role.not-found') throw error
  const on = (field: string, text: string) => ({
    errors: consoleFieldError(field, text),
    status: error.status,
  })
  switch (error.code) {
    case 'role.invalid-name':
      return on(
        roleFields.name,
        'Give the role a name of 1 to 128 characters, without “/” and without spaces at either end.',
      )
    case 'role.exists':
      return on(roleFields.name, 'Another role already has this name (names ignore case). Choose another.')
    case 'role.unknown-permission':
      return on(roleFields.permissions, error.details.detail ?? 'Choose among the permissions offered.')
    case 'role.builtin':
      return {
        errors: consoleFormError(
          'The built-in admin role keeps its name and every permission, and cannot be deleted: it is how the organisation always has an administrator. You can change its members.',
        ),
        status: error.status,
      }
    case 'role.last-administrator':
      return {
        errors: consoleFormError(
          'This is the last member of the built-in admin role: add another administrator first, so the organisation keeps one.',
        ),
        status: error.status,
      }
    default:
      return { errors: consoleErrorsOf(error, roleFieldOf), status: error.status }
  }
}
