/**
 * Attribute look-up across a resource type's schemas. Filters, PATCH paths, sorting and
 * `attributes=` all name attributes the same way, so they share this one resolver.
 */
import { enterpriseUserSchema } from './enterprise-user.ts'
import { groupSchema } from './group.ts'
import { rekeyUserSchema } from './rekey-user.ts'
import type { AttributeDefinition, ResolvedAttribute, SchemaDefinition, SchemaRegistry } from './types.ts'
import { userSchema } from './user.ts'

/** URNs and attribute names are ASCII and compare case-insensitively (RFC 7643 §2.1, §3). */
const key = (name: string): string => name.toLowerCase()

function indexByName(attributes: readonly AttributeDefinition[]): Map<string, AttributeDefinition> {
  const index = new Map<string, AttributeDefinition>()
  // The first definition of a name wins, as a linear search would; later ones are unreachable.
  for (const attribute of attributes) {
    if (!index.has(key(attribute.name))) index.set(key(attribute.name), attribute)
  }
  return index
}

export function createSchemaRegistry(core: SchemaDefinition, extensions: SchemaDefinition[]): SchemaRegistry {
  const ordered = [core, ...extensions]
  const byUrn = new Map<string, SchemaDefinition>()
  const attributesOf = new Map<SchemaDefinition, Map<string, AttributeDefinition>>()
  for (const schema of ordered) {
    // Two schemas under one URN would make qualified paths ambiguous: a wiring mistake.
    if (byUrn.has(key(schema.id))) throw new Error(`Schema ${schema.id} is registered twice`)
    byUrn.set(key(schema.id), schema)
    attributesOf.set(schema, indexByName(schema.attributes))
  }

  function withSubAttribute(
    schema: SchemaDefinition,
    attribute: AttributeDefinition,
    subAttribute: string | undefined,
  ): ResolvedAttribute | undefined {
    if (subAttribute === undefined) return { schema, attribute }
    if (attribute.type !== 'complex') return undefined
    const wanted = key(subAttribute)
    const sub = attribute.subAttributes?.find((candidate) => key(candidate.name) === wanted)
    return sub ? { schema, attribute, subAttribute: sub } : undefined
  }

  return {
    core,
    extensions: [...extensions],
    schema: (urn) => byUrn.get(key(urn)),
    resolve({ schema: urn, attribute: name, subAttribute }) {
      const candidates = urn === undefined ? ordered : [byUrn.get(key(urn))]
      for (const schema of candidates) {
        // A URN no schema here carries resolves to nothing, not to an unqualified look-up.
        if (!schema) return undefined
        const attribute = attributesOf.get(schema)?.get(key(name))
        if (attribute) return withSubAttribute(schema, attribute, subAttribute)
      }
      return undefined
    },
  }
}

/** User: the core schema with the enterprise and Rekey extensions. */
export const userRegistry: SchemaRegistry = createSchemaRegistry(userSchema, [
  enterpriseUserSchema,
  rekeyUserSchema,
])

/** Group: the core schema alone. */
export const groupRegistry: SchemaRegistry = createSchemaRegistry(groupSchema, [])
