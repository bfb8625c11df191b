import type { UserService } from '../../admin/user-service.ts'
import type { Executor } from '../../persistence/executor.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { isUuid } from '../../security/tokens.ts'
import { scimError } from '../errors.ts'
import { type Precondition, requireVersion } from '../etag.ts'
import { applyPatch } from '../patch/apply-patch.ts'
import { userRegistry } from '../schema/registry.ts'
import { storeOnVersion } from '../versioned-write.ts'
import { type UserInput, userInputOf } from './user-input.ts'
import { listUsers, type UserListRequest } from './user-query.ts'
import { readUserRecord } from './user-reader.ts'
import type { UserRecord } from './user-record.ts'
import { renderUser } from './user-resource.ts'
import type { ScimCaller, ScimUserWriter } from './user-writer.ts'

/** SCIM User use cases: reads, list and search, create, replace, patch, delete. */
export class ScimUsers {
  constructor(
    private readonly db: Executor,
    private readonly writer: ScimUserWriter,
    private readonly users: UserService,
  ) {}

  async get(tenant: TenantRow, id: string): Promise<UserRecord> {
    const record = isUuid(id) ? await readUserRecord(this.db, tenant.id, id.toLowerCase()) : undefined
    if (!record) throw scimError.notFound(`No user with id ${id} in this tenant.`)
    return record
  }

  list(tenant: TenantRow, request: UserListRequest) {
    return listUsers(this.db, tenant.id, request)
  }

  create(tenant: TenantRow, body: unknown, caller: ScimCaller): Promise<UserRecord> {
    return this.writer.create(tenant, userInputOf(body, { requireSchemas: true }), caller)
  }

  replace(tenant: TenantRow, id: string, body: unknown, caller: ScimCaller, ifMatch?: Precondition) {
    // Malformed before anything is read; the values' types once the stored ones are known.
    userInputOf(body, { requireSchemas: true, checkTypes: false })
    return this.storeComputed(tenant, id, caller, ifMatch, (current) =>
      userInputOf(body, { requireSchemas: true, stored: current.claims }),
    )
  }

  /** PATCH: the operations are applied to the current document, which is then stored whole. */
  patch(tenant: TenantRow, id: string, body: unknown, caller: ScimCaller, ifMatch?: Precondition) {
    return this.storeComputed(tenant, id, caller, ifMatch, (current) =>
      userInputOf(applyPatch(renderUser(current, ''), body, userRegistry, { owned: true }), {
        requireSchemas: false,
        stored: current.claims,
      }),
    )
  }

  async delete(tenant: TenantRow, id: string, caller: ScimCaller, ifMatch?: Precondition): Promise<void> {
    const current = await this.get(tenant, id)
    requireVersion(ifMatch, current.row.version)
    await this.users.delete(tenant, current.row.id, caller.actor, caller.permissions)
  }

  private storeComputed(
    tenant: TenantRow,
    id: string,
    caller: ScimCaller,
    ifMatch: Precondition | undefined,
    compute: (current: UserRecord) => UserInput,
  ): Promise<UserRecord> {
    return storeOnVersion(
      ifMatch,
      async () => {
        const record = await this.get(tenant, id)
        return { record, version: record.row.version }
      },
      ({ record }) => this.writer.replace(tenant, record, compute(record), caller, record.row.version),
    )
  }
}
