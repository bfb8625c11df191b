import { sql } from 'kysely'
import { isPostgres } from '../dialect.ts'
import type { Executor } from '../executor.ts'
import { fixedQuery } from '../fixed-query.ts'
import { insertRows } from '../multi-row.ts'
import type { OutboxAttemptsTable, OutboxMessagesTable, OutboxStatus, OutboxTransport } from '../tables.ts'

export type OutboxRow = OutboxMessagesTable
export type OutboxAttemptRow = Omit<OutboxAttemptsTable, 'id'> & { id: number }
export type AttemptRecord = Omit<OutboxAttemptsTable, 'id'>

/** A message the relay (or the mailbox) took, with the relay's answer. */
export interface SentMessage {
  id: string
  response: string
  /** What the built-in mailbox keeps of the message (sealed); the relay's messages keep nothing. */
  body?: string
}

/** Messages per statement of the batch writes: far below either engine's limit on bound values. */
const ROWS_PER_STATEMENT = 500

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = []
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size))
  return result
}

export interface OutboxListQuery {
  tenantId: string
  status?: OutboxStatus | undefined
  transport?: OutboxTransport | undefined
  recipient?: string | undefined
  /** A template type (`AdminForcedPasswordReset`, …). */
  type?: string | undefined
  limit: number
  /** Messages created before this time (paging, newest first). */
  before?: number | undefined
  /**
   * With `before`: also the messages created at exactly `before` whose id sorts below this one.
   * A bulk reset queues thousands of messages in one millisecond; paging by time alone would
   * skip the rest of them at a page boundary.
   */
  beforeId?: string | undefined
}

/** Every status, for listings that ask for none. */
const STATUSES: readonly OutboxStatus[] = ['queued', 'sent', 'dead']

/** Newest first, as listings show them: creation time, then id. */
function newestFirst(a: OutboxRow, b: OutboxRow): number {
  return Number(b.created_at) - Number(a.created_at) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}

const insertAttempt = fixedQuery<Omit<OutboxAttemptsTable, 'id'>, never>((db, p) =>
  db.insertInto('outbox_attempts').values({
    message_id: p('message_id'),
    attempted_at: p('attempted_at'),
    worker: p('worker'),
    outcome: p('outcome'),
    detail: p('detail'),
  }),
)

const markRetry = fixedQuery<{ id: string; worker: string; now: number; next: number; error: string }, never>(
  (db, p) =>
    db
      .updateTable('outbox_messages')
      .set({
        next_attempt_at: p('next'),
        updated_at: p('now'),
        last_error: p('error'),
        lease_owner: sql<null>`null`,
        lease_expires_at: sql<null>`null`,
      })
      .where('id', '=', p('id'))
      .where('lease_owner', '=', p('worker')),
)

const markDead = fixedQuery<{ id: string; worker: string; now: number; error: string }, never>((db, p) =>
  db
    .updateTable('outbox_messages')
    .set({
      status: sql<'dead'>`'dead'`,
      updated_at: p('now'),
      last_error: p('error'),
      lease_owner: sql<null>`null`,
      lease_expires_at: sql<null>`null`,
    })
    .where('id', '=', p('id'))
    .where('lease_owner', '=', p('worker')),
)

/** What a message is about; the rest of a newly queued row is the same for every message. */
export type MessageContent = Pick<
  OutboxRow,
  | 'id'
  | 'tenant_id'
  | 'idempotency_key'
  | 'type'
  | 'locale'
  | 'recipient'
  | 'user_id'
  | 'subject'
  | 'body_sealed'
>

/**
 * A message queued at `now`: due at once, no attempt made, no lease. Written out property by
 * property: spreading `content` into the twenty columns made the slowest step of queuing a bulk
 * job's 100,000 messages (about 10 µs a row).
 */
export function queuedRow(content: MessageContent, now: number): OutboxRow {
  return {
    id: content.id,
    tenant_id: content.tenant_id,
    idempotency_key: content.idempotency_key,
    type: content.type,
    locale: content.locale,
    recipient: content.recipient,
    user_id: content.user_id,
    subject: content.subject,
    body_sealed: content.body_sealed,
    status: 'queued',
    transport: null,
    attempts: 0,
    next_attempt_at: now,
    lease_owner: null,
    lease_expires_at: null,
    last_error: null,
    smtp_response: null,
    created_at: now,
    updated_at: now,
    sent_at: null,
  }
}

/**
 * A message the built-in mailbox took at `now`, as it is written: sent, with the one attempt
 * that delivered it and the mailbox's answer (see Notifier's `mailboxNow`).
 */
