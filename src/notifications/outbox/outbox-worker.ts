import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import type { Config } from '../../config/schema.ts'
import type { Clock } from '../../domain/clock.ts'
import { type AuditLog, systemActor } from '../../observability/audit.ts'
import type { Metrics } from '../../observability/metrics.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import {
  type AttemptRecord,
  type OutboxRow,
  outboxRepository,
  type SentMessage,
} from '../../persistence/repositories/outbox.ts'
import type { DeliveryRouter } from '../delivery-router.ts'
import type { BodyOpener, Notifier, OpenedBody } from '../notifier.ts'
import type { SendOutcome } from '../smtp/index.ts'
import type { DeliveryPriority } from './delivery-priority.ts'
import { logMailboxDelivery, MAILBOX_RESPONSE } from './mailbox.ts'
import { retryDelayMs } from './retry-delay.ts'

/** Purging delivered and dead messages past retention is cheap, but needs no hurry. */
const PURGE_EVERY_MS = 10 * 60_000
/**
 * A nudge can come before the enqueuing transaction commits (on PostgreSQL it usually does:
 * the commit is still a round trip away), and the look it triggers then finds nothing. After a
 * nudge the worker looks again after this long, doubling, until the poll interval takes over.
 */
const NUDGE_FOLLOW_UP_MS = 5
/**
 * Messages queued one request at a time (SCIM PATCHes forcing resets, say) are gathered this
 * long before a look: each look leases, reads templates and records outcomes in statements of
 * their own, which cost about as much for one message as for dozens. Mail waits at most this
 * much longer; a full batch is leased at once.
 */
const NUDGE_LINGER_MS = 25
/**
 * Batches a worker keeps going at once, `batch_size` split between them. While a batch's
 * outcomes are recorded and the next batch is leased, the relay connections would otherwise
 * have nothing to send (about a tenth of the time with one lane); the other lane's batch keeps
 * them busy.
 */
const LANES = 2

/** The mailbox keeps the body it delivered (Notifier.sealDelivered). */
type Delivery = SendOutcome | { kind: 'mailbox'; body: OpenedBody }

interface Settlement {
  message: OutboxRow
  delivery: Delivery
}

/**
 * Delivers the outbox: leases due messages, sends each through its tenant's route, and records
 * the outcomes. At-least-once: a worker that dies after sending but before recording leaves the
 * message to be sent again when its lease ends; the Message-ID (the message id) lets receiving
 * systems recognise the repeat. Every attempt is recorded; temporary failures come back with
 * exponential backoff and jitter; a permanent rejection or the last allowed attempt makes the
 * message `dead` with its reason kept.
 *
 * A batch's outcomes are recorded together, in one transaction, once each of its messages has
 * been tried: a commit and two statements per batch instead of a transaction per message (on
 * PostgreSQL four round trips each, queued for the pool's connections). The price is a wider
 * window for the repeat above: a worker dying mid-batch sends the batch's delivered messages
 * again.
 */
