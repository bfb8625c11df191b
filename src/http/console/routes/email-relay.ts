import { fullFormats } from 'ajv-formats/dist/formats.js'
import type { Container } from '../../../container.ts'
import {
  describeSmtpEndpoint,
  SmtpConfigError,
  smtpSettingsFromUrl,
} from '../../../notifications/smtp/index.ts'
import type { TenantSmtpView } from '../../../notifications/tenant-smtp-service.ts'
import type { TenantRow } from '../../../persistence/repositories/tenants.ts'

/** Where this tenant's new mail goes, as the delivery router chooses it. */
export type RelayInEffect =
  | { kind: 'tenant'; endpoint: string; from: string | null }
  | { kind: 'server'; endpoint: string | null; from: string }
  | { kind: 'mailbox' }

/**
 * The tenant's own relay (as the admin API shows it: `smtp://user@host:port (security)`,
 * never the URL or its password), and the route its mail takes now: that relay, else the
 * server's `smtp.url`, else the built-in mailbox. A saved relay that this server's key cannot
 * open is skipped by delivery too.
 */
export async function relayOf(
  container: Container,
  tenant: TenantRow,
): Promise<{ tenantRelay: TenantSmtpView; inEffect: RelayInEffect }> {
  const tenantRelay = await container.tenantSmtp.get(tenant)
  if (tenantRelay.configured && tenantRelay.endpoint !== null)
    return {
      tenantRelay,
      inEffect: { kind: 'tenant', endpoint: tenantRelay.endpoint, from: tenantRelay.from },
    }
  const { url, from } = container.config.smtp
  if (url === '') return { tenantRelay, inEffect: { kind: 'mailbox' } }
  return { tenantRelay, inEffect: { kind: 'server', endpoint: serverEndpoint(url, from), from } }
}

/** The server relay as the test message reports it; the URL itself may hold the password. */
function serverEndpoint(url: string, from: string): string | null {
  try {
    return describeSmtpEndpoint(smtpSettingsFromUrl(url, { from }))
  } catch (error) {
    if (error instanceof SmtpConfigError) return null
    throw error
  }
}

/** Longest address the admin API's test accepts. */
const MAX_ADDRESS = 320
const emailFormat = fullFormats.email as RegExp

/**
 * Whether a test recipient is acceptable, by the rule of the admin API's `format: email`: one
 * address, no display name, no line break (threat: a header or an extra recipient injected).
 */
export function isTestAddress(value: string): boolean {
  return value.length <= MAX_ADDRESS && emailFormat.test(value)
}
