import type { Principal } from '../../admin/admin-authenticator.ts'
import { requireStoredRoleWithinCallerPowers } from '../../admin/caller-powers.ts'
import { type RoleService, roleNameKey, roleNamePattern } from '../../admin/role-service.ts'
import type { Clock } from '../../domain/clock.ts'
import type { AuditLog } from '../../observability/audit.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import { rolesRepository } from '../../persistence/repositories/roles.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { isUniqueViolation } from '../../persistence/store-errors.ts'
import { ScimError, scimError } from '../errors.ts'
import { VersionConflict } from '../versioned-write.ts'
import type { GroupInput } from './group-input.ts'
import { readGroupRecord } from './group-reader.ts'
import type { GroupRecord } from './group-record.ts'

/** SCIM writes of groups (Rekey roles): one transaction each, guarded by the role's version. */
export class ScimGroupWriter {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly roles: RoleService,
  ) {}

  private checkName(name: string): void {
    if (!roleNamePattern.test(name))
      throw scimError.invalidValue(
        'displayName must be 1-128 printable characters without "/", and not "." or "..".',
      )
  }

  /** Every id must be a user of this tenant: a member from another tenant would be a leak. */
  private async requireUsers(db: Executor, tenant: TenantRow, ids: readonly string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += 500) {
      const chunk = ids.slice(start, start + 500)
      const found = await db
        .selectFrom('users')
        .select('id')
        .where('tenant_id', '=', tenant.id)
        .where('id', 'in', chunk)
        .execute()
      if (found.length === chunk.length) continue
      const known = new Set(found.map((row) => row.id))
      const missing = chunk.find((id) => !known.has(id))
      throw scimError.invalidValue(`members: no user with id ${missing} in this tenant.`)
    }
  }

  private async changeMembers(
    trx: Executor,
    tenant: TenantRow,
    role: { id: string; name: string; builtin: number },
    add: readonly string[],
    remove: readonly string[],
    principal: Principal,
  ): Promise<void> {
    const now = this.clock.now()
    if (add.length > 0 || remove.length > 0)
      await requireStoredRoleWithinCallerPowers(trx, role.id, principal.permissions)
    if (add.length > 0) await this.requireUsers(trx, tenant, add)
    // Each change takes its user's row (its version): all of them in id order, adds and removes
    // together, so two writes changing the same users in opposite directions cannot deadlock.
    const changes = [
      ...add.map((userId) => ({ userId, added: true })),
      ...remove.map((userId) => ({ userId, added: false })),
    ].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0))
    for (const { userId, added } of changes) {
      if (added) await rolesRepository.addMember(trx, tenant.id, role.id, userId, now)
      else await rolesRepository.removeMember(trx, role.id, userId, now)
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor: principal.actor,
        action: added ? 'role.member-added' : 'role.member-removed',
        target: userId,
        detail: { role: role.name, via: 'scim' },
      })
    }
    // Threat: a tenant left with nobody able to administer it.
    if (role.builtin === 1 && remove.length > 0) {
      const left = await trx
        .selectFrom('user_roles')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('role_id', '=', role.id)
        .executeTakeFirstOrThrow()
      if (Number(left.n) === 0)
        throw new ScimError(undefined, 'The last member of the administrator role cannot be removed.', 409)
    }
  }

  async create(tenant: TenantRow, input: GroupInput, principal: Principal): Promise<GroupRecord> {
    this.checkName(input.displayName)
    let id = ''
    try {
      await inTransaction(this.db, async (trx) => {
        await this.roles.create(tenant, input.displayName, [], principal.actor, { db: trx })
        const row = await rolesRepository.findByName(trx, tenant.id, roleNameKey(input.displayName))
        id = row!.id
        if (input.externalId !== null)
          await trx.updateTable('roles').set({ external_id: input.externalId }).where('id', '=', id).execute()
        await this.changeMembers(trx, tenant, row!, [...input.members].sort(), [], principal)
      })
    } catch (error) {
      if (
        isUniqueViolation(error) ||
        (error instanceof Error && 'code' in error && error.code === 'role.exists')
      )
        throw scimError.uniqueness(`A group named ${input.displayName} already exists.`)
      throw error
    }
    return (await readGroupRecord(this.db, tenant.id, id, true))!
  }

  async replace(
    tenant: TenantRow,
    current: GroupRecord,
    input: GroupInput,
    principal: Principal,
  ): Promise<GroupRecord> {
    this.checkName(input.displayName)
    const role = current.row
    const renamed = input.displayName !== role.name
    const externalIdChanged = input.externalId !== role.external_id
    if (renamed && role.builtin === 1)
      throw scimError.mutability('The built-in administrator group cannot be renamed.')
    const existing = new Set((current.members ?? []).map((member) => member.id))
    const wanted = new Set(input.members)
    // In id order: each membership change locks the member's row (its version moves), and one
    // order for every writer means two group writes sharing members cannot deadlock.
    const add = input.members.filter((id) => !existing.has(id)).sort()
    const remove = [...existing].filter((id) => !wanted.has(id)).sort()
    if (!renamed && !externalIdChanged && add.length === 0 && remove.length === 0) return current
    try {
      await inTransaction(this.db, async (trx) => {
        // As the admin API's role update: a group granting more than the caller is not renamed
        // or re-keyed by it either (its members, below, are checked the same way).
        if (renamed || externalIdChanged)
          await requireStoredRoleWithinCallerPowers(trx, role.id, principal.permissions)
        // A new name also moves the versions of the members, whose groups show it.
        const moved = await rolesRepository.moveVersion(
          trx,
          { tenantId: tenant.id, id: role.id, expectedVersion: role.version, now: this.clock.now() },
          {
            name: renamed ? { name: input.displayName, nameKey: roleNameKey(input.displayName) } : undefined,
            externalId: externalIdChanged ? input.externalId : undefined,
          },
        )
        if (!moved) throw new VersionConflict()
        if (renamed)
          await this.audit.record(trx, {
            tenantId: tenant.id,
            actor: principal.actor,
            action: 'role.updated',
            target: role.name,
            detail: { renamedTo: input.displayName, via: 'scim' },
          })
        await this.changeMembers(trx, tenant, { ...role, name: input.displayName }, add, remove, principal)
      })
    } catch (error) {
      if (isUniqueViolation(error))
        throw scimError.uniqueness(`A group named ${input.displayName} already exists.`)
      throw error
    }
    return (await readGroupRecord(this.db, tenant.id, role.id, true))!
  }
}
