import { ScimError, scimError } from '../errors.ts'
import { field } from '../field.ts'
import { namesSchema } from '../resource-body.ts'

export const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
export const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse'

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface BulkOperation {
  method: BulkMethod
  bulkId?: string | undefined
  version?: string | undefined
  path: string
  data?: unknown
}

export interface BulkRequest {
  failOnErrors?: number | undefined
  operations: BulkOperation[]
}

/** Reads and checks a BulkRequest (RFC 7644 §3.7); `maxOperations` beyond → 413. */
export function bulkRequestOf(body: unknown, maxOperations: number): BulkRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw scimError.invalidSyntax('The bulk request must be a JSON object.')
  const request = body as Record<string, unknown>
  if (!namesSchema(request, BULK_REQUEST))
    throw scimError.invalidSyntax(`schemas must contain ${BULK_REQUEST}.`)
  const failOnErrors = field(request, 'failOnErrors')
  if (failOnErrors !== undefined && (!Number.isInteger(failOnErrors) || (failOnErrors as number) < 1))
    throw scimError.invalidValue('failOnErrors must be a positive integer.')
  const operations = field(request, 'Operations')
  if (!Array.isArray(operations) || operations.length === 0)
    throw scimError.invalidSyntax('Operations must be a non-empty array.')
  if (operations.length > maxOperations)
    throw new ScimError(
      undefined,
      `The bulk request has ${operations.length} operations; at most ${maxOperations} are accepted (ServiceProviderConfig bulk.maxOperations).`,
      413,
    )
  const parsed = operations.map(operationOf)
  // A bulkId names what its POST creates: used twice, `bulkId:x` references would be ambiguous.
  const bulkIds = new Set<string>()
  parsed.forEach((operation, index) => {
    if (operation.bulkId === undefined) return
    if (bulkIds.has(operation.bulkId))
      throw scimError.invalidSyntax(
        `Operations[${index}].bulkId ${operation.bulkId} is already used: bulkIds are unique within a request.`,
      )
    bulkIds.add(operation.bulkId)
  })
  return { failOnErrors: failOnErrors as number | undefined, operations: parsed }
}

function operationOf(raw: unknown, index: number): BulkOperation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw scimError.invalidSyntax(`Operations[${index}] must be an object.`)
  const operation = raw as Record<string, unknown>
  const method = field(operation, 'method')
  if (typeof method !== 'string' || !/^(post|put|patch|delete)$/i.test(method))
    throw scimError.invalidSyntax(`Operations[${index}].method must be POST, PUT, PATCH or DELETE.`)
  const path = field(operation, 'path')
  if (typeof path !== 'string' || !path.startsWith('/'))
    throw scimError.invalidSyntax(`Operations[${index}].path must be a path such as /Users or /Users/{id}.`)
  const bulkId = field(operation, 'bulkId')
  if (bulkId !== undefined && (typeof bulkId !== 'string' || bulkId === ''))
    throw scimError.invalidSyntax(`Operations[${index}].bulkId must be a non-empty string.`)
  const upper = method.toUpperCase() as BulkMethod
  if (upper === 'POST' && bulkId === undefined)
    throw scimError.invalidSyntax(`Operations[${index}]: a POST needs a bulkId.`)
  const version = field(operation, 'version')
  if (version !== undefined && typeof version !== 'string')
    throw scimError.invalidSyntax(`Operations[${index}].version must be an entity tag string.`)
  return {
    method: upper,
    bulkId: bulkId as string | undefined,
    version: version as string | undefined,
    path,
    data: field(operation, 'data'),
  }
}
