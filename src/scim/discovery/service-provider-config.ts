/**
 * The ServiceProviderConfig resource (RFC 7643 §5): what this SCIM endpoint supports, so
 * that clients need not probe.
 */

export const SERVICE_PROVIDER_CONFIG_SCHEMA_URN =
  'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'

export interface ServiceProviderConfigOptions {
  /** The SCIM base URL, without a trailing slash. */
  baseUrl: string
  /** Most operations accepted in one bulk request. */
  maxOperations: number
  /** Largest bulk request body accepted, in bytes. */
  maxPayloadSize: number
  /** Most resources returned for one query, whatever `count` asks for. */
  maxResults: number
  documentationUri?: string | undefined
}

export interface AuthenticationScheme {
  type: 'oauth' | 'oauth2' | 'oauthbearertoken' | 'httpbasic' | 'httpdigest'
  name: string
  description: string
  specUri?: string
  documentationUri?: string
  primary?: boolean
}

export interface ServiceProviderConfig {
  schemas: [typeof SERVICE_PROVIDER_CONFIG_SCHEMA_URN]
  documentationUri?: string
  patch: { supported: boolean }
  bulk: { supported: boolean; maxOperations: number; maxPayloadSize: number }
  filter: { supported: boolean; maxResults: number }
  changePassword: { supported: boolean }
  sort: { supported: boolean }
  etag: { supported: boolean }
  authenticationSchemes: AuthenticationScheme[]
  meta: { resourceType: 'ServiceProviderConfig'; location: string }
}

const authenticationSchemes: readonly AuthenticationScheme[] = [
  {
    type: 'oauthbearertoken',
    name: 'Bearer token',
    description: 'An Authorization header carrying a Rekey API token (rkt_…) or sign-in session (rks_…).',
    specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
    // Provisioning clients are configured with a long-lived token, so this is the one to offer.
    primary: true,
  },
  {
    type: 'httpbasic',
    name: 'HTTP Basic',
    description: "The user name and password of one of the tenant's administrators.",
    specUri: 'https://www.rfc-editor.org/rfc/rfc7617',
    primary: false,
  },
]

/** Limits come from configuration; a zero or fractional one would advertise nonsense. */
function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, not ${value}`)
  }
  return value
}

export function serviceProviderConfig(options: ServiceProviderConfigOptions): ServiceProviderConfig {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA_URN],
    ...(options.documentationUri === undefined ? {} : { documentationUri: options.documentationUri }),
    patch: { supported: true },
    bulk: {
      supported: true,
      maxOperations: positiveInteger('maxOperations', options.maxOperations),
      maxPayloadSize: positiveInteger('maxPayloadSize', options.maxPayloadSize),
    },
    filter: { supported: true, maxResults: positiveInteger('maxResults', options.maxResults) },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: authenticationSchemes.map((scheme) => ({ ...scheme })),
    meta: { resourceType: 'ServiceProviderConfig', location: `${options.baseUrl}/ServiceProviderConfig` },
  }
}
