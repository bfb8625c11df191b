import { scimError } from '../errors.ts'
import { field } from '../field.ts'
import { resourceBody } from '../resource-body.ts'
import { userRegistry } from '../schema/registry.ts'
import type { AttributeDefinition, AttributeType } from '../schema/types.ts'
import {
  type AttributeMapping,
  CORE_USER,
  claimsOf,
  mappingOf,
  type TypedAddressesMapping,
  type TypedValuesMapping,
  userAttributeMappings,
} from './user-mapping.ts'

/** What a SCIM User document asks for, in storage terms. */
export interface UserInput {
  userName: string
  /** Every writable SCIM-managed claim that should have a value; the others are to be removed. */
  claims: Record<string, string>
  active?: boolean | undefined
  accountLocked?: boolean | undefined
  password?: string | undefined
}

/** Claims a SCIM write owns: those of attributes a client may write (readOnly ones are kept). */
export const writableClaims: ReadonlySet<string> = new Set(
  Object.entries(userAttributeMappings).flatMap(([schemaId, mappings]) =>
    Object.entries(mappings).flatMap(([name, mapping]) => {
      const definition = userRegistry.resolve({ schema: schemaId, attribute: name })?.attribute
      return definition && definition.mutability !== 'readOnly' ? claimsOf(mapping) : []
    }),
  ),
)

const MAX_TEXT = 4096

/** Clients send booleans as "True"/"False" strings (documented deviation). */
export function booleanOf(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true'
  throw scimError.invalidValue(`${name} must be true or false.`)
}

/** Base64 as RFC 4648 §4 writes it, padding included: what a `binary` value is (RFC 7643 §2.3.6). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * What cannot appear in a URI reference (RFC 3986 §2, with IRI characters let through): spaces
 * and controls, the delimiters RFC 3986 excludes, and a `%` that starts no escape.
 */
const NOT_A_URI = /[\s\p{Cc}"<>\\^`{|}]|%(?![0-9A-Fa-f]{2})/u

/**
 * Values a user already has, as stored: accepted again without the type checks, so a user
 * stored before a check existed can still be changed (a PATCH rewrites the whole document).
 */
type Stored = (uri: string, text: string) => boolean

function textOf(
  value: unknown,
  name: string,
  type: AttributeType = 'string',
  stored?: { uri: string; had: Stored },
): string | undefined {
  if (value === null || value === undefined) return undefined
  if (typeof value !== 'string') throw scimError.invalidValue(`${name} must be a string.`)
  if (value.length > MAX_TEXT) throw scimError.invalidValue(`${name} is longer than ${MAX_TEXT} characters.`)
  // PostgreSQL text cannot hold NUL (the write would fail as a 500), and no attribute needs it.
  if (value.includes('\u0000')) throw scimError.invalidValue(`${name} must not contain NUL (\\u0000).`)
  // Storage keeps no empty strings: "" clears the attribute.
  if (value === '') return undefined
  if ((type !== 'binary' && type !== 'reference') || stored?.had(stored.uri, value)) return value
  // Stored as sent and handed to every client that reads the user: a value that is not what
  // its type says would break those clients (a certificate that does not decode, a link that
  // is no link).
  if (type === 'binary' && !BASE64.test(value))
    throw scimError.invalidValue(`${name} must be base64 (RFC 4648 §4, with padding).`)
  if (type === 'reference' && NOT_A_URI.test(value))
    throw scimError.invalidValue(`${name} must be a URI: no spaces, no "<>{}|\\^\`, and % only in escapes.`)
  return value
}

/** The type of a complex attribute's `value` sub-attribute (string where it has none). */
function valueTypeOf(definition: AttributeDefinition): AttributeType {
  return definition.subAttributes?.find((sub) => sub.name === 'value')?.type ?? 'string'
}

function elementsOf(value: unknown, name: string): Record<string, unknown>[] {
  if (value === null || value === undefined) return []
  // A single object where an array belongs is a common client slip; it means one element.
  const list = Array.isArray(value) ? value : [value]
  if (list.length > 100) throw scimError.invalidValue(`${name} has more than 100 values.`)
  return list.map((element) => {
    if (typeof element !== 'object' || element === null || Array.isArray(element))
      throw scimError.invalidValue(`Each value of ${name} must be an object.`)
    return element as Record<string, unknown>
  })
}

function canonicalType(raw: unknown, types: readonly string[], name: string): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined
  if (typeof raw !== 'string') throw scimError.invalidValue(`${name}.type must be a string.`)
  const type = types.find((candidate) => candidate === raw.toLowerCase())
  if (!type) throw scimError.invalidValue(`${name}.type "${raw}" is not one of: ${types.join(', ')}.`)
  return type
}

