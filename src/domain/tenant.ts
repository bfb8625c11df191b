/** The default tenant: it serves the root URLs, as in the reference server. */
export const DEFAULT_TENANT = 'carbon.super'

// A tenant domain appears in URLs (/t/{domain}/…): restrict it to DNS-like names so it needs
// no escaping and cannot smuggle path segments.
const tenantDomainPattern =
  /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/

export function normalizeTenantDomain(domain: string): string {
  return domain.trim().toLowerCase()
}

export function isValidTenantDomain(domain: string): boolean {
  return domain.length <= 253 && tenantDomainPattern.test(domain)
}