export class OutboxWorker {
  readonly id = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString('hex')}`
  private running = false
  /** Ends the wait of each sleeping lane. */
  private readonly wakers = new Set<() => void>()
  /** A message was queued by this process since the last look began. */
  private nudged = false
  private loop: Promise<void> | undefined
  private lastPurge = 0
  private unsubscribe: (() => void) | undefined
  private priority: DeliveryPriority | undefined
  private unsubscribePriority: (() => void) | undefined
  /** Pending wake-up of the lanes after messages were queued (NUDGE_LINGER_MS). */
  private lingering: NodeJS.Timeout | undefined

  constructor(
    private readonly db: Executor,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly notifier: Notifier,
    private readonly router: DeliveryRouter,
    private readonly audit: AuditLog,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /**
   * Makes this worker's lanes wait while `priority` is busy (see DeliveryPriority). The
   * container sets it on both stores: until a bulk job's last batch commits some old passwords
   * still work, and the worker's sending would take the cores the batches need (on the
   * embedded store a batch also holds the event loop and the one connection; on PostgreSQL
   * batches run side by side and keep the server's cores busy).
   */
  deferTo(priority: DeliveryPriority): void {
    this.priority = priority
  }

  /** Runs until `stop`: a batch whenever messages are due, else a poll (or a nudge). */
  start(): void {
    if (this.running) return
    this.running = true
    this.unsubscribe = this.notifier.onQueued(() => {
      // Kept when it comes during a batch, so the worker looks again instead of sleeping.
      this.nudged = true
      this.lingering ??= setTimeout(() => {
        this.lingering = undefined
        this.wakeAll()
      }, NUDGE_LINGER_MS)
    })
    this.unsubscribePriority = this.priority?.onIdle(() => this.wakeAll())
    this.loop = this.run()
  }

  async stop(): Promise<void> {
    this.running = false
    this.unsubscribe?.()
    this.unsubscribePriority?.()
    clearTimeout(this.lingering)
    this.lingering = undefined
    this.wakeAll()
    await this.loop
  }

  /** Leases and delivers one batch of at most `limit` messages; the number of messages leased. */
  async runOnce(limit = this.config.notifications.batch_size): Promise<number> {
    const now = this.clock.now()
    const { lease_seconds } = this.config.notifications
    // The templates are read in the leasing transaction: on the embedded store a read of its
    // own would queue behind whatever transaction runs (a bulk reset's batch), idling the relay.
    const { leased, open } = await inTransaction(this.db, async (trx) => {
      const rows = await outboxRepository.lease(trx, this.id, now, now + lease_seconds * 1000, limit)
      return { leased: rows, open: await this.notifier.bodiesFor(trx, rows) }
    })
    const settlements: Settlement[] = []
    await forEachConcurrently(leased, this.concurrency(), async (message) => {
      settlements.push({ message, delivery: await this.deliver(message, open) })
    })
    await this.settle(settlements)
    if (now - this.lastPurge > PURGE_EVERY_MS) await this.purge(now)
    return leased.length
  }

  /** Delivers until nothing is due (the CLI's `outbox work --until-empty`, tests). */
  async drain(): Promise<number> {
    const lane = async (size: number) => {
      let total = 0
      for (let leased = await this.runOnce(size); leased > 0; leased = await this.runOnce(size))
        total += leased
      return total
    }
    const totals = await Promise.all(this.laneSizes().map(lane))
    return totals.reduce((sum, total) => sum + total, 0)
  }

  private async run(): Promise<void> {
    await Promise.all(this.laneSizes().map((size) => this.lane(size)))
  }

  /** `batch_size` split between the lanes, so that a worker never holds more leases than that. */
  private laneSizes(): number[] {
    const { batch_size } = this.config.notifications
    const lanes = Math.min(LANES, batch_size)
    return Array.from(
      { length: lanes },
      (_, index) => Math.floor(batch_size / lanes) + (index < batch_size % lanes ? 1 : 0),
    )
  }

  private async lane(size: number): Promise<void> {
    const pollMs = this.config.notifications.poll_interval_ms
    let followUpMs = 0
    while (this.running) {
      if (this.priority?.busy) {
        // Woken when the priority work ends; the poll is a safety net.
        await this.sleep(pollMs)
        continue
      }
      const nudged = this.nudged
      this.nudged = false
      let leased = 0
      try {
        leased = await this.runOnce(size)
      } catch (error) {
        // The store may be away for a moment; the next poll tries again.
        this.logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          'outbox batch failed',
        )
      }
      if (leased >= size || !this.running) continue
      // More was queued meanwhile: gather it rather than lease it a few messages at a time.
      if (this.nudged) {
        await this.sleep(NUDGE_LINGER_MS)
        continue
      }
      followUpMs = nudged ? NUDGE_FOLLOW_UP_MS : followUpMs * 2
      if (followUpMs >= pollMs) followUpMs = 0
      await this.sleep(followUpMs || pollMs)
    }
  }

  /** Waits `ms`, or less when woken. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.wakers.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.wakers.add(wake)
    })
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake()
  }

  /** Enough messages in flight to keep every pooled connection busy. */
  private concurrency(): number {
    return Math.max(8, this.config.notifications.batch_size)
  }

  private async deliver(message: OutboxRow, open: BodyOpener): Promise<Delivery> {
    try {
      return await this.attempt(message, open)
    } catch (error) {
      // A route that cannot be built (unusable tenant SMTP settings) or a store hiccup: the
      // message stays queued and is tried again, with the reason on record.
      return { kind: 'temporary', reason: error instanceof Error ? error.message : String(error) }
    }
  }

  private async attempt(message: OutboxRow, open: BodyOpener): Promise<Delivery> {
    const body = open(message)
    if (!body)
      return {
        kind: 'permanent',
        reason: 'the message body cannot be opened with this server key, or its type is unknown',
      }
    const route = await this.router.routeFor(message.tenant_id)
    if (route.kind === 'mailbox') {
      logMailboxDelivery(this.logger, message)
      return { kind: 'mailbox', body }
    }
    return route.transport.send({
      to: message.recipient,
      subject: message.subject,
      html: body.html,
      text: body.text,
      messageId: `${message.id}@rekey`,
    })
  }

  /** Records a batch's outcomes in one transaction; see the class comment. */
  private async settle(settlements: readonly Settlement[]): Promise<void> {
    if (settlements.length === 0) return
    const now = this.clock.now()
    const worker = this.id
    await inTransaction(this.db, async (trx) => {
      const sent = { smtp: [] as SentMessage[], mailbox: [] as SentMessage[] }
      const attempts: AttemptRecord[] = []
      for (const { message, delivery } of settlements) {
        const attempt = { message_id: message.id, attempted_at: now, worker }
        switch (delivery.kind) {
          case 'sent':
            sent.smtp.push({ id: message.id, response: delivery.response })
            attempts.push({ ...attempt, outcome: 'sent', detail: delivery.response })
            break
          case 'mailbox':
            sent.mailbox.push({
              id: message.id,
              response: MAILBOX_RESPONSE,
              body: this.notifier.sealDelivered(message.id, delivery.body),
            })
            attempts.push({ ...attempt, outcome: 'mailbox', detail: MAILBOX_RESPONSE })
            break
          case 'temporary':
            await this.retryOrGiveUp(trx, message, now, delivery.reason)
            attempts.push({ ...attempt, outcome: 'temporary', detail: delivery.reason })
            break
          case 'permanent':
            await this.markDead(trx, message, now, delivery.reason)
            attempts.push({ ...attempt, outcome: 'permanent', detail: delivery.reason })
        }
      }
      for (const transport of ['smtp', 'mailbox'] as const) {
        if (sent[transport].length === 0) continue
        await outboxRepository.markSentMany(trx, { worker, now, transport, sent: sent[transport] })
        this.metrics.outboxSent.inc({ transport }, sent[transport].length)
      }
      await outboxRepository.recordAttempts(trx, attempts)
    })
  }

  private async retryOrGiveUp(trx: Executor, message: OutboxRow, now: number, reason: string): Promise<void> {
    const { max_attempts, retry_base_seconds, retry_max_seconds } = this.config.notifications
    if (message.attempts >= max_attempts) {
      await this.markDead(trx, message, now, `gave up after ${message.attempts} attempts; last: ${reason}`)
      return
    }
    const next = now + retryDelayMs(message.attempts, retry_base_seconds * 1000, retry_max_seconds * 1000)
    await outboxRepository.markRetry(trx, { id: message.id, worker: this.id, now, next, error: reason })
    this.metrics.outboxRetried.inc()
  }

  private async markDead(trx: Executor, message: OutboxRow, now: number, reason: string): Promise<void> {
    const marked = await outboxRepository.markDead(trx, {
      id: message.id,
      worker: this.id,
      now,
      error: reason,
    })
    if (!marked) return
    this.metrics.outboxDead.inc()
    this.logger.warn(
      { messageId: message.id, to: message.recipient, type: message.type, reason },
      'message dead',
    )
    await this.audit.record(trx, {
      tenantId: message.tenant_id,
      actor: systemActor,
      action: 'notification.dead',
      target: message.id,
      outcome: 'failure',
      detail: { type: message.type, recipient: message.recipient, reason },
    })
  }

  private async purge(now: number): Promise<void> {
    this.lastPurge = now
    const cutoff = now - this.config.notifications.mailbox_retention_hours * 3_600_000
    const removed = await outboxRepository.purge(this.db, cutoff)
    if (removed > 0) this.logger.info({ removed }, 'delivered and dead messages past retention removed')
  }
}

async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!
      await work(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
}
