/**
 * SCIM schema metadata (RFC 7643 §2.2 and §7). The same definitions drive `/Schemas`,
 * validation of writes, `returned` rules for responses, `caseExact` in filters, and
 * `mutability` in PATCH.
 */
export type AttributeType =
  | 'string'
  | 'boolean'
  | 'decimal'
  | 'integer'
  | 'dateTime'
  | 'reference'
  | 'complex'
  | 'binary'

export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly'
export type Returned = 'always' | 'never' | 'default' | 'request'
export type Uniqueness = 'none' | 'server' | 'global'

export interface AttributeDefinition {
  name: string
  type: AttributeType
  multiValued: boolean
  description: string
  required: boolean
  caseExact: boolean
  mutability: Mutability
  returned: Returned
  uniqueness: Uniqueness
  canonicalValues?: string[]
  referenceTypes?: string[]
  subAttributes?: AttributeDefinition[]
}

export interface SchemaDefinition {
  /** The schema URN, e.g. `urn:ietf:params:scim:schemas:core:2.0:User`. */
  id: string
  name: string
  description: string
  attributes: AttributeDefinition[]
}

/** An attribute reference resolved against a resource type's schemas. */
export interface ResolvedAttribute {
  /** The schema that defines the attribute (core or an extension). */
  schema: SchemaDefinition
  attribute: AttributeDefinition
  /** Set when the path named a sub-attribute (`name.givenName`, `emails.value`). */
  subAttribute?: AttributeDefinition | undefined
}

/** The schemas of one resource type (User: core + enterprise + Rekey extension; Group: core). */
export interface SchemaRegistry {
  core: SchemaDefinition
  extensions: readonly SchemaDefinition[]
  /** The schema with this URN (case-insensitive), core or extension. */
  schema(urn: string): SchemaDefinition | undefined
  /**
   * Resolves `attribute[.subAttribute]`, optionally qualified by a schema URN. Names match
   * case-insensitively (RFC 7643 §2.1). An unqualified name is looked up in the core schema
   * first, then in the extensions. Undefined when nothing matches.
   */
  resolve(path: {
    schema?: string | undefined
    attribute: string
    subAttribute?: string | undefined
  }): ResolvedAttribute | undefined
}
