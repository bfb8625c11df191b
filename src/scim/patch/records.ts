/**
 * Helpers for the plain JSON the PATCH engine works on. Attribute names compare
 * case-insensitively (RFC 7643 §2.1), so every look-up goes through `findKey`; and because
 * request bodies come from the network, keys such as `__proto__` are written as own
 * properties, never through the prototype setter.
 */
export type JsonRecord = Record<string, unknown>

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
}

/** The own key spelling `name` in any case; the exact spelling wins when both exist. */
export function findKey(record: JsonRecord, name: string): string | undefined {
  if (Object.hasOwn(record, name)) return name
  const wanted = name.toLowerCase()
  // Comparing lengths first spares lower-casing every key of large lists' elements.
  return Object.keys(record).find((key) => key.length === wanted.length && key.toLowerCase() === wanted)
}

export function getProp(record: JsonRecord, name: string): unknown {
  const key = findKey(record, name)
  return key === undefined ? undefined : record[key]
}

/** An own, enumerable data property, whatever the key (`__proto__` included). */
export function defineOwn(record: JsonRecord, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true })
}

/** Sets `name` in its canonical spelling, dropping other spellings so one value remains. */
export function setProp(record: JsonRecord, name: string, value: unknown): void {
  deleteProp(record, name)
  defineOwn(record, name, value)
}

export function deleteProp(record: JsonRecord, name: string): void {
  const wanted = name.toLowerCase()
  for (const key of Object.keys(record)) if (key.toLowerCase() === wanted) delete record[key]
}

/**
 * Whether an attribute has a value: missing, null, `[]` and `{}` are all "no value"
 * (RFC 7643 §2.5 makes the first three equivalent; an empty complex value carries nothing).
 */
export function hasValue(value: unknown): boolean {
  if (value === undefined || value === null) return false
  if (Array.isArray(value)) return value.length > 0
  if (isRecord(value)) return Object.keys(value).length > 0
  return true
}

/** `true`, or the string "true" in any case: clients send booleans as strings. */
export function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true')
}

/** Structural equality of JSON values; key order does not matter, key spelling does. */
export function jsonEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true
  if (Array.isArray(left) || Array.isArray(right)) {
    if (!Array.isArray(left) || !Array.isArray(right) || left.length !== right.length) return false
    return left.every((element, index) => jsonEqual(element, right[index]))
  }
  if (!isRecord(left) || !isRecord(right)) return false
  const keys = Object.keys(left)
  if (keys.length !== Object.keys(right).length) return false
  return keys.every((key) => Object.hasOwn(right, key) && jsonEqual(left[key], right[key]))
}

/** A deep copy of a JSON value (own `__proto__` keys stay plain data). */
export function copyJson<T>(value: T): T {
  return structuredClone(value)
}

/** How a value looks, for messages that must not echo it back. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (isRecord(value)) return 'an object'
  return `a ${typeof value}`
}