function typedValues(
  value: unknown,
  definition: AttributeDefinition,
  mapping: TypedValuesMapping,
  claims: Record<string, string>,
  had: Stored,
) {
  const name = definition.name
  const valueType = valueTypeOf(definition)
  const types = Object.keys(mapping.typeClaims)
  let primary: string | undefined
  let untyped: string | undefined
  let first: string | undefined
  for (const element of elementsOf(value, name)) {
    const type = canonicalType(field(element, 'type'), types, name)
    const uri = type === undefined ? mapping.primaryClaim : mapping.typeClaims[type]!
    const text = textOf(field(element, 'value'), `${name}.value`, valueType, { uri, had })
    if (text === undefined) continue
    first ??= text
    const isPrimary =
      field(element, 'primary') === undefined
        ? false
        : booleanOf(field(element, 'primary'), `${name}.primary`)
    if (isPrimary) {
      // Two primaries are allowed only when they are the same value stored under two types.
      if (primary !== undefined && primary !== text)
        throw scimError.invalidValue(`Only one of ${name} can be primary.`)
      primary = text
    }
    if (type === undefined) {
      if (untyped !== undefined) throw scimError.invalidValue(`Only one of ${name} can be without a type.`)
      untyped = text
      continue
    }
    if (claims[uri] !== undefined) throw scimError.invalidValue(`${name} has two values of type ${type}.`)
    claims[uri] = text
  }
  if (untyped !== undefined && primary !== undefined && primary !== untyped)
    throw scimError.invalidValue(`A value of ${name} without a type must be the primary one.`)
  const chosen = primary ?? untyped ?? first
  if (chosen !== undefined) claims[mapping.primaryClaim] = chosen
}

function addresses(value: unknown, mapping: TypedAddressesMapping, claims: Record<string, string>) {
  let primaryType: string | undefined
  for (const element of elementsOf(value, 'addresses')) {
    const type = canonicalType(field(element, 'type'), mapping.types, 'addresses') ?? 'other'
    if (mapping.subAttributes.some((sub) => claims[mapping.claimOf(type, sub)] !== undefined))
      throw scimError.invalidValue(`addresses has two values of type ${type}.`)
    for (const sub of mapping.subAttributes) {
      const text = textOf(field(element, sub), `addresses.${sub}`)
      if (text !== undefined) claims[mapping.claimOf(type, sub)] = text
    }
    const primary = field(element, 'primary')
    if (primary !== undefined && booleanOf(primary, 'addresses.primary')) {
      if (primaryType !== undefined) throw scimError.invalidValue('Only one of addresses can be primary.')
      primaryType = type
    }
  }
  if (primaryType !== undefined) claims[mapping.primaryClaim] = primaryType
}

function complexValue(
  value: unknown,
  name: string,
  definition: AttributeDefinition,
  subClaims: Readonly<Record<string, string>>,
  claims: Record<string, string>,
  had: Stored,
) {
  if (value === null || value === undefined) return
  // A bare id stands for the `value` sub-attribute, as in PATCH: Entra ID sends `manager` so.
  const valueSub = definition.subAttributes?.find((sub) => sub.name === 'value')
  const given =
    (typeof value === 'string' || typeof value === 'number') && valueSub ? { [valueSub.name]: value } : value
  if (typeof given !== 'object' || Array.isArray(given))
    throw scimError.invalidValue(`${name} must be an object.`)
  for (const sub of definition.subAttributes ?? []) {
    const uri = subClaims[sub.name]
    if (!uri || sub.mutability === 'readOnly') continue
    const text = textOf(field(given as Record<string, unknown>, sub.name), `${name}.${sub.name}`, sub.type, {
      uri,
      had,
    })
    if (text !== undefined) claims[uri] = text
  }
}

function apply(
  input: UserInput,
  definition: AttributeDefinition,
  mapping: AttributeMapping,
  value: unknown,
  had: Stored,
) {
  const name = definition.name
  switch (mapping.kind) {
    case 'column':
      if (mapping.column === 'userName') {
        const text = textOf(value, 'userName')
        if (text !== undefined) input.userName = text
      } else if (mapping.column === 'active') {
        if (value !== null && value !== undefined) input.active = booleanOf(value, 'active')
      } else if (mapping.column === 'accountLocked') {
        if (value !== null && value !== undefined) input.accountLocked = booleanOf(value, 'accountLocked')
      }
      return
    case 'claim': {
      if (definition.type === 'boolean') {
        if (value !== null && value !== undefined)
          input.claims[mapping.claim] = String(booleanOf(value, name))
        return
      }
      const text = textOf(value, name, definition.type, { uri: mapping.claim, had })
      if (text !== undefined) input.claims[mapping.claim] = text
      return
    }
    case 'complex':
      return complexValue(value, name, definition, mapping.subAttributes, input.claims, had)
    case 'typed-values':
      return typedValues(value, definition, mapping, input.claims, had)
    case 'typed-addresses':
      return addresses(value, mapping, input.claims)
    case 'value-list': {
      const valueType = valueTypeOf(definition)
      const stored = { uri: mapping.claim, had }
      const values = elementsOf(value, name)
        .map((element) => textOf(field(element, 'value'), `${name}.value`, valueType, stored))
        .filter((text): text is string => text !== undefined)
      if (values.length > 0) input.claims[mapping.claim] = JSON.stringify(values)
      return
    }
    default:
      return
  }
}

