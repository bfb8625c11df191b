import type { BulkOperation } from './bulk-request.ts'

/** A value that names the resource another operation of the request creates (RFC 7644 §3.7.2). */
const BULK_REFERENCE = /^bulkId:(.+)$/

/** `/Groups/bulkId:x` names the resource operation `x` creates. */
const PATH_REFERENCE = /\/bulkId:([^/]+)$/

/** The bulkId a string refers to, if it is a reference. */
export function referenceIn(value: unknown): string | undefined {
  return typeof value === 'string' ? BULK_REFERENCE.exec(value)?.[1] : undefined
}

/** Every `bulkId:x` a value refers to, in the order they appear. */
export function referencesIn(value: unknown, into: Set<string> = new Set()): Set<string> {
  const reference = referenceIn(value)
  if (reference !== undefined) into.add(reference)
  else if (Array.isArray(value)) for (const item of value) referencesIn(item, into)
  else if (value && typeof value === 'object')
    for (const item of Object.values(value)) referencesIn(item, into)
  return into
}

/** Every bulkId an operation refers to, in its path or its data. */
export function referencesOf(operation: BulkOperation): Set<string> {
  const inPath = PATH_REFERENCE.exec(operation.path)?.[1]
  const references = new Set<string>(inPath === undefined ? [] : [inPath])
  return referencesIn(operation.data, references)
}

/** The path with a `bulkId:x` segment replaced by the id `x` created, when it was created. */
export function substitutePath(path: string, ids: ReadonlyMap<string, string>): string {
  return path.replace(PATH_REFERENCE, (whole, id: string) => (ids.has(id) ? `/${ids.get(id)}` : whole))
}

/** The value with every `bulkId:x` that was created replaced by the id it created. */
export function substitute(value: unknown, ids: ReadonlyMap<string, string>): unknown {
  const reference = referenceIn(value)
  if (reference !== undefined) return ids.get(reference) ?? value
  if (Array.isArray(value)) return value.map((item) => substitute(item, ids))
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, ids)]))
  return value
}
