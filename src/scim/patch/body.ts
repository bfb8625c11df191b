/**
 * Reading a PATCH request body (RFC 7644 §3.5.2) into a list of operations. Only the
 * envelope is checked here; paths and values are checked when each operation is applied.
 */
import { scimError } from '../errors.ts'
import { quote } from '../filter/lexer.ts'
import { isRecord, type JsonRecord } from './records.ts'

export const PATCH_OP_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

/**
 * More operations than this are refused. The threat is cost: each operation may scan and
 * rewrite whole multi-valued attributes, and no provisioning client sends more in one request.
 */
export const MAX_OPERATIONS = 1000

export type OperationKind = 'add' | 'replace' | 'remove'

export interface PatchOperation {
  /** 0-based position in `Operations`, for messages. */
  index: number
  kind: OperationKind
  /** The path as written; undefined when the operation has none. */
  path: string | undefined
  /** The operation's value; undefined when it has none (so `null` stays distinguishable). */
  value: unknown
}

const kinds: ReadonlySet<string> = new Set<OperationKind>(['add', 'replace', 'remove'])

/**
 * The value under `name` in any letter case. Clients disagree on `Operations` versus
 * `operations`, but two spellings in one object would leave us guessing, so that is refused.
 */
function member(record: JsonRecord, name: string, where: string): unknown {
  const wanted = name.toLowerCase()
  const keys = Object.keys(record).filter((key) => key.toLowerCase() === wanted)
  if (keys.length > 1)
    throw scimError.invalidSyntax(`${where} has ${keys.map(quote).join(' and ')}: send ${quote(name)} once`)
  return keys[0] === undefined ? undefined : record[keys[0]]
}

export function parsePatchBody(body: unknown): PatchOperation[] {
  if (!isRecord(body))
    throw scimError.invalidSyntax(`A PATCH request body is a JSON object with "schemas" and "Operations"`)
  const schemas = member(body, 'schemas', 'The request')
  // Other URNs next to PatchOp are tolerated: some clients list the extensions they touch.
  const declared =
    Array.isArray(schemas) &&
    schemas.some((urn) => typeof urn === 'string' && urn.toLowerCase() === PATCH_OP_URN.toLowerCase())
  if (!declared) throw scimError.invalidSyntax(`"schemas" must be a list containing ${quote(PATCH_OP_URN)}`)
  const operations = member(body, 'Operations', 'The request')
  if (!Array.isArray(operations) || operations.length === 0)
    throw scimError.invalidSyntax('"Operations" must be a non-empty list of operations')
  if (operations.length > MAX_OPERATIONS)
    throw scimError.invalidValue(
      `The request has ${operations.length} operations; at most ${MAX_OPERATIONS} are accepted in one PATCH, so split it into several requests`,
    )
  return operations.map(readOperation)
}

function readOperation(operation: unknown, index: number): PatchOperation {
  const where = `Operations[${index}]`
  if (!isRecord(operation))
    throw scimError.invalidSyntax(`${where} must be an object with "op" and, usually, "path" and "value"`)
  const op = member(operation, 'op', where)
  // Entra ID capitalises the operation names (`Add`, `Replace`, `Remove`).
  const kind = typeof op === 'string' ? op.toLowerCase() : undefined
  if (kind === undefined || !kinds.has(kind))
    throw scimError.invalidSyntax(
      `${where} has ${typeof op === 'string' ? `the op ${quote(op)}` : 'no "op"'}: "op" must be "add", "replace" or "remove"`,
    )
  const path = member(operation, 'path', where)
  // A null path is treated as no path: it says the same thing.
  if (path !== undefined && path !== null && typeof path !== 'string')
    throw scimError.invalidSyntax(`${where} has a "path" that is not a string`)
  const value = member(operation, 'value', where)
  if (kind !== 'remove' && value === undefined)
    throw scimError.invalidValue(`${where} (${kind}) has no "value": say what to ${kind}`)
  return { index, kind: kind as OperationKind, path: typeof path === 'string' ? path : undefined, value }
}
