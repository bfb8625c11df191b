import { createHash, hkdfSync } from 'node:crypto'
import { splitList } from './stages.ts'

/** A key that encrypts and decrypts flow tokens, named by the `kid` each token carries. */
export interface TokenKey {
  kid: string
  key: Uint8Array
}

const KID = /^[A-Za-z0-9._-]{1,64}$/

/**
 * The configured keys (`kid:base64`, the first one current), or one derived from the server
 * secret. Every instance sharing the configuration derives the same keys, so a token issued by
 * one instance is read by any other; rotation adds a key first and keeps the old one listed
 * until its tokens have expired.
 */
export function tokenKeysOf(configured: string, secretKey: Buffer): TokenKey[] {
  const entries = splitList(configured)
  if (entries.length === 0) {
    const key = new Uint8Array(
      hkdfSync('sha256', secretKey, new Uint8Array(0), 'rekey selfservice flow token', 32),
    )
    const kid = `derived-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`
    return [{ kid, key }]
  }
  return entries.map((entry) => {
    const parsed = parseKeyEntry(entry)
    if (typeof parsed === 'string') throw new Error(parsed)
    return parsed
  })
}

/** One `kid:base64` entry, or why it is not one (for the configuration check). */
export function parseKeyEntry(entry: string): TokenKey | string {
  const colon = entry.indexOf(':')
  const kid = colon === -1 ? '' : entry.slice(0, colon)
  if (!KID.test(kid)) return 'each key is kid:base64 with a kid of letters, digits, ".", "_" or "-"'
  const key = Buffer.from(entry.slice(colon + 1), 'base64')
  if (key.length !== 32) return `key ${kid} must be base64 of exactly 32 random bytes`
  return { kid, key: new Uint8Array(key) }
}

/** Problems of the `selfservice.token_keys` setting. */
export function tokenKeyProblems(configured: string): string[] {
  const entries = splitList(configured)
  const problems = entries.map(parseKeyEntry).filter((parsed): parsed is string => typeof parsed === 'string')
  const kids = entries.map((entry) => entry.split(':')[0])
  if (new Set(kids).size !== kids.length) problems.push('each kid may appear once')
  return problems
}
