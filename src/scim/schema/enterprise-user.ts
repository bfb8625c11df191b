/**
 * The enterprise User extension (RFC 7643 §4.3). Rekey adds one attribute of its own,
 * `forcePasswordReset`, under this URN rather than its own extension so that a client can
 * set it in the same object as the other enterprise attributes.
 */
import type { SchemaDefinition } from './types.ts'
import { attribute, complex } from './user.ts'

export const ENTERPRISE_USER_SCHEMA_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

export const enterpriseUserSchema: SchemaDefinition = {
  id: ENTERPRISE_USER_SCHEMA_URN,
  name: 'EnterpriseUser',
  description: 'Organisational details of a user.',
  attributes: [
    attribute('employeeNumber', 'string', 'The number the organisation gives the employee.'),
    attribute('costCenter', 'string', 'The cost center the user is charged to.'),
    attribute('organization', 'string', 'The organisation the user works for.'),
    attribute('division', 'string', 'The division the user works in.'),
    attribute('department', 'string', 'The department the user works in.'),
    complex('manager', "The user's manager.", [
      // Holds a User `id`, which compares exactly.
      attribute('value', 'string', 'The id of the manager.', { caseExact: true }),
      attribute('$ref', 'reference', 'URI of the manager.', { referenceTypes: ['User'] }),
      attribute('displayName', 'string', "The manager's display name.", { mutability: 'readOnly' }),
    ]),
    attribute(
      'forcePasswordReset',
      'boolean',
      'True while a password reset an administrator asked for is still outstanding.',
    ),
  ],
}
