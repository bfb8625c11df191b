/** The core Group schema (RFC 7643 §4.2). */
import type { SchemaDefinition } from './types.ts'
import { attribute, commonAttributes, complex } from './user.ts'

export const GROUP_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group'

export const groupSchema: SchemaDefinition = {
  id: GROUP_SCHEMA_URN,
  name: 'Group',
  // Groups are Rekey roles, whose members are users: no group contains a group.
  description: 'A named set of users.',
  attributes: [
    ...commonAttributes,
    attribute('displayName', 'string', 'The name of the group; unique within the tenant.', {
      required: true,
      uniqueness: 'server',
    }),
    complex(
      'members',
      'The users that belong to the group.',
      [
        // Holds a resource `id`, which compares exactly; a member is replaced, never re-pointed.
        attribute('value', 'string', 'The id of the member.', { caseExact: true, mutability: 'immutable' }),
        attribute('$ref', 'reference', 'URI of the member.', {
          mutability: 'immutable',
          referenceTypes: ['User'],
        }),
        attribute('display', 'string', 'The display name of the member.', { mutability: 'readOnly' }),
        attribute('type', 'string', 'What kind of resource the member is.', {
          mutability: 'immutable',
          canonicalValues: ['User'],
        }),
      ],
      { multiValued: true },
    ),
  ],
}
