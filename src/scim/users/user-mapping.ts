/**
 * The one table that says where each SCIM User attribute lives. Claims are keyed by claim URI
 * (the WSO2 dialect operators already know), so the admin API, SCIM and later the SOAP
 * profile service read and write the same data. Rendering, writes and filter translation all
 * read this table; nothing else knows a claim URI of a SCIM attribute.
 */
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
export const REKEY_USER = 'urn:rekey:params:scim:schemas:extension:2.0:User'

const claim = (name: string) => `http://wso2.org/claims/${name}`

/** Facts stored in columns of the user (or its credential), not in claims. */
export type UserColumn =
  | 'id'
  | 'userName'
  | 'active'
  | 'created'
  | 'lastModified'
  | 'accountLocked'
  | 'lockedReason'
  | 'passwordLastChanged'

/**
 * A multi-valued attribute whose elements are keyed by `type`: one claim per type holds the
 * value, and `primaryClaim` holds the primary element's value (for emails this is the
 * `emailaddress` claim the rest of Rekey mails to). A value in `primaryClaim` that no typed
 * claim repeats is an element without a type; one that several repeat makes the first of them,
 * in `typeClaims` order, the primary element (only one may be, RFC 7643 §2.4).
 */
export interface TypedValuesMapping {
  kind: 'typed-values'
  primaryClaim: string
  typeClaims: Readonly<Record<string, string>>
}

/** Addresses: one claim per type and sub-attribute; `primaryClaim` holds the primary's type. */
export interface TypedAddressesMapping {
  kind: 'typed-addresses'
  primaryClaim: string
  types: readonly string[]
  subAttributes: readonly string[]
  claimOf(type: string, subAttribute: string): string
}

/** Values without types or flags (certificates): a JSON array in one claim. */
export interface ValueListMapping {
  kind: 'value-list'
  claim: string
}

export type AttributeMapping =
  | { kind: 'column'; column: UserColumn }
  | { kind: 'claim'; claim: string }
  /** A complex single-valued attribute whose sub-attributes are claims (or derived). */
  | { kind: 'complex'; subAttributes: Readonly<Record<string, string>> }
  | TypedValuesMapping
  | TypedAddressesMapping
  | ValueListMapping
  /** Derived from role membership; read-only. */
  | { kind: 'groups' }
  | { kind: 'meta' }

const addressTypes = ['work', 'home', 'other'] as const
const addressSubAttributes = ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country']
/** Each address claim's URI, built once: every rendering of a user asks for all eighteen. */
const addressClaims = new Map<string, ReadonlyMap<string, string>>(
  addressTypes.map((type) => [
    type,
    new Map(addressSubAttributes.map((sub) => [sub, claim(`addresses.${type}.${sub}`)])),
  ]),
)

/** Keyed by schema URN, then attribute name in canonical spelling. */
export const userAttributeMappings: Readonly<Record<string, Readonly<Record<string, AttributeMapping>>>> = {
  [CORE_USER]: {
    id: { kind: 'column', column: 'id' },
    externalId: { kind: 'claim', claim: claim('externalid') },
    meta: { kind: 'meta' },
    userName: { kind: 'column', column: 'userName' },
    name: {
      kind: 'complex',
      subAttributes: {
        formatted: claim('formattedName'),
        familyName: claim('lastname'),
        givenName: claim('givenname'),
        middleName: claim('middleName'),
        honorificPrefix: claim('honorificPrefix'),
        honorificSuffix: claim('honorificSuffix'),
      },
    },
    displayName: { kind: 'claim', claim: claim('displayName') },
    nickName: { kind: 'claim', claim: claim('nickname') },
    profileUrl: { kind: 'claim', claim: claim('url') },
    title: { kind: 'claim', claim: claim('title') },
    userType: { kind: 'claim', claim: claim('userType') },
    preferredLanguage: { kind: 'claim', claim: claim('preferredLanguage') },
    locale: { kind: 'claim', claim: claim('locale') },
    timezone: { kind: 'claim', claim: claim('timeZone') },
    active: { kind: 'column', column: 'active' },
    emails: {
      kind: 'typed-values',
      primaryClaim: claim('emailaddress'),
      typeClaims: { work: claim('emails.work'), home: claim('emails.home'), other: claim('emails.other') },
    },
    phoneNumbers: {
      kind: 'typed-values',
      primaryClaim: claim('phoneNumbers'),
      typeClaims: {
        work: claim('telephone'),
        home: claim('phoneNumbers.home'),
        mobile: claim('mobile'),
        fax: claim('phoneNumbers.fax'),
        pager: claim('phoneNumbers.pager'),
        other: claim('phoneNumbers.other'),
      },
    },
    ims: {
      kind: 'typed-values',
      primaryClaim: claim('ims'),
      typeClaims: Object.fromEntries(
        ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'].map((type) => [
          type,
          claim(`ims.${type}`),
        ]),
      ),
    },
    photos: {
      kind: 'typed-values',
      primaryClaim: claim('photos'),
      typeClaims: { photo: claim('photourl'), thumbnail: claim('thumbnail') },
    },
    addresses: {
      kind: 'typed-addresses',
      primaryClaim: claim('addresses.primary'),
      types: addressTypes,
      subAttributes: addressSubAttributes,
      claimOf: (type, subAttribute) =>
        addressClaims.get(type)?.get(subAttribute) ?? claim(`addresses.${type}.${subAttribute}`),
    },
    groups: { kind: 'groups' },
    x509Certificates: { kind: 'value-list', claim: claim('x509Certificates') },
  },
  [ENTERPRISE_USER]: {
    employeeNumber: { kind: 'claim', claim: claim('employeeNumber') },
    costCenter: { kind: 'claim', claim: claim('costCenter') },
    organization: { kind: 'claim', claim: claim('organization') },
    division: { kind: 'claim', claim: claim('division') },
    department: { kind: 'claim', claim: claim('department') },
    manager: { kind: 'complex', subAttributes: { value: claim('manager') } },
    forcePasswordReset: { kind: 'claim', claim: claim('identity/adminForcedPasswordReset') },
  },
  [REKEY_USER]: {
    accountLocked: { kind: 'column', column: 'accountLocked' },
    lockedReason: { kind: 'column', column: 'lockedReason' },
    oneTimePassword: { kind: 'claim', claim: claim('oneTimePassword') },
    passwordLastChanged: { kind: 'column', column: 'passwordLastChanged' },
    pendingResetMode: { kind: 'claim', claim: claim('identity/pendingResetMode') },
  },
}

/** The mapping of `attribute` in `schemaId`, whatever the case of either. */
export function mappingOf(schemaId: string, attribute: string): AttributeMapping | undefined {
  const bySchema = userAttributeMappings[schemaId]
  if (!bySchema) return undefined
  const direct = bySchema[attribute]
  if (direct) return direct
  const wanted = attribute.toLowerCase()
  for (const [name, mapping] of Object.entries(bySchema)) if (name.toLowerCase() === wanted) return mapping
  return undefined
}

/** The claim URIs an attribute's values are stored in. */
export function claimsOf(mapping: AttributeMapping): string[] {
  switch (mapping.kind) {
    case 'claim':
      return [mapping.claim]
    case 'complex':
      return Object.values(mapping.subAttributes)
    case 'typed-values':
      return [mapping.primaryClaim, ...Object.values(mapping.typeClaims)]
    case 'typed-addresses':
      return [
        mapping.primaryClaim,
        ...mapping.types.flatMap((type) => mapping.subAttributes.map((sub) => mapping.claimOf(type, sub))),
      ]
    case 'value-list':
      return [mapping.claim]
    default:
      return []
  }
}
