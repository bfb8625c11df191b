import { isLocked } from '../../domain/account-lock.ts'
import { displayUserName } from '../../domain/user-name.ts'
import type { Claims } from '../../persistence/repositories/claims.ts'
import { versionTag } from '../etag.ts'
import { userRegistry } from '../schema/registry.ts'
import type { AttributeType } from '../schema/types.ts'
import {
  type AttributeMapping,
  CORE_USER,
  type TypedAddressesMapping,
  type TypedValuesMapping,
  type UserColumn,
  userAttributeMappings,
} from './user-mapping.ts'
import type { UserRecord } from './user-record.ts'

export type ScimResource = Record<string, unknown>

const iso = (ms: number) => new Date(ms).toISOString()

// The mapping table is fixed: its entries and the claim attributes' types are looked up once,
// not for every user rendered (a page renders a hundred).
const mappingsBySchema = Object.entries(userAttributeMappings).map(
  ([schemaId, mappings]) => [schemaId, Object.entries(mappings)] as const,
)
const entryLists = new WeakMap<object, ReadonlyArray<readonly [string, string]>>()
function entriesOf(table: Readonly<Record<string, string>>): ReadonlyArray<readonly [string, string]> {
  let entries = entryLists.get(table)
  if (!entries) {
    entries = Object.entries(table)
    entryLists.set(table, entries)
  }
  return entries
}
const claimTypes = new Map<string, AttributeType>()
function claimType(schemaId: string, name: string): AttributeType {
  const key = `${schemaId}:${name}`
  let type = claimTypes.get(key)
  if (!type) {
    type = userRegistry.resolve({ schema: schemaId, attribute: name })?.attribute.type ?? 'string'
    claimTypes.set(key, type)
  }
  return type
}

/** A claim's text as the attribute's SCIM type: booleans are stored as "true"/"false". */
export function claimToScim(value: string, type: AttributeType): unknown {
  if (type === 'boolean') return value === 'true'
  if (type === 'integer' || type === 'decimal') {
    const number = Number(value)
    return Number.isFinite(number) ? number : value
  }
  return value
}

function columnValue(record: UserRecord, column: UserColumn): unknown {
  const { row } = record
  switch (column) {
    case 'id':
      return row.id
    case 'userName':
      return displayUserName(row.store_domain, row.username)
    case 'active':
      return row.status !== 'disabled'
    case 'created':
      return iso(row.created_at)
    case 'lastModified':
      return iso(row.updated_at)
    case 'accountLocked':
      return isLocked(row)
    case 'lockedReason':
      return row.lock_reason ?? undefined
    case 'passwordLastChanged':
      return record.passwordChangedAt === null ? undefined : iso(record.passwordChangedAt)
  }
}

/**
 * Elements from per-type claims; the primary flag marks the value the primary claim repeats.
 * Storage keeps the primary's value, not its type, so when two types hold that same value the
 * first of them in the mapping's order (for emails: work, home, other) is the primary one:
 * RFC 7643 §2.4 allows `primary: true` on one element only. The filter translation
 * (`user-filter-sql.ts`) decides the same way.
 */
export function typedValueElements(claims: Claims, mapping: TypedValuesMapping): ScimResource[] {
  const primary = claims[mapping.primaryClaim]
  const elements: ScimResource[] = []
  let primaryShown = false
  for (const [type, uri] of entriesOf(mapping.typeClaims)) {
    const value = claims[uri]
    if (value === undefined) continue
    const isPrimary: boolean = !primaryShown && value === primary
    primaryShown ||= isPrimary
    const element: ScimResource = { value, type }
    if (isPrimary) element.primary = true
    elements.push(element)
  }
  if (primary !== undefined && !primaryShown) elements.unshift({ value: primary, primary: true })
  return elements
}

export function addressElements(claims: Claims, mapping: TypedAddressesMapping): ScimResource[] {
  const primaryType = claims[mapping.primaryClaim]
  const elements: ScimResource[] = []
  for (const type of mapping.types) {
    const element: ScimResource = {}
    let found = false
    for (const sub of mapping.subAttributes) {
      const value = claims[mapping.claimOf(type, sub)]
      if (value === undefined) continue
      element[sub] = value
      found = true
    }
    if (!found) continue
    element.type = type
    if (primaryType === type) element.primary = true
    elements.push(element)
  }
  return elements
}

function valueList(raw: string | undefined): ScimResource[] | undefined {
  if (raw === undefined) return undefined
  try {
    const values: unknown = JSON.parse(raw)
    if (!Array.isArray(values)) return undefined
    return values.filter((value): value is string => typeof value === 'string').map((value) => ({ value }))
  } catch {
    return undefined
  }
}

function attributeValue(
  record: UserRecord,
  schemaId: string,
  name: string,
  mapping: AttributeMapping,
  baseUrl: string,
): unknown {
  switch (mapping.kind) {
    case 'column':
      return columnValue(record, mapping.column)
    case 'claim': {
      const value = record.claims[mapping.claim]
      if (value === undefined) return undefined
      return claimToScim(value, claimType(schemaId, name))
    }
    case 'complex': {
      const value: ScimResource = {}
      for (const [sub, uri] of entriesOf(mapping.subAttributes)) {
        const claimValue = record.claims[uri]
        if (claimValue !== undefined) value[sub] = claimValue
      }
      // No reference without an id: an empty `value` (the admin API stores "") names nobody.
      if (name === 'manager' && typeof value.value === 'string' && value.value !== '')
        value.$ref = `${baseUrl}/Users/${value.value}`
      return Object.keys(value).length > 0 ? value : undefined
    }
    case 'typed-values': {
      const elements = typedValueElements(record.claims, mapping)
      return elements.length > 0 ? elements : undefined
    }
    case 'typed-addresses': {
      const elements = addressElements(record.claims, mapping)
      return elements.length > 0 ? elements : undefined
    }
    case 'value-list':
      return valueList(record.claims[mapping.claim])
    case 'groups':
      return record.groups.length > 0
        ? record.groups.map((group) => ({
            value: group.id,
            $ref: `${baseUrl}/Groups/${group.id}`,
            display: group.name,
            type: 'direct',
          }))
        : undefined
    case 'meta':
      return {
        resourceType: 'User',
        created: iso(record.row.created_at),
        lastModified: iso(record.row.updated_at),
        location: `${baseUrl}/Users/${record.row.id}`,
        version: versionTag(record.row.version),
      }
  }
}

/**
 * The full SCIM User (every attribute that has a value, before `attributes` projection).
 * Attributes returned `never` (password) have no mapping and so can never appear.
 */
export function renderUser(record: UserRecord, baseUrl: string): ScimResource {
  const schemas = [CORE_USER]
  const resource: ScimResource = { schemas }
  let meta: unknown
  for (const [schemaId, mappings] of mappingsBySchema) {
    const target: ScimResource = schemaId === CORE_USER ? resource : {}
    let filled = false
    for (const [name, mapping] of mappings) {
      const value = attributeValue(record, schemaId, name, mapping, baseUrl)
      if (value === undefined) continue
      // meta last, as in RFC 7643's examples: readers look for the attributes first. Added
      // last rather than moved with a rest-and-spread copy: such copies are built in V8's slow
      // path and outlive the request, which costs every later request a share of their
      // collection.
      if (mapping.kind === 'meta') meta = value
      else {
        target[name] = value
        filled = true
      }
    }
    if (schemaId !== CORE_USER && filled) {
      resource[schemaId] = target
      schemas.push(schemaId)
    }
  }
  if (meta !== undefined) resource.meta = meta
  return resource
}
