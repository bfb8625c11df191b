import { createHash, createHmac } from 'node:crypto'
import type { Clock } from '../domain/clock.ts'

interface Entry {
  userId: string
  credentialFingerprint: string
  expiresAt: number
}

/**
 * Remembers successful HTTP Basic verifications so a burst of API calls costs one argon2 run,
 * not one per call. Keys are an HMAC of (tenant, user name, password) under a per-process
 * random key: the plain password is never held, and a memory dump does not give an offline
 * oracle without the key.
 *
 * Invalidation: every hit is confirmed against a fingerprint of the stored hash, which the
 * caller reads from the store on each request anyway; a password changed on any instance
 * therefore misses at once. Local password writes also drop the user's entries eagerly.
 */
export class BasicAuthCache {
  private readonly entries = new Map<string, Entry>()
  private readonly key: Buffer

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    key: Buffer,
  ) {
    this.key = key
  }

  static fingerprint(encodedHash: string): string {
    return createHash('sha256').update(encodedHash).digest('base64url')
  }

  private keyOf(tenantId: string, userName: string, password: string): string {
    return createHmac('sha256', this.key)
      .update(tenantId)
      .update('\0')
      .update(userName)
      .update('\0')
      .update(password)
      .digest('base64url')
  }

  lookup(
    tenantId: string,
    userName: string,
    password: string,
  ): { key: string; userId?: string; fingerprint?: string } {
    const key = this.keyOf(tenantId, userName, password)
    if (this.ttlMs === 0) return { key }
    const entry = this.entries.get(key)
    if (!entry) return { key }
    if (entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key)
      return { key }
    }
    return { key, userId: entry.userId, fingerprint: entry.credentialFingerprint }
  }

  remember(key: string, userId: string, credentialFingerprint: string): void {
    if (this.ttlMs === 0) return
    if (this.entries.size >= this.maxEntries) {
      // Oldest insertion first: Map preserves insertion order.
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
    this.entries.set(key, { userId, credentialFingerprint, expiresAt: this.clock.now() + this.ttlMs })
  }

  forget(key: string): void {
    this.entries.delete(key)
  }

  invalidateUser(userId: string): void {
    for (const [key, entry] of this.entries) if (entry.userId === userId) this.entries.delete(key)
  }

  get size(): number {
    return this.entries.size
  }
}
