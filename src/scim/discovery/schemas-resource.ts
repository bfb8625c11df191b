/**
 * The Schema resources (RFC 7643 §7): every schema a resource type uses, with each
 * attribute's characteristics, for clients that discover attributes at run time.
 */
import { groupRegistry, userRegistry } from '../schema/registry.ts'
import type { AttributeDefinition, SchemaDefinition } from '../schema/types.ts'
import { commonAttributes } from '../schema/user.ts'

export const SCHEMA_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Schema'

export interface SchemaResource {
  schemas: [typeof SCHEMA_SCHEMA_URN]
  id: string
  name: string
  description: string
  attributes: AttributeDefinition[]
  meta: { resourceType: 'Schema'; location: string }
}

export interface SchemaResourceOptions {
  /**
   * List `id`, `externalId` and `meta` in the core schemas. RFC 7643 §7 says they are not
   * part of any schema, but some clients look for them there.
   */
  includeCommonAttributes?: boolean
}

const commonNames = new Set(commonAttributes.map((attribute) => attribute.name.toLowerCase()))

/** A fresh copy in the RFC's key order, so callers cannot alter the shared definitions. */
function renderAttribute(attribute: AttributeDefinition): AttributeDefinition {
  return {
    name: attribute.name,
    type: attribute.type,
    multiValued: attribute.multiValued,
    description: attribute.description,
    required: attribute.required,
    caseExact: attribute.caseExact,
    mutability: attribute.mutability,
    returned: attribute.returned,
    uniqueness: attribute.uniqueness,
    ...(attribute.canonicalValues ? { canonicalValues: [...attribute.canonicalValues] } : {}),
    ...(attribute.referenceTypes ? { referenceTypes: [...attribute.referenceTypes] } : {}),
    ...(attribute.subAttributes ? { subAttributes: attribute.subAttributes.map(renderAttribute) } : {}),
  }
}

function render(schema: SchemaDefinition, baseUrl: string, includeCommon: boolean): SchemaResource {
  const attributes = includeCommon
    ? schema.attributes
    : schema.attributes.filter((attribute) => !commonNames.has(attribute.name.toLowerCase()))
  return {
    schemas: [SCHEMA_SCHEMA_URN],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: attributes.map(renderAttribute),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${schema.id}` },
  }
}

export function schemaResources(baseUrl: string, options: SchemaResourceOptions = {}): SchemaResource[] {
  const schemas = [userRegistry, groupRegistry].flatMap((registry) => [registry.core, ...registry.extensions])
  return schemas.map((schema) => render(schema, baseUrl, options.includeCommonAttributes ?? false))
}
