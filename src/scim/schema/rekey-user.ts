/**
 * Rekey's own User extension: account locking and the state of administrator-initiated
 * password resets. Everything but `accountLocked` is maintained by the server.
 */
import type { SchemaDefinition } from './types.ts'
import { attribute } from './user.ts'

export const REKEY_USER_SCHEMA_URN = 'urn:rekey:params:scim:schemas:extension:2.0:User'

export const rekeyUserSchema: SchemaDefinition = {
  id: REKEY_USER_SCHEMA_URN,
  name: 'RekeyUser',
  description: 'Account locking and password reset state kept by Rekey.',
  attributes: [
    attribute('accountLocked', 'boolean', 'True while the account is locked and cannot sign in.'),
    attribute('lockedReason', 'string', 'Why the account was locked.', { mutability: 'readOnly' }),
    attribute(
      'oneTimePassword',
      'string',
      'The one-time password of a pending offline reset, for an administrator to hand over. ' +
        'Returned only when asked for by name, and never in list responses.',
      {
        // A password: letter case matters, and it must not leak into ordinary responses.
        caseExact: true,
        mutability: 'readOnly',
        returned: 'request',
      },
    ),
    attribute('passwordLastChanged', 'dateTime', 'When the password was last set.', {
      mutability: 'readOnly',
    }),
    attribute('pendingResetMode', 'string', 'How an outstanding password reset is to be completed.', {
      mutability: 'readOnly',
      canonicalValues: ['email-link', 'email-otp', 'offline-otp'],
    }),
  ],
}
