/**
 * The core User schema (RFC 7643 §4.1), limited to the attributes Rekey stores, and the
 * common attributes every resource carries (RFC 7643 §3.1).
 */
import type { AttributeDefinition, AttributeType, SchemaDefinition } from './types.ts'

export const USER_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'

type Characteristics = Partial<Omit<AttributeDefinition, 'name' | 'type' | 'description'>>

/**
 * One attribute with the RFC 7643 §2.2 defaults (optional, case-insensitive, readWrite,
 * returned by default, no uniqueness, single-valued), so each definition below spells out
 * only where it departs from them.
 */
export function attribute(
  name: string,
  type: AttributeType,
  description: string,
  characteristics: Characteristics = {},
): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...characteristics,
  }
}

export function complex(
  name: string,
  description: string,
  subAttributes: AttributeDefinition[],
  characteristics: Characteristics = {},
): AttributeDefinition {
  return attribute(name, 'complex', description, { ...characteristics, subAttributes })
}

/**
 * `id`, `externalId` and `meta`. RFC 7643 §7 keeps them out of schema definitions, but the
 * registry must still resolve them in filters, sorting and `attributes=`, so the core schemas
 * list them too and `/Schemas` leaves them out.
 */
export const commonAttributes: readonly AttributeDefinition[] = [
  attribute('id', 'string', 'Identifier the server assigns to the resource; it never changes.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
    // Clients never send `id` (RFC 7643 §3.1), so write validation must not demand it.
    required: false,
  }),
  attribute('externalId', 'string', "The provisioning client's own identifier for the resource.", {
    caseExact: true,
  }),
  complex(
    'meta',
    'Server-maintained facts about the resource.',
    [
      attribute('resourceType', 'string', 'Name of the resource type, such as User or Group.', {
        caseExact: true,
        mutability: 'readOnly',
      }),
      attribute('created', 'dateTime', 'When the resource was added to the server.', {
        mutability: 'readOnly',
      }),
      attribute('lastModified', 'dateTime', 'When the resource was last changed.', {
        mutability: 'readOnly',
      }),
      attribute('location', 'reference', 'Absolute URI of the resource.', {
        mutability: 'readOnly',
        referenceTypes: ['uri'],
      }),
      attribute('version', 'string', 'Entity tag of the current state of the resource.', {
        caseExact: true,
        mutability: 'readOnly',
      }),
    ],
    { mutability: 'readOnly' },
  ),
]

/** The `type` sub-attribute of a multi-valued attribute, with its usual labels. */
function kind(what: string, canonicalValues: string[]): AttributeDefinition {
  return attribute('type', 'string', `A label for the ${what}.`, { canonicalValues })
}

function primary(what: string): AttributeDefinition {
  return attribute('primary', 'boolean', `True for the preferred ${what}; at most one value has it.`)
}

function plural(
  name: string,
  description: string,
  subAttributes: AttributeDefinition[],
): AttributeDefinition {
  return complex(name, description, subAttributes, { multiValued: true })
}

const nameAttribute = complex('name', "The parts of the user's full name.", [
  attribute('formatted', 'string', 'The whole name as it should be displayed.'),
  attribute('familyName', 'string', 'Family name or surname.'),
  attribute('givenName', 'string', 'Given or first name.'),
  attribute('middleName', 'string', 'Middle names.'),
  attribute('honorificPrefix', 'string', 'Title before the name, such as Dr.'),
  attribute('honorificSuffix', 'string', 'Suffix after the name, such as Jr.'),
])

const userAttributes: AttributeDefinition[] = [
  attribute('userName', 'string', 'The name the user signs in with; unique within the tenant.', {
    required: true,
    uniqueness: 'server',
  }),
  nameAttribute,
  attribute('displayName', 'string', 'The name to show for the user.'),
  attribute('nickName', 'string', 'An informal name for the user.'),
  attribute('profileUrl', 'reference', "Address of the user's online profile.", {
    referenceTypes: ['external'],
  }),
  attribute('title', 'string', "The user's job title."),
  attribute(
    'userType',
    'string',
    'How the organisation classifies the user, such as Employee or Contractor.',
  ),
  attribute(
    'preferredLanguage',
    'string',
    "The user's preferred written or spoken language, as a language tag.",
  ),
  attribute('locale', 'string', 'Language and region for formatting dates, numbers and currency.'),
  attribute('timezone', 'string', "The user's time zone, as an IANA zone name."),
  attribute('active', 'boolean', 'Whether the account may be used.'),
  attribute('password', 'string', 'A new password for the user; it can be written but is never read back.', {
    mutability: 'writeOnly',
    returned: 'never',
  }),
  plural('emails', "The user's email addresses.", [
    attribute('value', 'string', 'The email address.'),
    kind('email address', ['work', 'home', 'other']),
    primary('email address'),
  ]),
  plural('phoneNumbers', "The user's telephone numbers.", [
    attribute('value', 'string', 'The telephone number.'),
    kind('number', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    primary('number'),
  ]),
  plural('ims', "The user's instant messaging addresses.", [
    attribute('value', 'string', 'The instant messaging address.'),
    kind('messaging service', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
    primary('messaging address'),
  ]),
  plural('photos', 'Pictures of the user.', [
    attribute('value', 'reference', 'Address of the image.', { referenceTypes: ['external'] }),
    kind('image', ['photo', 'thumbnail']),
    primary('image'),
  ]),
  plural('addresses', "The user's postal addresses.", [
    attribute('formatted', 'string', 'The whole address as it would be printed on a label.'),
    attribute('streetAddress', 'string', 'Street, house number and any further delivery details.'),
    attribute('locality', 'string', 'City or town.'),
    attribute('region', 'string', 'State, province or county.'),
    attribute('postalCode', 'string', 'Postal or ZIP code.'),
    attribute('country', 'string', 'Country, as an ISO 3166-1 alpha-2 code.'),
    kind('address', ['work', 'home', 'other']),
    primary('address'),
  ]),
  complex(
    'groups',
    'Groups the user belongs to; change membership through the Group resource.',
    [
      // Group ids are compared exactly, like `id` itself.
      attribute('value', 'string', 'The id of the group.', { caseExact: true, mutability: 'readOnly' }),
      attribute('$ref', 'reference', 'URI of the group.', {
        mutability: 'readOnly',
        referenceTypes: ['Group'],
      }),
      attribute('display', 'string', 'The display name of the group.', { mutability: 'readOnly' }),
      // Only the groups that list the user as a member appear here; memberships through
      // nested groups are not expanded, so `indirect` never occurs.
      attribute('type', 'string', 'How the user belongs to the group.', {
        mutability: 'readOnly',
        canonicalValues: ['direct'],
      }),
    ],
    { multiValued: true, mutability: 'readOnly' },
  ),
  plural('x509Certificates', 'X.509 certificates issued to the user.', [
    // Base64 distinguishes upper from lower case (RFC 7643 §2.3.6).
    attribute('value', 'binary', 'The DER-encoded certificate, in base64.', { caseExact: true }),
  ]),
]

export const userSchema: SchemaDefinition = {
  id: USER_SCHEMA_URN,
  name: 'User',
  description: 'A person with an account in the tenant.',
  attributes: [...commonAttributes, ...userAttributes],
}