export function deliveredToMailboxRow(content: MessageContent, now: number, response: string): OutboxRow {
  const row = queuedRow(content, now)
  row.status = 'sent'
  row.transport = 'mailbox'
  row.attempts = 1
  row.smtp_response = response
  row.sent_at = now
  return row
}

const ATTEMPT_COLUMNS: ReadonlyArray<keyof AttemptRecord> = [
  'message_id',
  'attempted_at',
  'worker',
  'outcome',
  'detail',
]

/** Every column of a message, for the multi-row insert. */
const OUTBOX_COLUMNS: ReadonlyArray<keyof OutboxRow> = [
  'id',
  'tenant_id',
  'idempotency_key',
  'type',
  'locale',
  'recipient',
  'user_id',
  'subject',
  'body_sealed',
  'status',
  'transport',
  'attempts',
  'next_attempt_at',
  'lease_owner',
  'lease_expires_at',
  'last_error',
  'smtp_response',
  'created_at',
  'updated_at',
  'sent_at',
]

export const outboxRepository = {
  /** Inserts a message unless one with the same idempotency key exists; true when inserted. */
  async insert(db: Executor, row: OutboxRow): Promise<boolean> {
    const result = await db
      .insertInto('outbox_messages')
      .values(row)
      .onConflict((conflict) => conflict.columns(['tenant_id', 'idempotency_key']).doNothing())
      .executeTakeFirst()
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
  },

  /**
   * Inserts many messages with few statements, skipping those whose idempotency key exists;
   * the ids of the messages inserted.
   */
  async insertMany(db: Executor, rows: readonly OutboxRow[]): Promise<Set<string>> {
    const columns = OUTBOX_COLUMNS
    const inserted = await insertRows<{ id: string }>(db, {
      table: 'outbox_messages',
      columns,
      rows: rows.map((row) => columns.map((column) => row[column])),
      suffix: 'on conflict (tenant_id, idempotency_key) do nothing returning id',
    })
    return new Set(inserted.map((row) => row.id))
  },

  /**
   * Takes up to `limit` due messages for `worker` until `leaseUntil`: queued, due, and not
   * leased by a worker whose lease still runs. On PostgreSQL, SKIP LOCKED lets several
   * instances lease at once without waiting for or taking each other's rows; SQLite has one
   * writer, which serialises leases by itself. Each lease counts as an attempt, so a message
   * that crashes its worker every time still runs out of attempts.
   */
  async lease(
    db: Executor,
    worker: string,
    now: number,
    leaseUntil: number,
    limit: number,
  ): Promise<OutboxRow[]> {
    const lock = isPostgres(db) ? sql`for update skip locked` : sql``
    const { rows } = await sql<OutboxRow>`
      update outbox_messages
      set lease_owner = ${worker}, lease_expires_at = ${leaseUntil}, attempts = attempts + 1, updated_at = ${now}
      where id in (
        select id from outbox_messages
        where status = 'queued' and next_attempt_at <= ${now}
          and (lease_expires_at is null or lease_expires_at <= ${now})
        order by next_attempt_at, id
        limit ${limit}
        ${lock}
      )
      returning *`.execute(db)
    return rows
  },

  async markSent(
    db: Executor,
    outcome: { id: string; worker: string; now: number; transport: OutboxTransport; response: string },
  ): Promise<boolean> {
    const { id, response, ...rest } = outcome
    return (await outboxRepository.markSentMany(db, { ...rest, sent: [{ id, response }] })) > 0
  },
  /**
   * Marks messages sent, each with the relay's answer, if `worker` still holds their lease; one
   * statement per ROWS_PER_STATEMENT messages. Returns how many were marked.
   */
  async markSentMany(
    db: Executor,
    outcome: { worker: string; now: number; transport: OutboxTransport; sent: readonly SentMessage[] },
  ): Promise<number> {
    let marked = 0
    for (const chunk of chunks(outcome.sent, ROWS_PER_STATEMENT)) {
      const responses = sql.join(
        chunk.map((message) => sql`when ${message.id} then ${message.response}`),
        sql` `,
      )
      // Bodies carry links and codes: erased once a relay took the message. The built-in
      // mailbox keeps them, as delivered, since reading them there is its purpose.
      const kept = chunk.filter((message) => message.body !== undefined)
      const body =
        outcome.transport === 'smtp'
          ? sql`null`
          : kept.length === 0
            ? sql`body_sealed`
            : sql`case id ${sql.join(
                kept.map((message) => sql`when ${message.id} then ${message.body}`),
                sql` `,
              )} else body_sealed end`
      const { numAffectedRows } = await sql`
        update outbox_messages
        set status = 'sent', transport = ${outcome.transport}, sent_at = ${outcome.now},
          updated_at = ${outcome.now}, smtp_response = case id ${responses} end, last_error = null,
          lease_owner = null, lease_expires_at = null, body_sealed = ${body}
        where id in (${sql.join(chunk.map((message) => message.id))}) and lease_owner = ${outcome.worker}`.execute(
        db,
      )
      marked += Number(numAffectedRows ?? 0)
    }
    return marked
  },
  async markRetry(
    db: Executor,
    outcome: { id: string; worker: string; now: number; next: number; error: string },
  ): Promise<boolean> {
    const { numAffectedRows } = await markRetry(db, outcome)
    return Number(numAffectedRows ?? 0) > 0
  },
  async markDead(
    db: Executor,
    outcome: { id: string; worker: string; now: number; error: string },
  ): Promise<boolean> {
    const { numAffectedRows } = await markDead(db, outcome)
    return Number(numAffectedRows ?? 0) > 0
  },
  async recordAttempt(db: Executor, attempt: AttemptRecord): Promise<void> {
    await insertAttempt(db, attempt)
  },
  /** `recordAttempt` for many, in as few statements as the engine's limits allow. */
  async recordAttempts(db: Executor, attempts: readonly AttemptRecord[]): Promise<void> {
    await insertRows(db, {
      table: 'outbox_attempts',
      columns: ATTEMPT_COLUMNS,
      rows: attempts.map((attempt) => ATTEMPT_COLUMNS.map((column) => attempt[column])),
    })
  },

  find(db: Executor, tenantId: string, id: string): Promise<OutboxRow | undefined> {
    return db
      .selectFrom('outbox_messages')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
  },
  /**
   * A page of a tenant's messages, newest first. The index (tenant_id, status, created_at) gives
   * each status in order; a listing of every status reads a page of each and merges them, since
   * one query over all of them would sort the tenant's whole outbox for every page.
   */
  async list(db: Executor, query: OutboxListQuery): Promise<OutboxRow[]> {
    if (query.status) return outboxRepository.listOfStatus(db, query, query.status)
    const pages = await Promise.all(
      STATUSES.map((status) => outboxRepository.listOfStatus(db, query, status)),
    )
    return pages.flat().sort(newestFirst).slice(0, query.limit)
  },
  listOfStatus(db: Executor, query: OutboxListQuery, status: OutboxStatus): Promise<OutboxRow[]> {
    let select = db
      .selectFrom('outbox_messages')
      .selectAll()
      .where('tenant_id', '=', query.tenantId)
      .where('status', '=', status)
    if (query.transport) select = select.where('transport', '=', query.transport)
    if (query.recipient) select = select.where('recipient', '=', query.recipient)
    if (query.type) select = select.where('type', '=', query.type)
    const { before, beforeId } = query
    if (before !== undefined && beforeId !== undefined)
      select = select
        .where('created_at', '<=', before)
        .where((eb) => eb.or([eb('created_at', '<', before), eb('id', '<', beforeId)]))
    else if (before !== undefined) select = select.where('created_at', '<', before)
    return select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute()
  },
  async attempts(db: Executor, messageId: string): Promise<OutboxAttemptRow[]> {
    const rows = await db
      .selectFrom('outbox_attempts')
      .selectAll()
      .where('message_id', '=', messageId)
      .orderBy('attempted_at')
      .orderBy('id')
      .execute()
    return rows.map((row) => ({ ...row, id: Number(row.id) }))
  },
  async countByStatus(db: Executor, tenantId: string): Promise<Record<OutboxStatus, number>> {
    const rows = await db
      .selectFrom('outbox_messages')
      .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
      .where('tenant_id', '=', tenantId)
      .groupBy('status')
      .execute()
    const counts: Record<OutboxStatus, number> = { queued: 0, sent: 0, dead: 0 }
    for (const row of rows) counts[row.status] = Number(row.count)
    return counts
  },
  /** Back in the queue, due now, with a fresh attempt budget; false when not resendable. */
  async requeue(db: Executor, tenantId: string, id: string, now: number): Promise<boolean> {
    const result = await db
      .updateTable('outbox_messages')
      .set({
        status: 'queued',
        attempts: 0,
        next_attempt_at: now,
        updated_at: now,
        last_error: null,
        lease_owner: null,
        lease_expires_at: null,
        sent_at: null,
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('body_sealed', 'is not', null)
      .where('status', '<>', 'queued')
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  },
  /** Removes delivered and dead messages last changed before `olderThan`. */
  async purge(db: Executor, olderThan: number): Promise<number> {
    const result = await db
      .deleteFrom('outbox_messages')
      .where('status', 'in', ['sent', 'dead'])
      .where('updated_at', '<', olderThan)
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  },
}
