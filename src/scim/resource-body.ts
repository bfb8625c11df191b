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
  if (options.requireSchemas) {
    const schemas = body.schemas
    const wanted = coreSchema.toLowerCase()
    if (
      !Array.isArray(schemas) ||
      !schemas.some((urn) => typeof urn === 'string' && urn.toLowerCase() === wanted)
    )
      throw scimError.invalidSyntax(`schemas must be an array that contains ${coreSchema}.`)
  }
  return body
}
