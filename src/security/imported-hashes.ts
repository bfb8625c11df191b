import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import { bcryptVerifier } from './bcrypt-verifier.ts'

const pbkdf2Async = promisify(pbkdf2)

/**
 * Hash formats accepted on import (users moved from another product keep their passwords
 * until their next sign-in, when the hash is upgraded to argon2id):
 * - bcrypt: `$2a$`, `$2b$`, `$2y$`
 * - PBKDF2-SHA256: `$pbkdf2-sha256$<rounds>$<salt>$<hash>` (adapted base64) or
 *   `pbkdf2_sha256$<rounds>$<salt>$<base64 hash>`
 * - salted SHA-256: `{SSHA256}<base64(sha256(password || salt) || salt)>`
 */
export type ImportedFormat = 'bcrypt' | 'pbkdf2-sha256' | 'pbkdf2-sha256-django' | 'ssha256'

// Bounds keep a hostile import from making one sign-in cost minutes of CPU.
const MAX_PBKDF2_ROUNDS = 5_000_000

export function detectImportedFormat(encoded: string): ImportedFormat | undefined {
  if (/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(encoded)) return 'bcrypt'
  if (/^\$pbkdf2-sha256\$\d+\$[./A-Za-z0-9]+\$[./A-Za-z0-9]+$/.test(encoded)) return 'pbkdf2-sha256'
  if (/^pbkdf2_sha256\$\d+\$[^$]+\$[A-Za-z0-9+/]+=*$/.test(encoded)) return 'pbkdf2-sha256-django'
  if (/^\{SSHA256\}[A-Za-z0-9+/]+=*$/.test(encoded)) {
    const raw = Buffer.from(encoded.slice('{SSHA256}'.length), 'base64')
    return raw.length > 32 ? 'ssha256' : undefined
  }
  return undefined
}

/** True when `encoded` is a format `verifyImportedHash` understands (argon2id aside). */
export function isSupportedImportedHash(encoded: string): boolean {
  const format = detectImportedFormat(encoded)
  if (format === 'pbkdf2-sha256' || format === 'pbkdf2-sha256-django') {
    const rounds = Number(encoded.split('$')[format === 'pbkdf2-sha256' ? 2 : 1])
    return rounds >= 1 && rounds <= MAX_PBKDF2_ROUNDS
  }
  return format !== undefined
}

function fromAdaptedBase64(value: string): Buffer {
  return Buffer.from(value.replaceAll('.', '+'), 'base64')
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

export async function verifyImportedHash(encoded: string, password: string): Promise<boolean> {
  if (!isSupportedImportedHash(encoded)) return false
  switch (detectImportedFormat(encoded)) {
    case 'bcrypt':
      return bcryptVerifier.verify(password, encoded)
    case 'pbkdf2-sha256': {
      const [, , rounds, salt, digest] = encoded.split('$')
      const expected = fromAdaptedBase64(digest ?? '')
      const actual = await pbkdf2Async(
        password,
        fromAdaptedBase64(salt ?? ''),
        Number(rounds),
        expected.length,
        'sha256',
      )
      return equal(actual, expected)
    }
    case 'pbkdf2-sha256-django': {
      const [, rounds, salt, digest] = encoded.split('$')
      const expected = Buffer.from(digest ?? '', 'base64')
      const actual = await pbkdf2Async(
        password,
        Buffer.from(salt ?? '', 'utf8'),
        Number(rounds),
        expected.length,
        'sha256',
      )
      return equal(actual, expected)
    }
    case 'ssha256': {
      const raw = Buffer.from(encoded.slice('{SSHA256}'.length), 'base64')
      const expected = raw.subarray(0, 32)
      const salt = raw.subarray(32)
      const actual = createHash('sha256').update(password, 'utf8').update(salt).digest()
      return equal(actual, expected)
    }
    default:
      return false
  }
}
