import type { Principal } from '../../admin/admin-authenticator.ts'
import type { RoleService } from '../../admin/role-service.ts'
import type { Executor } from '../../persistence/executor.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { isUuid } from '../../security/tokens.ts'
import { scimError } from '../errors.ts'
import { type Precondition, requireVersion } from '../etag.ts'
import { applyPatch } from '../patch/apply-patch.ts'
import { groupRegistry } from '../schema/registry.ts'
import { storeOnVersion } from '../versioned-write.ts'
import { type GroupInput, groupInputOf } from './group-input.ts'
import { type GroupListRequest, listGroups } from './group-query.ts'
import { readGroupRecord } from './group-reader.ts'
import type { GroupRecord } from './group-record.ts'
import { renderGroup } from './group-resource.ts'
import type { ScimGroupWriter } from './group-writer.ts'

/** SCIM Group use cases over Rekey roles. */
export class ScimGroups {
  constructor(
    private readonly db: Executor,
    private readonly writer: ScimGroupWriter,
    private readonly roles: RoleService,
  ) {}

  async get(tenant: TenantRow, id: string, withMembers = true): Promise<GroupRecord> {
    const record = isUuid(id)
      ? await readGroupRecord(this.db, tenant.id, id.toLowerCase(), withMembers)
      : undefined
    if (!record) throw scimError.notFound(`No group with id ${id} in this tenant.`)
    return record
  }

  list(tenant: TenantRow, request: GroupListRequest) {
    return listGroups(this.db, tenant.id, request)
  }

  create(tenant: TenantRow, body: unknown, principal: Principal): Promise<GroupRecord> {
    return this.writer.create(tenant, groupInputOf(body, { requireSchemas: true }), principal)
  }

  replace(tenant: TenantRow, id: string, body: unknown, principal: Principal, ifMatch?: Precondition) {
    const input = groupInputOf(body, { requireSchemas: true })
    return this.storeComputed(tenant, id, principal, ifMatch, () => input)
  }

  patch(tenant: TenantRow, id: string, body: unknown, principal: Principal, ifMatch?: Precondition) {
    return this.storeComputed(tenant, id, principal, ifMatch, (current) =>
      groupInputOf(applyPatch(renderGroup(current, ''), body, groupRegistry), { requireSchemas: false }),
    )
  }

  async delete(tenant: TenantRow, id: string, principal: Principal, ifMatch?: Precondition): Promise<void> {
    const current = await this.get(tenant, id, false)
    requireVersion(ifMatch, current.row.version)
    if (current.row.builtin === 1)
      throw scimError.mutability('The built-in administrator group cannot be deleted.')
    await this.roles.delete(tenant, current.row.name, principal.actor, principal.permissions)
  }

  private storeComputed(
    tenant: TenantRow,
    id: string,
    principal: Principal,
    ifMatch: Precondition | undefined,
    compute: (current: GroupRecord) => GroupInput,
  ): Promise<GroupRecord> {
    return storeOnVersion(
      ifMatch,
      async () => {
        const record = await this.get(tenant, id)
        return { record, version: record.row.version }
      },
      ({ record }) => this.writer.replace(tenant, record, compute(record), principal),
    )
  }
}
