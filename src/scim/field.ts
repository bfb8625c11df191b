/**
 * A member of a client's JSON object by name, exact spelling first, then in any letter case:
 * SCIM names are case-insensitive (RFC 7643 §2.1) and clients send `Value`, `Operations`, `Type`.
 */
export function field(source: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(source, name)) return source[name]
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(source)) if (key.toLowerCase() === wanted) return value
  return undefined
}
