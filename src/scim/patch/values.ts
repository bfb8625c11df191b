/**
 * Operation values checked against the shape of the attribute they go to, with keys put in
 * the schema's spelling (clients send `Value`, `Primary`, `Type`). Only the shape is checked:
 * the types of simple values are kept as given (clients send "True" for true), because the
 * caller's write validation coerces and checks them once for PATCH, PUT and POST alike.
 */
import { scimError } from '../errors.ts'
import { findSubAttribute } from '../filter/evaluate.ts'
import type { AttributeDefinition } from '../schema/types.ts'
import { defineOwn, describeJson, isPrimitive, isRecord, type JsonRecord } from './records.ts'

export type SimpleValue = string | number | boolean

/** A value for a simple attribute or sub-attribute: one string, number or boolean. */
export function simpleValue(value: unknown, definition: AttributeDefinition, where: string): SimpleValue {
  if (isPrimitive(value)) return value
  throw scimError.invalidValue(`${where} takes a single ${definition.type} value, not ${describeJson(value)}`)
}

/**
 * An object for a complex attribute. Sub-attribute names are canonicalised; readOnly
 * sub-attributes are dropped, since readOnly values in requests are ignored (RFC 7643 §2.2:
 * clients send a member's `display` back); unknown keys are kept as given for the caller to
 * ignore. A null sub-attribute is kept as null: in a merge it means "remove this one".
 */
export function complexValue(value: unknown, attribute: AttributeDefinition, label: string): JsonRecord {
  if (!isRecord(value))
    throw scimError.invalidValue(
      `${label}: ${attribute.name} takes an object of its sub-attributes, not ${describeJson(value)}`,
    )
  const result: JsonRecord = {}
  const seen = new Set<string>()
  for (const [key, inner] of Object.entries(value)) {
    const sub = findSubAttribute(attribute, key)
    if (!sub) {
      defineOwn(result, key, structuredClone(inner))
      continue
    }
    // `value` and `Value` in one object would leave us to guess which one was meant.
    if (seen.has(sub.name))
      throw scimError.invalidValue(
        `${label}: ${attribute.name}.${sub.name} is given twice, in different cases`,
      )
    seen.add(sub.name)
    if (sub.mutability === 'readOnly') continue
    result[sub.name] =
      inner === null ? null : simpleValue(inner, sub, `${label}: ${attribute.name}.${sub.name}`)
  }
  return result
}

/**
 * The value of a single-valued complex attribute. A bare string or number is taken as its
 * `value` sub-attribute: Entra ID sends the enterprise `manager` as the manager's id alone.
 */
export function singleComplexValue(
  value: unknown,
  attribute: AttributeDefinition,
  label: string,
): JsonRecord {
  const valueSub = findSubAttribute(attribute, 'value')
  if (isPrimitive(value) && valueSub) return complexValue({ [valueSub.name]: value }, attribute, label)
  return complexValue(value, attribute, label)
}

/** Drops null sub-attributes: in a new element they mean nothing. */
export function withoutNulls(record: JsonRecord): JsonRecord {
  for (const key of Object.keys(record)) if (record[key] === null) delete record[key]
  return record
}

/**
 * One new element of a multi-valued attribute. A complex element must give a value to at least
 * one sub-attribute a client may write: one that holds only read-only sub-attributes (a
 * member's `display`), nulls or unknown keys carries nothing to store, and adding it as a
 * no-op would hide from the client that nothing was added (RFC 7644 §3.5.2.1: the value
 * specifies what is added). A group's POST and PUT refuse such a member too.
 */
export function elementValue(value: unknown, attribute: AttributeDefinition, label: string): unknown {
  if (attribute.type !== 'complex')
    return simpleValue(value, attribute, `${label}: an element of ${attribute.name}`)
  const element = withoutNulls(complexValue(value, attribute, label))
  // Once per element, and a group's members may number tens of thousands: no allocation here.
  const gives = attribute.subAttributes?.some(
    (sub) => sub.mutability !== 'readOnly' && Object.hasOwn(element, sub.name),
  )
  if (!gives) throw emptyElement(attribute, label)
  return element
}

function emptyElement(attribute: AttributeDefinition, label: string): Error {
  const subs = attribute.subAttributes ?? []
  const writable = subs.filter((sub) => sub.mutability !== 'readOnly')
  const readOnly = subs.filter((sub) => sub.mutability === 'readOnly')
  const names = (subs: readonly AttributeDefinition[]) => subs.map((sub) => sub.name).join(', ')
  return scimError.invalidValue(
    `${label}: each element of ${attribute.name} needs a value for at least one of ${names(writable)}${
      readOnly.length === 0
        ? ''
        : ` (${names(readOnly)} ${readOnly.length === 1 ? 'is' : 'are'} read-only: the server sets ${readOnly.length === 1 ? 'it' : 'them'})`
    }`,
  )
}

/** The elements an operation gives a multi-valued attribute: one element or a list of them. */
export function elementsOf(value: unknown, attribute: AttributeDefinition, label: string): unknown[] {
  const given = Array.isArray(value) ? value : [value]
  const elements: unknown[] = []
  for (const element of given) {
    // A null element is "no value" (RFC 7643 §2.5), so it adds nothing.
    if (element === null) continue
    elements.push(elementValue(element, attribute, label))
  }
  return elements
}
