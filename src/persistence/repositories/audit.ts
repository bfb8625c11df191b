import { sql } from 'kysely'
import type { Executor } from '../executor.ts'
import { fixedQuery } from '../fixed-query.ts'
import { insertRows } from '../multi-row.ts'

export interface AuditRecord {
  tenantId: string | null
  occurredAt: number
  actor: string
  action: string
  target: string | null
  outcome: 'success' | 'failure'
  detail: Record<string, unknown>
  /** Where the request came from, when the event comes from one. */
  clientAddress?: string | null
}

/** A position in the log's order (newest first): the event a page ended with. */
export interface AuditPosition {
  occurredAt: number
  id: number
}

export interface AuditQuery {
  tenantId: string
  limit: number
  /** Exactly this action. */
  action?: string | undefined
  /** Actions starting with this text (`user.reset-` finds `user.reset-forced` and `user.reset-cancelled`). */
  actionPrefix?: string | undefined
  actor?: string | undefined
  /** Any one of these actors (`user:ann`, `anonymous:ann`, …): a name whatever its kind. */
  actors?: readonly string[] | undefined
  target?: string | undefined
  /** Any one of these targets: a user's id and the name typed for it, say. */
  targets?: readonly string[] | undefined
  outcome?: 'success' | 'failure' | undefined
  /** Events that occurred strictly before this time (epoch milliseconds). */
  before?: number | undefined
  /** Events that occurred strictly after this time (epoch milliseconds). */
  after?: number | undefined
  /** Events that come after this position, newest first: the next page of a walk through the log. */
  cursor?: AuditPosition | undefined
}

type AuditRow = Omit<AuditRecord, 'detail' | 'clientAddress'> & {
  detail: string
  clientAddress: string | null
}

const insertEvent = fixedQuery<AuditRow, never>((db, p) =>
  db.insertInto('audit_events').values({
    tenant_id: p('tenantId'),
    occurred_at: p('occurredAt'),
    actor: p('actor'),
    action: p('action'),
    target: p('target'),
    outcome: p('outcome'),
    detail: p('detail'),
    client_address: p('clientAddress'),
  }),
)

/** Bounded like `sessions.client_address`: the value comes from the request. */
const clientAddressOf = (record: AuditRecord) => record.clientAddress?.slice(0, 64) ?? null

export const auditRepository = {
  async insert(db: Executor, record: AuditRecord): Promise<void> {
    // Written out: a literal that spreads first is built in V8's slow path.
    await insertEvent(db, {
      tenantId: record.tenantId,
      occurredAt: record.occurredAt,
      actor: record.actor,
      action: record.action,
      target: record.target,
      outcome: record.outcome,
      detail: JSON.stringify(record.detail),
      clientAddress: clientAddressOf(record),
    })
  },
  async insertMany(db: Executor, records: readonly AuditRecord[]): Promise<void> {
    await insertRows(db, {
      table: 'audit_events',
      columns: [
        'tenant_id',
        'occurred_at',
        'actor',
        'action',
        'target',
        'outcome',
        'detail',
        'client_address',
      ],
      rows: records.map((record) => [
        record.tenantId,
        record.occurredAt,
        record.actor,
        record.action,
        record.target,
        record.outcome,
        JSON.stringify(record.detail),
        clientAddressOf(record),
      ]),
    })
  },
  /**
   * One tenant's events, newest first; ties in time are ordered by id, so (time, id) is a total
   * order and a page can resume exactly after the last event of the previous one.
   */
  list(db: Executor, query: AuditQuery) {
    let select = db.selectFrom('audit_events').selectAll().where('tenant_id', '=', query.tenantId)
    if (query.action) select = select.where('action', '=', query.action)
    if (query.actionPrefix) {
      // substr, not LIKE: LIKE would read `_` and `%` in the prefix as wildcards, and SQLite's
      // LIKE ignores letter case where PostgreSQL's does not. Both stores count characters.
      const prefix = query.actionPrefix
      select = select.where(sql<string>`substr(action, 1, ${[...prefix].length})`, '=', prefix)
    }
    if (query.actor) select = select.where('actor', '=', query.actor)
    if (query.actors?.length) select = select.where('actor', 'in', [...query.actors])
    if (query.target) select = select.where('target', '=', query.target)
    if (query.targets?.length) select = select.where('target', 'in', [...query.targets])
    if (query.outcome) select = select.where('outcome', '=', query.outcome)
    if (query.before !== undefined) select = select.where('occurred_at', '<', query.before)
    if (query.after !== undefined) select = select.where('occurred_at', '>', query.after)
    const cursor = query.cursor
    if (cursor)
      select = select.where((eb) =>
        eb.or([
          eb('occurred_at', '<', cursor.occurredAt),
          eb.and([eb('occurred_at', '=', cursor.occurredAt), eb('id', '<', cursor.id)]),
        ]),
      )
    return select.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute()
  },
}
