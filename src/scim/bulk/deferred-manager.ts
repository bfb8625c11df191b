/**
 * The one reference a bulk operation can do without at first: a new User's enterprise
 * `manager`. Rekey stores `manager.value` as given, without looking the id up, so a user can
 * be created without it and get it by a PATCH once the manager exists. That is how circular
 * references between users (two users each other's manager) are resolved, as RFC 7644 §3.7.1
 * asks. Other references cannot wait: a group's members must exist when it is written.
 */
import { field } from '../field.ts'
import { PATCH_OP_URN } from '../patch/body.ts'
import { isRecord, type JsonRecord } from '../patch/records.ts'
import { ENTERPRISE_USER_SCHEMA_URN } from '../schema/enterprise-user.ts'
import { userRegistry } from '../schema/registry.ts'
import { referenceIn, referencesIn } from './bulk-references.ts'
import type { BulkOperation } from './bulk-request.ts'

/** Where a User body gives `manager`: `keys` lead from the body to it. */
interface ManagerEntry {
  keys: [string] | [string, string]
  value: unknown
}

function isManager(schema: string | undefined, name: string): boolean {
  const resolved = userRegistry.resolve({ schema, attribute: name })
  return resolved?.schema.id === ENTERPRISE_USER_SCHEMA_URN && resolved.attribute.name === 'manager'
}

/**
 * Every place a User body gives `manager`, read as userInputOf reads a body: under the
 * extension's URN, as a fully qualified name, or unqualified.
 */
function managerEntries(body: JsonRecord): ManagerEntry[] {
  const entries: ManagerEntry[] = []
  for (const [key, value] of Object.entries(body)) {
    const qualified = key.toLowerCase().startsWith('urn:')
    const extension = qualified ? userRegistry.schema(key) : undefined
    if (extension && extension.id !== userRegistry.core.id) {
      if (isRecord(value))
        for (const [name, inner] of Object.entries(value))
          if (isManager(extension.id, name)) entries.push({ keys: [key, name], value: inner })
    } else if (qualified) {
      const colon = key.lastIndexOf(':')
      if (isManager(key.slice(0, colon), key.slice(colon + 1))) entries.push({ keys: [key], value })
    } else if (isManager(undefined, key)) entries.push({ keys: [key], value })
  }
  return entries
}

/** The body without the manager entry; the operation's own data is left as sent. */
function without(body: JsonRecord, entry: ManagerEntry): JsonRecord {
  const [outer, inner] = entry.keys
  const { [outer]: removed, ...rest } = body
  if (inner === undefined || !isRecord(removed)) return rest
  const { [inner]: _manager, ...others } = removed
  return { ...rest, [outer]: others }
}

/** A POST of a User whose manager refers to another operation's bulkId, and nothing else does. */
export interface DeferrableManager {
  /** The bulkId the manager refers to. */
  bulkId: string
  /** The body without the manager. */
  data: JsonRecord
}

/**
 * The manager reference a User POST can be created without: a single `manager` given as
 * `bulkId:x` (or `{"value": "bulkId:x"}`), when nothing else in the body refers to `x`.
 */
export function deferrableManager(operation: BulkOperation): DeferrableManager | undefined {
  if (operation.method !== 'POST' || !/^\/Users$/i.test(operation.path) || !isRecord(operation.data))
    return undefined
  const entries = managerEntries(operation.data)
  // Given twice, which one wins is the body reader's business: not worth second-guessing here.
  if (entries.length !== 1) return undefined
  const [entry] = entries as [ManagerEntry]
  const bulkId = referenceIn(isRecord(entry.value) ? field(entry.value, 'value') : entry.value)
  if (bulkId === undefined) return undefined
  const data = without(operation.data, entry)
  return referencesIn(data).has(bulkId) ? undefined : { bulkId, data }
}

/** The PATCH that gives a user created without its manager the manager `id`. */
export function managerPatch(id: string) {
  return {
    schemas: [PATCH_OP_URN],
    Operations: [{ op: 'replace', path: `${ENTERPRISE_USER_SCHEMA_URN}:manager`, value: { value: id } }],
  }
}
