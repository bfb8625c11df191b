import type { Principal } from '../../admin/admin-authenticator.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { ScimError, scimError } from '../errors.ts'
import { parsePrecondition, versionTag } from '../etag.ts'
import type { ScimGroups } from '../groups/scim-groups.ts'
import type { ScimUsers } from '../users/scim-users.ts'
import { bulkOrder } from './bulk-order.ts'
import { referencesOf, substitute, substitutePath } from './bulk-references.ts'
import { BULK_RESPONSE, type BulkOperation, type BulkRequest } from './bulk-request.ts'
import { deferrableManager, managerPatch } from './deferred-manager.ts'

export interface BulkOperationResult {
  method: string
  bulkId?: string
  location?: string
  version?: string
  status: string
  response?: { schemas: string[]; status: string; scimType?: string; detail: string }
}

/** A path's id segment, percent-decoded; malformed encoding is the client's error, not a 500. */
function decodedSegment(segment: string, path: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw scimError.invalidPath(`${path}: the id is not valid percent-encoding.`)
  }
}

/** `location` is the resource addressed, when known: RFC 7644 §3.7 wants it except for a failed POST. */
function errorResult(operation: BulkOperation, error: ScimError, location?: string): BulkOperationResult {
  return {
    method: operation.method,
    ...(operation.bulkId ? { bulkId: operation.bulkId } : {}),
    ...(location ? { location } : {}),
    status: String(error.status),
    response: {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: String(error.status),
      ...(error.scimType ? { scimType: error.scimType } : {}),
      detail: error.message,
    },
  }
}

/** Why an operation referring to `bulkId` cannot run: `creator` is the POST that has it, if any. */
function notCreated(bulkId: string, creator: number | undefined): ScimError {
  return scimError.invalidValue(
    creator === undefined
      ? `No operation of this request creates bulkId ${bulkId}.`
      : `bulkId ${bulkId} was not created: Operations[${creator}] failed.`,
  )
}

/** RFC 7644 §3.7.1: a circular reference the service provider could not resolve is 409. */
function cycleError(cycle: readonly string[]): ScimError {
  return new ScimError(
    undefined,
    `bulkIds ${cycle.join(' → ')} refer to each other in a cycle that cannot be resolved: only a new user's manager can be set after the user is created. Leave one of these references out and add it with a PATCH in a later operation.`,
    409,
  )
}

/**
 * RFC 7644 §3.7.1 again: the cycle was broken at this user's manager, which could then not be
 * set: its POST (`failed`, the index) failed, or the run stopped first (failOnErrors).
 */
function managerNotSet(bulkId: string, failed: number | undefined): ScimError {
  const why =
    failed === undefined
      ? 'the run stopped (failOnErrors) before it was set'
      : `bulkId ${bulkId}, the manager, was not created (Operations[${failed}] failed)`
  return new ScimError(
    undefined,
    `The user was created without its manager: ${why}. Once the manager exists, set it with a PATCH of this user.`,
    409,
  )
}

/**
 * Runs a BulkRequest (RFC 7644 §3.7) in the order bulk-order.ts gives: request order, with a
 * POST pulled forward for an operation before it that refers to its bulkId, and cycles broken
 * at a new user's manager where they can be. Each operation is its own transaction, as the RFC
 * has it. `failOnErrors` stops the run after that many failures, counted in the order the
 * operations ran; the operations not run are not reported.
 */
export class BulkProcessor {
  constructor(
    private readonly users: ScimUsers,
    private readonly groups: ScimGroups,
    private readonly toScimError: (error: unknown) => { error: ScimError; unexpected: boolean },
    private readonly onUnexpected: (error: unknown) => void,
  ) {}

  async run(tenant: TenantRow, principal: Principal, request: BulkRequest, baseUrl: string) {
    const operations = request.operations
    const references = operations.map(referencesOf)
    const deferrable = operations.map(deferrableManager)
    const creators = new Map<string, number>()
    operations.forEach((operation, index) => {
      if (operation.method === 'POST' && operation.bulkId !== undefined) creators.set(operation.bulkId, index)
    })
    const steps = bulkOrder(
      operations.map((operation, index) => ({
        creates: operation.method === 'POST' ? operation.bulkId : undefined,
        references: references[index]!,
        deferrable: deferrable[index]?.bulkId,
      })),
    )
    const created = new Map<string, string>()
    const results = new Map<number, BulkOperationResult>()
    let errors = 0
    const report = (index: number, result: BulkOperationResult) => {
      results.set(index, result)
      if (Number(result.status) >= 400) errors++
    }
    const stopped = () => request.failOnErrors !== undefined && errors >= request.failOnErrors
    for (const step of steps) {
      const operation = operations[step.index]!
      if (step.kind === 'complete') {
        // It finishes an operation that already ran, so it is reported even after the stop:
        // a user created without its manager never looks done.
        const current = results.get(step.index)
        const completed =
          current &&
          (await this.complete(tenant, principal, operation, current, step.bulkId, created, {
            creators,
            stopped: stopped(),
          }))
        if (completed) report(step.index, completed)
        continue
      }
      // Past the stop nothing more runs, but the completions still due are reported.
      if (stopped()) continue
      if (step.kind === 'unresolvable') {
        report(step.index, errorResult(operation, cycleError(step.cycle)))
        continue
      }
      const missing = [...references[step.index]!].find((id) => id !== step.deferred && !created.has(id))
      const withoutManager = step.deferred === undefined ? undefined : deferrable[step.index]?.data
      report(
        step.index,
        missing !== undefined
          ? errorResult(operation, notCreated(missing, creators.get(missing)))
          : await this.execute(
              tenant,
              principal,
              withoutManager ? { ...operation, data: withoutManager } : operation,
              created,
              baseUrl,
            ),
      )
    }
    return {
      schemas: [BULK_RESPONSE],
      Operations: [...results.entries()].sort(([a], [b]) => a - b).map(([, result]) => result),
    }
  }

