import { createHmac, timingSafeEqual } from 'node:crypto'
import { pooledRandomBytes } from './random-pool.ts'

export type OtpCharacters = 'digits' | 'upper-alnum' | 'alnum'

/**
 * Alphabets of one-time passwords. `upper-alnum` leaves out 0/O and 1/I, which people misread
 * when an administrator reads a code out over the phone.
 */
const alphabets: Record<OtpCharacters, string> = {
  digits: '0123456789',
  'upper-alnum': 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789',
  alnum: 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789',
}

/** A one-time password: uniform over the alphabet (rejection sampling, no modulo bias). */
export function generateOtp(length: number, characters: OtpCharacters): string {
  const alphabet = alphabets[characters]
  const limit = 256 - (256 % alphabet.length)
  const out: string[] = []
  while (out.length < length) {
    for (const byte of pooledRandomBytes(length * 2)) {
      if (byte < limit && out.length < length) out.push(alphabet[byte % alphabet.length]!)
    }
  }
  return out.join('')
}

/**
 * What a user typed as a one-time password, compared as issued: spaces and dashes people add
 * while copying are dropped, and the case is folded for the case-insensitive alphabets.
 */
export function normalizeOtp(typed: string, characters: OtpCharacters): string {
  const compact = typed.replace(/[\s-]/g, '')
  return characters === 'alnum' ? compact : compact.toUpperCase()
}

/**
 * An emailed link's token: 256 random bits, URL-safe. From the pool: a call of its own to the
 * CSPRNG cost about 30 µs, more than the rest of issuing the link.
 */
export function newLinkToken(): string {
  return pooledRandomBytes(32).toString('base64url')
}

/**
 * The stored form of a one-time secret: HMAC-SHA256 under the server key, never the secret.
 * A fast keyed hash is right for short-lived codes (a password hash would make bulk resets
 * take hours); the key keeps a stolen table from being brute-forced offline. A one-time
 * password is bound to its user, so the same code issued to two users stores differently and
 * one user's code never matches another's.
 */
export function secretHmac(key: Buffer, kind: 'link' | 'otp', secret: string, userId = ''): string {
  return createHmac('sha256', key)
    .update(`rekey-reset\u0000${kind}\u0000${userId}\u0000${secret}`, 'utf8')
    .digest('hex')
}

/** Constant-time comparison of two HMACs (hex): no timing signal about how much matched. */
export function sameHmac(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex')
  const right = Buffer.from(b, 'hex')
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right)
}
