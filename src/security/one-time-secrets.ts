import { createHmac, timingSafeEqual } from 'node:crypto'
import { pooledRandomBytes } from './random-pool.ts'
import { uuidOf } from './time-ordered-id.ts'

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

/** Random bytes of a link's verifier: 256 bits. */
const VERIFIER_BYTES = 32
/** The code's id, as the 16 bytes of its UUID, leads the token. */
const SELECTOR_BYTES = 16
/** A token of the first format: 256 random bits, looked up by their HMAC. */
const FIRST_FORMAT_LENGTH = 43
const TOKEN_LENGTH = Math.ceil(((SELECTOR_BYTES + VERIFIER_BYTES) * 4) / 3)
const BASE64URL = /^[A-Za-z0-9_-]+$/

/**
 * An emailed link's token, URL-safe: its code's id (the selector) and then 256 random bits (the
 * verifier). The id finds the code by its primary key, time-ordered, so storing a code adds to
 * the end of one index instead of a random page of an index of HMACs; the store holds only the
 * verifier's HMAC, so its contents cannot make a working link. From the pool: a call of its own
 * to the CSPRNG cost about 30 µs, more than the rest of issuing the link.
 */
export function newLinkToken(codeId: string): { token: string; verifier: string } {
  const selector = Buffer.from(codeId.replaceAll('-', ''), 'hex')
  if (selector.length !== SELECTOR_BYTES) throw new Error('a link code id is a UUID')
  const verifier = pooledRandomBytes(VERIFIER_BYTES)
  return {
    token: Buffer.concat([selector, verifier]).toString('base64url'),
    verifier: verifier.toString('base64url'),
  }
}

/**
 * What a presented link token names: a code and its verifier, or, for a token of the first
 * format (links sent before selectors), the whole token, still found by its HMAC until those
 * links expire. Undefined for anything else, which can be no link of ours.
 */
export type PresentedLink = { codeId: string; verifier: string } | { firstFormatToken: string }

export function presentedLink(token: string): PresentedLink | undefined {
  if (!BASE64URL.test(token)) return undefined
  if (token.length === FIRST_FORMAT_LENGTH) return { firstFormatToken: token }
  if (token.length !== TOKEN_LENGTH) return undefined
  const bytes = Buffer.from(token, 'base64url')
  return {
    codeId: uuidOf(bytes.subarray(0, SELECTOR_BYTES)),
    verifier: bytes.subarray(SELECTOR_BYTES).toString('base64url'),
  }
}

/**
 * The stored form of a one-time secret: HMAC-SHA256 under the server key, never the secret.
 * A fast keyed hash is right for short-lived codes (a password hash would make bulk resets
 * take hours); the key keeps a stolen table from being brute-forced offline. A secret is bound
 * to what it was issued for: a one-time password to its user, so the same code issued to two
 * users stores differently and one user's code never matches another's; a link's verifier to
 * its code, so a verifier moved to another code's id matches nothing.
 */
export function secretHmac(key: Buffer, kind: 'link' | 'otp', secret: string, boundTo = ''): string {
  return createHmac('sha256', key)
    .update(`rekey-reset\u0000${kind}\u0000${boundTo}\u0000${secret}`, 'utf8')
    .digest('hex')
}

/** Constant-time comparison of two HMACs (hex): no timing signal about how much matched. */
export function sameHmac(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex')
  const right = Buffer.from(b, 'hex')
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right)
}
