import { comparisonKey } from './comparison-key.ts'

/** The built-in user store; `PRIMARY/alice` and `alice` are the same user. */
export const PRIMARY_STORE = 'PRIMARY'

export interface QualifiedUserName {
  storeDomain: string
  name: string
}

const storeDomainPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
// Printable, no slash (the store separator), no control characters, no leading/trailing space.
const namePattern = /^[^\s/\p{Cc}][^/\p{Cc}]{0,253}[^\s/\p{Cc}]$|^[^\s/\p{Cc}]$/u

export function isValidStoreDomain(domain: string): boolean {
  return storeDomainPattern.test(domain)
}

/** Splits `DOMAIN/name`. Store domains are case-insensitive and kept upper-case. */
export function parseUserName(input: string): QualifiedUserName | undefined {
  const trimmed = input.trim()
  const slash = trimmed.indexOf('/')
  const storeDomain = slash === -1 ? PRIMARY_STORE : trimmed.slice(0, slash).toUpperCase()
  const name = slash === -1 ? trimmed : trimmed.slice(slash + 1)
  if (!isValidStoreDomain(storeDomain) || !namePattern.test(name)) return undefined
  return { storeDomain, name }
}

/** The key that makes user names unique and look-ups case-insensitive. */
export function userNameKey(name: string): string {
  return comparisonKey(name)
}

/** `alice` for the primary store, `PARTNERS/bob` for others. */
export function displayUserName(storeDomain: string, name: string): string {
  return storeDomain === PRIMARY_STORE ? name : `${storeDomain}/${name}`
}
