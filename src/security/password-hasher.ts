import { hash as argon2Hash, verify as argon2Verify, parseOptions } from '@node-rs/argon2'
import { verifyImportedHash } from './imported-hashes.ts'

export interface Argon2Parameters {
  memoryKib: number
  iterations: number
  parallelism: number
}

export interface VerifyResult {
  ok: boolean
  /** True when the stored hash should be replaced by one with the current parameters. */
  needsRehash: boolean
}

// Algorithm.Argon2id in @node-rs/argon2 (an ambient const enum, so spelled as its value).
const ARGON2ID = 2

export function isArgon2id(encoded: string): boolean {
  return encoded.startsWith('$argon2id$')
}

/**
 * Hashes and verifies passwords. Both run on libuv's thread pool (the native module's async
 * API), never on the event loop, so a burst of sign-ins does not stall other requests.
 */
export class PasswordHasher {
  readonly parameters: Argon2Parameters
  private dummyHash: Promise<string> | undefined

  constructor(parameters: Argon2Parameters) {
    this.parameters = parameters
  }

  hash(password: string): Promise<string> {
    return argon2Hash(password, {
      algorithm: ARGON2ID,
      memoryCost: this.parameters.memoryKib,
      timeCost: this.parameters.iterations,
      parallelism: this.parameters.parallelism,
    })
  }

  async verify(encoded: string, password: string): Promise<VerifyResult> {
    if (isArgon2id(encoded)) {
      const ok = await argon2Verify(encoded, password).catch(() => false)
      return { ok, needsRehash: ok && !this.hasCurrentParameters(encoded) }
    }
    const ok = await verifyImportedHash(encoded, password)
    return { ok, needsRehash: ok }
  }

  /**
   * Spends the same work as a real verification against a hash of a random password, so that
   * an unknown user name answers in the same time as a wrong password (no user enumeration).
   */
  async verifyDummy(password: string): Promise<void> {
    this.dummyHash ??= this.hash(`dummy-${Math.random()}-${Date.now()}`)
    await argon2Verify(await this.dummyHash, password).catch(() => false)
  }

  hasCurrentParameters(encoded: string): boolean {
    try {
      const options = parseOptions(encoded)
      return (
        options.memoryCost === this.parameters.memoryKib &&
        options.timeCost === this.parameters.iterations &&
        options.parallelism === this.parameters.parallelism
      )
    } catch {
      return false
    }
  }
}
