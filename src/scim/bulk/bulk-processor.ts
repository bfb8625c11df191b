import type { Principal } from '../../admin/admin-authenticator.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { type ScimError, scimError } from '../errors.ts'
import { parsePrecondition, versionTag } from '../etag.ts'
import type { ScimGroups } from '../groups/scim-groups.ts'
import type { ScimUsers } from '../users/scim-users.ts'
import { BULK_RESPONSE, type BulkOperation, type BulkRequest } from './bulk-request.ts'

export interface BulkOperationResult {
  method: string
  bulkId?: string
  location?: string
  version?: string
  status: string
  response?: { schemas: string[]; status: string; scimType?: string; detail: string }
}

const BULK_REFERENCE = /^bulkId:(.+)$/

/** Every `bulkId:x` a value refers to. */
function referencesIn(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    const match = BULK_REFERENCE.exec(value)
    if (match) into.add(match[1]!)
  } else if (Array.isArray(value)) for (const item of value) referencesIn(item, into)
  else if (value && typeof value === 'object')
    for (const item of Object.values(value)) referencesIn(item, into)
  return into
}

/** `/Groups/bulkId:x` names the resource operation `x` creates. */
const PATH_REFERENCE = /\/bulkId:([^/]+)$/

function referencesOf(operation: BulkOperation): Set<string> {
  const references = referencesIn(operation.data)
  const inPath = PATH_REFERENCE.exec(operation.path)
  if (inPath) references.add(inPath[1]!)
  return references
}

function substitutePath(path: string, ids: ReadonlyMap<string, string>): string {
  return path.replace(PATH_REFERENCE, (whole, id: string) => (ids.has(id) ? `/${ids.get(id)}` : whole))
}

function substitute(value: unknown, ids: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    const match = BULK_REFERENCE.exec(value)
    return match ? (ids.get(match[1]!) ?? value) : value
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, ids))
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, ids)]))
  return value
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

/**
 * Runs a BulkRequest (RFC 7644 §3.7). Each operation is its own transaction, as the RFC
 * has it; an operation that refers to a resource another operation creates (`bulkId:x`) waits
 * until that one ran, in whatever order they were sent. `failOnErrors` stops the run after that
 * many failures; the operations not run are not reported.
 */
export class BulkProcessor {
  constructor(
    private readonly users: ScimUsers,
    private readonly groups: ScimGroups,
    private readonly toScimError: (error: unknown) => { error: ScimError; unexpected: boolean },
    private readonly onUnexpected: (error: unknown) => void,
  ) {}

  async run(tenant: TenantRow, principal: Principal, request: BulkRequest, baseUrl: string) {
    const created = new Map<string, string>()
    const results = new Map<number, BulkOperationResult>()
    const bulkIds = new Set(
      request.operations.flatMap((operation) => (operation.bulkId ? [operation.bulkId] : [])),
    )
    let pending = request.operations.map((operation, index) => ({ operation, index }))
    let errors = 0
    const stopped = () => request.failOnErrors !== undefined && errors >= request.failOnErrors
    while (pending.length > 0 && !stopped()) {
      const ready = pending.filter(({ operation }) =>
        [...referencesOf(operation)].every((id) => created.has(id) || !bulkIds.has(id)),
      )
      // What is left waits on a cycle: it can never run.
      const batch = ready.length > 0 ? ready : pending
      for (const { operation, index } of batch) {
        if (stopped()) break
        let result: BulkOperationResult
        if (ready.length === 0) {
          result = errorResult(
            operation,
            scimError.invalidValue(
              'This operation refers to bulkIds that form a cycle or are never created.',
            ),
          )
        } else {
          const unknown = [...referencesOf(operation)].filter((id) => !created.has(id))
          result =
            unknown.length > 0
              ? errorResult(
                  operation,
                  scimError.invalidValue(`No operation of this request creates bulkId ${unknown[0]}.`),
                )
              : await this.execute(tenant, principal, operation, created, baseUrl)
        }
        if (Number(result.status) >= 400) errors++
        results.set(index, result)
      }
      const done = new Set(batch.map(({ index }) => index))
      pending = pending.filter(({ index }) => !done.has(index))
    }
    return {
      schemas: [BULK_RESPONSE],
      Operations: [...results.entries()].sort(([a], [b]) => a - b).map(([, result]) => result),
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
