import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto'
import { pooledRandomBytes } from './random-pool.ts'

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * Authenticated encryption (AES-256-GCM) of values an administrator or a worker must read back
 * but a copy of the database must not reveal: queued message bodies carrying reset links and
 * one-time codes, relay passwords. Each purpose gets its own key, derived from the server
 * secret with HKDF, so a value sealed for one purpose never opens as another. The context
 * (a row id) is authenticated too: a sealed value moved to another row does not open.
 */
export class SealedBox {
  private readonly key: Buffer

  constructor(secret: Buffer, purpose: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `rekey sealed-box ${purpose}`, 32))
  }

  seal(plaintext: string, context: string): string {
    const iv = pooledRandomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    cipher.setAAD(Buffer.from(context, 'utf8'))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
    return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`
  }

  /** The plaintext, or undefined when the value was not sealed by this box for this context. */
  open(sealed: string, context: string): string | undefined {
    const [version, iv, body] = sealed.split('.')
    if (version !== VERSION || !iv || !body) return undefined
    const ivBytes = Buffer.from(iv, 'base64url')
    const bodyBytes = Buffer.from(body, 'base64url')
    if (ivBytes.length !== IV_BYTES || bodyBytes.length < TAG_BYTES) return undefined
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, ivBytes)
      decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(bodyBytes.subarray(bodyBytes.length - TAG_BYTES))
      const plain = Buffer.concat([
        decipher.update(bodyBytes.subarray(0, bodyBytes.length - TAG_BYTES)),
        decipher.final(),
      ])
      return plain.toString('utf8')
    } catch {
      return undefined
    }
  }
}
