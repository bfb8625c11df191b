import { randomFillSync } from 'node:crypto'

const POOL_BYTES = 16 * 1024

/**
 * Cryptographically secure random bytes, drawn from the CSPRNG in blocks. A call to
 * `randomBytes` for a dozen bytes costs about as much as one for kilobytes; bulk work asks for
 * a few bytes per user (an IV, a one-time password, an id), hundreds of thousands of times.
 * Each byte is handed out once: the block is refilled, never reread.
 */
class RandomPool {
  private readonly block = Buffer.alloc(POOL_BYTES)
  private offset = POOL_BYTES

  /** `size` fresh random bytes, in a buffer of their own. */
  take(size: number): Buffer {
    if (size > POOL_BYTES) return randomFillSync(Buffer.alloc(size))
    if (this.offset + size > POOL_BYTES) {
      randomFillSync(this.block)
      this.offset = 0
    }
    const bytes = Buffer.from(this.block.subarray(this.offset, this.offset + size))
    this.offset += size
    return bytes
  }
}

export const randomPool = new RandomPool()

/** `randomBytes` with the pool behind it. */
export const pooledRandomBytes = (size: number): Buffer => randomPool.take(size)
