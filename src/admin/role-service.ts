import type { Clock } from '../domain/clock.ts'
import { comparisonKey } from '../domain/comparison-key.ts'
import { isPermission, type Permission } from '../domain/permissions.ts'
import { displayUserName } from '../domain/user-name.ts'
import { AppError } from '../errors/app-error.ts'
import type { Actor, AuditLog } from '../observability/audit.ts'
import { type Executor, inTransaction } from '../persistence/executor.ts'
import { type RoleRow, rolesRepository } from '../persistence/repositories/roles.ts'
import type { TenantRow } from '../persistence/repositories/tenants.ts'
import { type UserRow, usersRepository } from '../persistence/repositories/users.ts'
import { isUniqueViolation } from '../persistence/store-errors.ts'
import { newId } from '../security/tokens.ts'
import { requireRoleWithinCallerPowers, requireStoredRoleWithinCallerPowers } from './caller-powers.ts'
import type { UserService } from './user-service.ts'

export const ADMIN_ROLE = 'admin'

/** Where a role write runs (`db`: the caller's transaction) and for whom (`caller` undefined: the CLI). */
export interface RoleWriteOptions {
  db?: Executor | undefined
  caller?: ReadonlySet<Permission> | undefined
}

export interface RoleView {
  name: string
  permissions: string[]
  builtin: boolean
  createdAt: string
}

export interface RoleMember {
  id: string
  username: string
}

/** Role names are unique and looked up case-insensitively, compared as SCIM filters compare them. */
export const roleNameKey = comparisonKey

/** Up to this many members, a page of them is sorted from the role's own membership rows. */
const SORTED_MEMBERSHIP_LIMIT = 5000

/**
 * 1-128 printable characters without "/" or surrounding spaces. "." and ".." are refused: URLs
 * normalise them away, so such a role could never be addressed by `/roles/{name}`.
 */
export const roleNamePattern = /^(?!\.{1,2}$)(?:[^\s/\p{Cc}][^/\p{Cc}]{0,126}[^\s/\p{Cc}]|[^\s/\p{Cc}])$/u

function checkPermissions(values: readonly string[]): Permission[] {
  const unknown = values.filter((value) => !isPermission(value))
  if (unknown.length > 0) {
    throw new AppError('role.unknown-permission', {
      detail: `Unknown permission: ${unknown.join(', ')}.`,
      errors: unknown.map((value) => ({ pointer: '/permissions', message: `unknown permission ${value}` })),
    })
  }
  return [...new Set(values)] as Permission[]
}

