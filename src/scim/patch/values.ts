/**
 * Operation values checked against the shape of the attribute they go to, with keys put in
 * the schema's spelling (clients send `Value`, `Primary`, `Type`). Only the shape is checked:
 * the types of simple values are kept as given (clients send "True" for true), because the
 * caller's write validation coerces and checks them once for PATCH, PUT and POST alike.
 */
import { scimError } from '../errors.ts'
import { findSubAttribute } from '../filter/evaluate.ts'
import type { AttributeDefinition } from '../schema/types.ts'
import { defineOwn, describeJson, hasValue, isPrimitive, isRecord, type JsonRecord } from './records.ts'

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

/** One new element of a multi-valued attribute; undefined when it carries nothing. */
export function elementValue(value: unknown, attribute: AttributeDefinition, label: string): unknown {
  if (attribute.type !== 'complex')
    return simpleValue(value, attribute, `${label}: an element of ${attribute.name}`)
  const element = withoutNulls(complexValue(value, attribute, label))
  return hasValue(element) ? element : undefined
}

/** The elements an operation gives a multi-valued attribute: one element or a list of them. */
export function elementsOf(value: unknown, attribute: AttributeDefinition, label: string): unknown[] {
  const given = Array.isArray(value) ? value : [value]
  const elements: unknown[] = []
  for (const element of given) {
    // A null element is "no value" (RFC 7643 §2.5), so it adds nothing.
    if (element === null) continue
    const checked = elementValue(element, attribute, label)
    if (checked !== undefined) elements.push(checked)
  }
  return elements
}
