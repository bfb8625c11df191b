/**
 * `schemas`, the attribute every resource carries (RFC 7643 §3): the URIs of the schemas its
 * representation uses. RFC 7643 lists it apart from every schema's attributes, so no registry
 * (nor `/Schemas`) knows it, yet RFC 7644 §3.4.2.2 filters on it:
 * `schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"` finds the users
 * whose representation includes the enterprise extension. Filters resolve it here.
 */
import type { AttributeDefinition } from '../schema/types.ts'
import type { AttributePath } from './ast.ts'

export const schemasAttribute: AttributeDefinition = {
  name: 'schemas',
  type: 'reference',
  multiValued: true,
  description: 'The URIs of the schemas the resource uses.',
  required: true,
  // Schema URNs compare case-insensitively, as in schema-qualified attribute paths (RFC 7643 §2.1).
  caseExact: false,
  mutability: 'readOnly',
  returned: 'always',
  uniqueness: 'none',
  referenceTypes: ['uri'],
}

/** Whether a path names `schemas` (in any case, unqualified); a sub-attribute is the caller's to refuse. */
export function isSchemasAttribute(path: AttributePath): boolean {
  return path.schema === undefined && path.attribute.toLowerCase() === 'schemas'
}
