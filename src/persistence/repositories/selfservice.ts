import { sql } from 'kysely'
import type { Executor } from '../executor.ts'
import type { SelfServiceCounterScope, SelfServiceFlowsTable } from '../tables.ts'

/** The later of the stored and the offered expiry: a row outlives every token of its flow. */
const laterExpiry = sql<number>`case when excluded.expires_at > selfservice_flows.expires_at then excluded.expires_at else selfservice_flows.expires_at end`

export interface FlowKey {
  id: string
  tenantId: string
  /** When the flow's newest token expires: the row is kept at least until then. */
  expiresAt: number
}

export interface CounterKey {
  tenantId: string
  scope: SelfServiceCounterScope
  subject: string
  windowStart: number
}

/**
 * What the store remembers of self-service flows (their state travels in tokens): failed
 * attempts and ends, and the fixed-window counters of the rate limits. Every count is one
 * upsert that returns the new value, so parallel requests on any instance count exactly.
 */
export const selfServiceRepository = {
  async flow(
    db: Executor,
    id: string,
  ): Promise<Pick<SelfServiceFlowsTable, 'attempts' | 'ended'> | undefined> {
    return db
      .selectFrom('selfservice_flows')
      .select(['attempts', 'ended'])
      .where('id', '=', id)
      .executeTakeFirst()
  },

  /** Counts one attempt of the flow and returns how many it has made. */
  async countAttempt(db: Executor, key: FlowKey): Promise<number> {
    const row = await db
      .insertInto('selfservice_flows')
      .values({ id: key.id, tenant_id: key.tenantId, attempts: 1, ended: null, expires_at: key.expiresAt })
      .onConflict((conflict) =>
        conflict.column('id').doUpdateSet({
          attempts: sql`selfservice_flows.attempts + 1`,
          expires_at: laterExpiry,
        }),
      )
      .returning('attempts')
      .executeTakeFirstOrThrow()
    return Number(row.attempts)
  },

  /**
   * Ends the flow unless it has already ended. True when this call ended it: of two requests
   * completing the same flow at once, exactly one gets true.
   */
  async end(db: Executor, key: FlowKey, ended: 'completed' | 'exhausted'): Promise<boolean> {
    const row = await db
      .insertInto('selfservice_flows')
      .values({ id: key.id, tenant_id: key.tenantId, attempts: 0, ended, expires_at: key.expiresAt })
      .onConflict((conflict) =>
        conflict
          .column('id')
          .doUpdateSet({ ended: sql`excluded.ended`, expires_at: laterExpiry })
          .where('selfservice_flows.ended', 'is', null),
      )
      .returning('id')
      .executeTakeFirst()
    return row !== undefined
  },

  /** Adds one to the counter and returns its new value. */
  async bump(db: Executor, key: CounterKey): Promise<number> {
    const row = await db
      .insertInto('selfservice_counters')
      .values({
        tenant_id: key.tenantId,
        scope: key.scope,
        subject: key.subject,
        window_start: key.windowStart,
        count: 1,
      })
      .onConflict((conflict) =>
        conflict
          .columns(['tenant_id', 'scope', 'subject', 'window_start'])
          .doUpdateSet({ count: sql`selfservice_counters.count + 1` }),
      )
      .returning('count')
      .executeTakeFirstOrThrow()
    return Number(row.count)
  },

  /** Takes one back from the counter (a reservation that was not used). */
  async unbump(db: Executor, key: CounterKey): Promise<void> {
    await db
      .updateTable('selfservice_counters')
      .set({ count: sql`count - 1` })
      .where('tenant_id', '=', key.tenantId)
      .where('scope', '=', key.scope)
      .where('subject', '=', key.subject)
      .where('window_start', '=', key.windowStart)
      .where('count', '>', 0)
      .execute()
  },

  /** Drops flows whose tokens have all expired and counters of windows that have passed. */
  async prune(db: Executor, now: number, oldestWindow: number): Promise<void> {
    await db.deleteFrom('selfservice_flows').where('expires_at', '<', now).execute()
    await db.deleteFrom('selfservice_counters').where('window_start', '<', oldestWindow).execute()
  },
}
