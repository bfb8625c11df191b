import { scimError } from '../errors.ts'
import { field } from '../field.ts'
import { resourceBody } from '../resource-body.ts'
import { userRegistry } from '../schema/registry.ts'
import type { AttributeDefinition } from '../schema/types.ts'
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

function textOf(value: unknown, name: string): string | undefined {
  if (value === null || value === undefined) return undefined
  if (typeof value !== 'string') throw scimError.invalidValue(`${name} must be a string.`)
  if (value.length > MAX_TEXT) throw scimError.invalidValue(`${name} is longer than ${MAX_TEXT} characters.`)
  // PostgreSQL text cannot hold NUL (the write would fail as a 500), and no attribute needs it.
  if (value.includes('\u0000')) throw scimError.invalidValue(`${name} must not contain NUL (\\u0000).`)
  // Storage keeps no empty strings: "" clears the attribute.
  return value === '' ? undefined : value
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
  name: string,
  mapping: TypedValuesMapping,
  claims: Record<string, string>,
) {
  const types = Object.keys(mapping.typeClaims)
  let primary: string | undefined
  let untyped: string | undefined
  let first: string | undefined
  for (const element of elementsOf(value, name)) {
    const text = textOf(field(element, 'value'), `${name}.value`)
    if (text === undefined) continue
    first ??= text
    const type = canonicalType(field(element, 'type'), types, name)
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
    const uri = mapping.typeClaims[type]!
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
    const text = textOf(field(given as Record<string, unknown>, sub.name), `${name}.${sub.name}`)
    if (text !== undefined) claims[uri] = text
  }
}

function apply(input: UserInput, definition: AttributeDefinition, mapping: AttributeMapping, value: unknown) {
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
      const text = textOf(value, name)
      if (text !== undefined) input.claims[mapping.claim] = text
      return
    }
    case 'complex':
      return complexValue(value, name, definition, mapping.subAttributes, input.claims)
    case 'typed-values':
      return typedValues(value, name, mapping, input.claims)
    case 'typed-addresses':
      return addresses(value, mapping, input.claims)
    case 'value-list': {
      const values = elementsOf(value, name)
        .map((element) => textOf(field(element, 'value'), `${name}.value`))
        .filter((text): text is string => text !== undefined)
      if (values.length > 0) input.claims[mapping.claim] = JSON.stringify(values)
      return
    }
    default:
      return
  }
}

function visit(input: UserInput, schemaId: string | undefined, key: string, value: unknown) {
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
  if (mapping) apply(input, resolved.attribute, mapping, value)
}

/**
 * Reads a whole User document (a POST or PUT body, or the result of applying a PATCH) into
 * storage terms. `requireSchemas`: POST and PUT bodies must name the core schema.
 */
export function userInputOf(document: unknown, options: { requireSchemas: boolean }): UserInput {
  const body = resourceBody(document, CORE_USER, options)
  const input: UserInput = { userName: '', claims: {} }
  for (const [key, value] of Object.entries(body)) {
    if (key === 'schemas') continue
    const extension = key.toLowerCase().startsWith('urn:') ? userRegistry.schema(key) : undefined
    if (extension && extension.id !== CORE_USER) {
      if (value === null || value === undefined) continue
      if (typeof value !== 'object' || Array.isArray(value))
        throw scimError.invalidValue(`${key} must be an object.`)
      for (const [name, inner] of Object.entries(value as Record<string, unknown>))
        visit(input, extension.id, name, inner)
      continue
    }
    if (key.toLowerCase().startsWith('urn:')) {
      // A fully qualified attribute name: `urn:…:User:userName`.
      const colon = key.lastIndexOf(':')
      visit(input, key.slice(0, colon), key.slice(colon + 1), value)
      continue
    }
    visit(input, undefined, key, value)
  }
  if (!input.userName) throw scimError.invalidValue('userName is required.')
  return input
}
