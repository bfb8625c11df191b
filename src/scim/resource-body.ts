import { scimError } from './errors.ts'

/**
 * A resource document from a client: a JSON object, which for POST and PUT must name the
 * resource's core schema in `schemas` (RFC 7643 §3); a patched document is ours and need not.
 */
export function resourceBody(
  document: unknown,
  coreSchema: string,
  options: { requireSchemas: boolean },
): Record<string, unknown> {
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw scimError.invalidSyntax('The request body must be a JSON object.')
  const body = document as Record<string, unknown>
  if (options.requireSchemas && !namesSchema(body, coreSchema))
    throw scimError.invalidSyntax(`schemas must be an array that contains ${coreSchema}.`)
  return body
}

/**
 * Whether a message's `schemas` contains `urn`. Attribute names and schema URNs are both
 * case-insensitive (RFC 7643 §2.1, §3): clients that send `Schemas` or a URN in other letter
 * cases mean the same message.
 */
export function namesSchema(body: Readonly<Record<string, unknown>>, urn: string): boolean {
  const key = Object.keys(body).find((name) => name.toLowerCase() === 'schemas')
  const schemas = key === undefined ? undefined : body[key]
  const wanted = urn.toLowerCase()
  return (
    Array.isArray(schemas) &&
    schemas.some((item) => typeof item === 'string' && item.toLowerCase() === wanted)
  )
}