  /**
   * Gives a user created without its manager (to break a cycle, see bulk-order.ts) the
   * manager its POST named, now that the manager's POST ran. The user's result as it is then:
   * with the new version, or an error that keeps its location (the user exists); undefined
   * when the user was not created and there is nothing to complete.
   */
  private async complete(
    tenant: TenantRow,
    principal: Principal,
    operation: BulkOperation,
    result: BulkOperationResult,
    bulkId: string,
    created: ReadonlyMap<string, string>,
    { creators, stopped }: { creators: ReadonlyMap<string, number>; stopped: boolean },
  ): Promise<BulkOperationResult | undefined> {
    const userId = operation.bulkId === undefined ? undefined : created.get(operation.bulkId)
    if (userId === undefined || Number(result.status) >= 400) return undefined
    const managerId = created.get(bulkId)
    if (managerId === undefined || stopped)
      return errorResult(
        operation,
        managerNotSet(bulkId, managerId === undefined ? creators.get(bulkId) : undefined),
        result.location,
      )
    try {
      const { row } = await this.users.patch(tenant, userId, managerPatch(managerId), principal)
      return { ...result, version: versionTag(row.version) }
    } catch (error) {
      const { error: converted, unexpected } = this.toScimError(error)
      if (unexpected) this.onUnexpected(error)
      return errorResult(operation, converted, result.location)
    }
  }

  private async execute(
    tenant: TenantRow,
    principal: Principal,
    operation: BulkOperation,
    created: Map<string, string>,
    baseUrl: string,
  ): Promise<BulkOperationResult> {
    let location: string | undefined
    try {
      const path = substitutePath(operation.path, created)
      const data = substitute(operation.data, created)
      const match = /^\/(Users|Groups)(?:\/([^/?#]+))?$/i.exec(path)
      if (!match)
        throw scimError.invalidPath(
          `${operation.path}: bulk operations address /Users, /Users/{id}, /Groups or /Groups/{id}.`,
        )
      const kind = match[1]!.toLowerCase() === 'users' ? 'Users' : 'Groups'
      const id = match[2] ? decodedSegment(match[2], operation.path) : undefined
      if ((operation.method === 'POST') !== (id === undefined))
        throw scimError.invalidPath(
          `${operation.method} ${operation.path}: POST addresses a collection, the others one resource.`,
        )
      if (id !== undefined) location = `${baseUrl}/${kind}/${match[2]}`
      const ifMatch = parsePrecondition(operation.version)
      const resource = async () => {
        if (kind === 'Users') {
          if (operation.method === 'POST') return (await this.users.create(tenant, data, principal)).row
          if (operation.method === 'PUT')
            return (await this.users.replace(tenant, id!, data, principal, ifMatch)).row
          if (operation.method === 'PATCH')
            return (await this.users.patch(tenant, id!, data, principal, ifMatch)).row
          await this.users.delete(tenant, id!, principal, ifMatch)
          return undefined
        }
        if (operation.method === 'POST') return (await this.groups.create(tenant, data, principal)).row
        if (operation.method === 'PUT')
          return (await this.groups.replace(tenant, id!, data, principal, ifMatch)).row
        if (operation.method === 'PATCH')
          return (await this.groups.patch(tenant, id!, data, principal, ifMatch)).row
        await this.groups.delete(tenant, id!, principal, ifMatch)
        return undefined
      }
      const row = await resource()
      if (operation.method === 'POST' && operation.bulkId && row) created.set(operation.bulkId, row.id)
      if (row) location = `${baseUrl}/${kind}/${row.id}`
      return {
        method: operation.method,
        ...(operation.bulkId ? { bulkId: operation.bulkId } : {}),
        ...(location ? { location } : {}),
        ...(row ? { version: versionTag(row.version) } : {}),
        status: operation.method === 'POST' ? '201' : operation.method === 'DELETE' ? '204' : '200',
      }
    } catch (error) {
      const { error: converted, unexpected } = this.toScimError(error)
      if (unexpected) this.onUnexpected(error)
      return errorResult(operation, converted, location)
    }
  }
}