export class RoleService {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly users: UserService,
  ) {}

  private view(row: RoleRow, permissions: string[]): RoleView {
    return {
      name: row.name,
      permissions,
      builtin: row.builtin === 1,
      createdAt: new Date(row.created_at).toISOString(),
    }
  }

  async require(tenant: TenantRow, name: string, db: Executor = this.db): Promise<RoleRow> {
    const role = await rolesRepository.findByName(db, tenant.id, roleNameKey(name))
    if (!role) throw new AppError('role.not-found', { detail: `Role ${name} does not exist.` })
    return role
  }

  async create(
    tenant: TenantRow,
    name: string,
    permissions: readonly string[],
    actor: Actor,
    { builtin = false, db = this.db, caller }: RoleWriteOptions & { builtin?: boolean } = {},
  ): Promise<RoleView> {
    if (!roleNamePattern.test(name)) {
      throw new AppError('role.invalid-name', {
        errors: [
          { pointer: '/name', message: '1-128 printable characters without "/", and not "." or ".."' },
        ],
      })
    }
    const granted = checkPermissions(permissions)
    if (granted.includes('tenants:manage') && tenant.domain !== 'carbon.super') {
      throw new AppError('role.unknown-permission', {
        detail: 'tenants:manage exists only in the default tenant.',
      })
    }
    requireRoleWithinCallerPowers(granted, caller)
    const now = this.clock.now()
    const row: RoleRow = {
      id: newId(),
      tenant_id: tenant.id,
      name,
      name_key: roleNameKey(name),
      builtin: builtin ? 1 : 0,
      external_id: null,
      created_at: now,
      updated_at: now,
      version: 1,
    }
    try {
      await inTransaction(db, async (trx) => {
        await rolesRepository.insert(trx, row)
        await rolesRepository.replacePermissions(trx, row.id, granted)
        await this.audit.record(trx, {
          tenantId: tenant.id,
          actor,
          action: 'role.created',
          target: name,
          detail: { permissions: granted },
        })
      })
    } catch (error) {
      if (isUniqueViolation(error))
        throw new AppError('role.exists', { detail: `Role ${name} already exists.` })
      throw error
    }
    return this.view(row, [...granted].sort())
  }

  async list(tenant: TenantRow): Promise<RoleView[]> {
    const rows = await rolesRepository.list(this.db, tenant.id)
    const permissions = await rolesRepository.permissionsOf(
      this.db,
      rows.map((row) => row.id),
    )
    return rows.map((row) => this.view(row, permissions.get(row.id) ?? []))
  }

  async get(tenant: TenantRow, name: string): Promise<RoleView & { members: RoleMember[] }> {
    const role = await this.require(tenant, name)
    const [permissions, members] = await Promise.all([
      rolesRepository.permissionsOf(this.db, [role.id]),
      this.members(tenant, name),
    ])
    return { ...this.view(role, permissions.get(role.id) ?? []), members }
  }

  /** Replaces the role's permission set (and optionally renames it). */
  async update(
    tenant: TenantRow,
    name: string,
    changes: { name?: string | undefined; permissions?: string[] | undefined },
    actor: Actor,
    caller?: ReadonlySet<Permission>,
  ): Promise<RoleView> {
    const permissions = changes.permissions ? checkPermissions(changes.permissions) : undefined
    if (changes.name !== undefined && !roleNamePattern.test(changes.name)) {
      throw new AppError('role.invalid-name', {
        errors: [
          { pointer: '/name', message: '1-128 printable characters without "/", and not "." or ".."' },
        ],
      })
    }
    try {
      const finalName = await inTransaction(this.db, async (trx) => {
        const role = await this.require(tenant, name, trx)
        // Threat: an administrator locking every administrator out of the tenant.
        if (role.builtin === 1 && (changes.name !== undefined || permissions !== undefined))
          throw new AppError('role.builtin')
        if (permissions?.includes('tenants:manage') && tenant.domain !== 'carbon.super') {
          throw new AppError('role.unknown-permission', {
            detail: 'tenants:manage exists only in the default tenant.',
          })
        }
        const now = this.clock.now()
        // A new permission set takes the role's row first: a concurrent change of its
        // permissions has committed before they are read below, or waits for this one (PostgreSQL).
        if (permissions) await rolesRepository.touch(trx, role.id, now)
        const before = await requireStoredRoleWithinCallerPowers(trx, role.id, caller)
        if (permissions) requireRoleWithinCallerPowers(permissions, caller)
        if (changes.name !== undefined)
          await rolesRepository.rename(trx, role.id, changes.name, roleNameKey(changes.name), now)
        if (permissions) {
          await rolesRepository.replacePermissions(trx, role.id, permissions)
          // The members' powers changed: their versions move, so a write to one of them that
          // checked the caller's powers against the old set fails its version check and is
          // checked again (SCIM), or waits for this commit (see UserService.update).
          // (A rename above moved them already.)
          if (changes.name === undefined && !sameSet(before, permissions))
            await rolesRepository.touchMembersOf(trx, role.id, now)
        }
        await this.audit.record(trx, {
          tenantId: tenant.id,
          actor,
          action: 'role.updated',
          target: role.name,
          detail: { renamedTo: changes.name, permissions },
        })
        return changes.name ?? role.name
      })
      const roles = await this.list(tenant)
      return roles.find((role) => role.name === finalName)!
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('role.exists')
      throw error
    }
  }

  async delete(
    tenant: TenantRow,
    name: string,
    actor: Actor,
    caller?: ReadonlySet<Permission>,
  ): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      const role = await this.require(tenant, name, trx)
      if (role.builtin === 1) throw new AppError('role.builtin')
      await requireStoredRoleWithinCallerPowers(trx, role.id, caller)
      await rolesRepository.delete(trx, role.id, this.clock.now())
      await this.audit.record(trx, { tenantId: tenant.id, actor, action: 'role.deleted', target: role.name })
    })
  }

  /** Adds users (ids or user names) to the role; all or nothing. */
  async assign(
    tenant: TenantRow,
    name: string,
    users: string[],
    actor: Actor,
    options: RoleWriteOptions = {},
  ): Promise<RoleMember[]> {
    await this.addMembers(tenant, name, users, actor, options)
    return this.members(tenant, name, options.db)
  }

  /**
   * Adds users (ids or user names) to the role, all or nothing, without answering the member
   * list: a role of the whole tenant has as many members as the tenant has users.
   */
  async addMembers(
    tenant: TenantRow,
    name: string,
    users: readonly string[],
    actor: Actor,
    { db = this.db, caller }: RoleWriteOptions = {},
  ): Promise<void> {
    await inTransaction(db, async (trx) => {
      const role = await this.require(tenant, name, trx)
      await requireStoredRoleWithinCallerPowers(trx, role.id, caller)
      const members: UserRow[] = []
      for (const reference of users) {
        members.push(
          await this.users.require(tenant, reference, trx).catch((error: unknown) => {
            if (error instanceof AppError && error.code === 'user.not-found') {
              throw new AppError('user.not-found', { detail: `User ${reference} does not exist.` })
            }
            throw error
          }),
        )
      }
      // Each addition takes the user's row (its version): in id order, whatever order the
      // request named them in, so two writes sharing users wait instead of deadlocking.
      members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      for (const user of members) {
        await rolesRepository.addMember(trx, tenant.id, role.id, user.id, this.clock.now())
        await this.audit.record(trx, {
          tenantId: tenant.id,
          actor,
          action: 'role.member-added',
          target: user.id,
          detail: { role: role.name },
        })
      }
    })
  }

  async unassign(
    tenant: TenantRow,
    name: string,
    userReference: string,
    actor: Actor,
    caller?: ReadonlySet<Permission>,
  ): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      const role = await this.require(tenant, name, trx)
      await requireStoredRoleWithinCallerPowers(trx, role.id, caller)
      const user = await this.users.require(tenant, userReference, trx)
      // Threat: two removals racing past the count below and emptying the administrators'
      // role. Moving the role's version first locks its row (PostgreSQL), so removals of its
      // members run one at a time and each counts what the previous one left.
      await rolesRepository.touch(trx, role.id, this.clock.now())
      if (role.builtin === 1 && (await usersRepository.countInRole(trx, role.id)) <= 1) {
        throw new AppError('role.last-administrator')
      }
      if (!(await rolesRepository.removeMember(trx, role.id, user.id, this.clock.now())))
        throw new AppError('user.not-found', { detail: 'The user is not a member of this role.' })
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'role.member-removed',
        target: user.id,
        detail: { role: role.name },
      })
    })
  }

  /** The tenant's roles with how many members each has: one counting query for all of them. */
  async listWithMemberCounts(tenant: TenantRow): Promise<Array<RoleView & { memberCount: number }>> {
    const rows = await rolesRepository.list(this.db, tenant.id)
    if (rows.length === 0) return []
    const ids = rows.map((row) => row.id)
    const [permissions, counts] = await Promise.all([
      rolesRepository.permissionsOf(this.db, ids),
      this.db
        .selectFrom('user_roles')
        .select((eb) => ['role_id', eb.fn.countAll<number>().as('members')])
        .where('role_id', 'in', ids)
        .groupBy('role_id')
        .execute(),
    ])
    const countOf = new Map(counts.map((row) => [row.role_id, Number(row.members)]))
    return rows.map((row) => ({
      ...this.view(row, permissions.get(row.id) ?? []),
      memberCount: countOf.get(row.id) ?? 0,
    }))
  }

  /** A role without its members, and how many it has. */
  async summary(tenant: TenantRow, name: string): Promise<RoleView & { memberCount: number }> {
    const role = await this.require(tenant, name)
    const [permissions, memberCount] = await Promise.all([
      rolesRepository.permissionsOf(this.db, [role.id]),
      usersRepository.countInRole(this.db, role.id),
    ])
    return { ...this.view(role, permissions.get(role.id) ?? []), memberCount }
  }

  /**
   * One page of a role's members in user-name order, and how many there are. A role with few
   * members is read through its membership index and sorted; a role held by a large part of
   * the tenant (a sign-in role of every user) walks the tenant's user-name index instead and
   * stops at the page's end (a later page skips the rows before it in that index), so no page
   * loads or sorts a large membership.
   */
  async memberPage(
    tenant: TenantRow,
    name: string,
    page: { offset: number; limit: number },
  ): Promise<{ members: RoleMember[]; total: number }> {
    const role = await this.require(tenant, name)
    const total = await usersRepository.countInRole(this.db, role.id)
    if (total === 0 || page.offset >= total) return { members: [], total }
    const rows =
      total > SORTED_MEMBERSHIP_LIMIT
        ? await this.db
            .selectFrom('users as u')
            .select(['u.id', 'u.store_domain', 'u.username'])
            .where('u.tenant_id', '=', tenant.id)
            .where((eb) =>
              eb.exists(
                eb
                  .selectFrom('user_roles as m')
                  .select('m.role_id')
                  .whereRef('m.user_id', '=', 'u.id')
                  .where('m.role_id', '=', role.id),
              ),
            )
            .orderBy('u.username_key')
            .orderBy('u.id')
            .limit(page.limit)
            .offset(page.offset)
            .execute()
        : await this.db
            .selectFrom('user_roles as m')
            .innerJoin('users as u', 'u.id', 'm.user_id')
            .select(['u.id', 'u.store_domain', 'u.username'])
            .where('m.role_id', '=', role.id)
            .orderBy('u.username_key')
            .orderBy('u.id')
            .limit(page.limit)
            .offset(page.offset)
            .execute()
    return {
      members: rows.map((row) => ({ id: row.id, username: displayUserName(row.store_domain, row.username) })),
      total,
    }
  }

  async members(tenant: TenantRow, name: string, db: Executor = this.db): Promise<RoleMember[]> {
    const role = await this.require(tenant, name, db)
    const rows = await rolesRepository.members(db, role.id)
    return rows.map((row) => ({ id: row.id, username: displayUserName(row.store_domain, row.username) }))
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a)
  const right = new Set(b)
  return left.size === right.size && [...left].every((value) => right.has(value))
}
