import type { Clock } from '../../domain/clock.ts'
import type { Executor } from '../../persistence/executor.ts'

/**
 * Per-tenant settings read on hot paths (every sign-in, every reset, every bulk batch) are
 * remembered for a few seconds. A change made in this process drops the entry at once; another
 * instance's change is seen within `ttlMs`.
 */
/** How long a remembered setting is used before it is read again. */
export const SETTING_CACHE_MS = 5_000

export class CachedSetting<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>()

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly load: (tenantId: string, db: Executor) => Promise<T>,
  ) {}

  /** `db` is the caller's transaction when there is one: on SQLite a read outside it would wait for it. */
  async get(tenantId: string, db: Executor): Promise<T> {
    const now = this.clock.now()
    const cached = this.entries.get(tenantId)
    if (cached && cached.expiresAt > now) return cached.value
    const value = await this.load(tenantId, db)
    this.entries.set(tenantId, { value, expiresAt: now + this.ttlMs })
    return value
  }

  forget(tenantId: string): void {
    this.entries.delete(tenantId)
  }
}