function visit(input: UserInput, schemaId: string | undefined, key: string, value: unknown, had: Stored) {
  if (key === 'password' && schemaId === undefined) {
    if (value !== null && value !== undefined) {
      if (typeof value !== 'string' || value === '')
        throw scimError.invalidValue('password must be a non-empty string.')
      input.password = value
    }
    return
  }
  const resolved = userRegistry.resolve({ schema: schemaId, attribute: key })
  // Unknown attributes are ignored, as RFC 7644 lets a service provider do; readOnly values in
  // a request are ignored by definition (RFC 7643 §2.2).
  if (!resolved || resolved.attribute.mutability === 'readOnly') return
  const mapping = mappingOf(resolved.schema.id, resolved.attribute.name)
  if (mapping) apply(input, resolved.attribute, mapping, value, had)
}

/**
 * Attribute names are case-insensitive (RFC 7643 §2.1), so `userName` and `UserName` in one
 * object name one attribute twice. Threat: which of them counts would be an accident of key
 * order, one a filtering proxy in front of Rekey may read differently.
 */
function refuseNamesGivenTwice(body: Readonly<Record<string, unknown>>, owner: string): void {
  const seen = new Map<string, string>()
  const note = (name: string, spelled: string) => {
    const earlier = seen.get(name)
    if (earlier !== undefined)
      throw scimError.invalidSyntax(`${owner} names one attribute twice: ${earlier} and ${spelled}.`)
    seen.set(name, spelled)
  }
  const core = CORE_USER.toLowerCase()
  for (const [key, value] of Object.entries(body)) {
    const lower = key.toLowerCase()
    const extension = lower.startsWith('urn:') ? userRegistry.schema(key) : undefined
    if (extension && extension.id !== CORE_USER && isObject(value)) {
      // An extension's attributes, by their fully qualified names.
      for (const [name, inner] of Object.entries(value)) {
        note(`${extension.id.toLowerCase()}:${name.toLowerCase()}`, `${key}:${name}`)
        refuseSubAttributesGivenTwice(inner, `${key}:${name}`)
      }
      continue
    }
    const colon = lower.startsWith('urn:') ? lower.lastIndexOf(':') : -1
    const schema = colon === -1 ? core : lower.slice(0, colon)
    note(`${schema}:${lower.slice(colon + 1)}`, key)
    refuseSubAttributesGivenTwice(value, key)
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The same rule inside a complex value (`name`) and each element of a multi-valued one. */
function refuseSubAttributesGivenTwice(value: unknown, owner: string): void {
  for (const element of Array.isArray(value) ? value : [value]) {
    if (!isObject(element)) continue
    const seen = new Map<string, string>()
    for (const key of Object.keys(element)) {
      const earlier = seen.get(key.toLowerCase())
      if (earlier !== undefined)
        throw scimError.invalidSyntax(`${owner} names one sub-attribute twice: ${earlier} and ${key}.`)
      seen.set(key.toLowerCase(), key)
    }
  }
}

/** Whether `text` is (one of) the stored value(s) of `uri`: a list claim holds a JSON array. */
function storedIn(claims: Readonly<Record<string, string>> | undefined): Stored {
  return (uri, text) => {
    const stored = claims?.[uri]
    if (stored === undefined) return false
    if (stored === text) return true
    if (!stored.startsWith('[')) return false
    try {
      const values: unknown = JSON.parse(stored)
      return Array.isArray(values) && values.includes(text)
    } catch {
      return false
    }
  }
}

/**
 * Reads a whole User document (a POST or PUT body, or the result of applying a PATCH) into
 * storage terms. `requireSchemas`: POST and PUT bodies must name the core schema. `stored`:
 * the user's claims as stored, whose values pass again unchecked; `checkTypes: false` checks
 * no value's type (a first look at a body, before the user is read).
 */
export function userInputOf(
  document: unknown,
  options: { requireSchemas: boolean; stored?: Readonly<Record<string, string>>; checkTypes?: boolean },
): UserInput {
  const body = resourceBody(document, CORE_USER, options)
  const had: Stored = options.checkTypes === false ? () => true : storedIn(options.stored)
  refuseNamesGivenTwice(body, 'The User')
  const input: UserInput = { userName: '', claims: {} }
  for (const [key, value] of Object.entries(body)) {
    if (key === 'schemas') continue
    const extension = key.toLowerCase().startsWith('urn:') ? userRegistry.schema(key) : undefined
    if (extension && extension.id !== CORE_USER) {
      if (value === null || value === undefined) continue
      if (typeof value !== 'object' || Array.isArray(value))
        throw scimError.invalidValue(`${key} must be an object.`)
      for (const [name, inner] of Object.entries(value as Record<string, unknown>))
        visit(input, extension.id, name, inner, had)
      continue
    }
    if (key.toLowerCase().startsWith('urn:')) {
      // A fully qualified attribute name: `urn:…:User:userName`.
      const colon = key.lastIndexOf(':')
      visit(input, key.slice(0, colon), key.slice(colon + 1), value, had)
      continue
    }
    visit(input, undefined, key, value, had)
  }
  if (!input.userName) throw scimError.invalidValue('userName is required.')
  return input
}
