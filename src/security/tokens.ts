import { createHash, randomBytes, randomUUID } from 'node:crypto'

/**
 * Bearer secrets: 256 random bits with a readable prefix (so leaked values are recognisable by
 * secret scanners). Only the SHA-256 of a value is stored: a fast hash is right here because
 * the value has full entropy and cannot be guessed, unlike a password.
 */
export function newBearerSecret(prefix: 'rks' | 'rkt'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`
}

export function hashBearerSecret(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex')
}

export function newId(): string {
  return randomUUID()
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Whether a path value can be an id at all: anything else is not looked up. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value)
}

const passwordAlphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'

/** A generated password: 24 characters from 56 symbols (about 139 bits). */
export function generatePassword(length = 24): string {
  const out: string[] = []
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // Rejection sampling keeps every symbol equally likely.
      if (byte < 224 && out.length < length) out.push(passwordAlphabet[byte % passwordAlphabet.length]!)
    }
  }
  return out.join('')
}
