/**
 * The ResourceType resources (RFC 7643 §6): which endpoints exist and which schemas their
 * resources use. Built from the registries so the two cannot disagree.
 */
import { groupRegistry, userRegistry } from '../schema/registry.ts'
import type { SchemaRegistry } from '../schema/types.ts'

export const RESOURCE_TYPE_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType'

export interface ResourceType {
  schemas: [typeof RESOURCE_TYPE_SCHEMA_URN]
  id: string
  name: string
  description: string
  endpoint: string
  schema: string
  schemaExtensions?: { schema: string; required: boolean }[]
  meta: { resourceType: 'ResourceType'; location: string }
}

interface ResourceTypeSpec {
  name: string
  endpoint: string
  description: string
  registry: SchemaRegistry
}

const specs: readonly ResourceTypeSpec[] = [
  { name: 'User', endpoint: '/Users', description: 'User accounts', registry: userRegistry },
  { name: 'Group', endpoint: '/Groups', description: 'Groups of users', registry: groupRegistry },
]

function render(spec: ResourceTypeSpec, baseUrl: string): ResourceType {
  const { core, extensions } = spec.registry
  return {
    schemas: [RESOURCE_TYPE_SCHEMA_URN],
    id: spec.name,
    name: spec.name,
    description: spec.description,
    endpoint: spec.endpoint,
    schema: core.id,
    // Every extension is optional: a user created without its attributes is still valid.
    ...(extensions.length === 0
      ? {}
      : { schemaExtensions: extensions.map((extension) => ({ schema: extension.id, required: false })) }),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${spec.name}` },
  }
}

export function resourceTypes(baseUrl: string): ResourceType[] {
  return specs.map((spec) => render(spec, baseUrl))
}
