import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import type { Config } from '../../config/schema.ts'
import type { Clock } from '../../domain/clock.ts'
import { type AuditLog, systemActor } from '../../observability/audit.ts'
import type { Metrics } from '../../observability/metrics.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import { type OutboxRow, outboxRepository } from '../../persistence/repositories/outbox.ts'
import type { DeliveryRouter } from '../delivery-router.ts'
import type { Notifier } from '../notifier.ts'
import type { SendOutcome } from '../smtp/index.ts'
import { retryDelayMs } from './retry-delay.ts'

/** Purging delivered and dead messages past retention is cheap, but needs no hurry. */
const PURGE_EVERY_MS = 10 * 60_000

type Delivery = SendOutcome | { kind: 'mailbox' }

/**
 * Delivers the outbox: leases due messages, sends each through its tenant's route, and records
 * the outcome. At-least-once: a worker that dies after sending but before recording leaves the
 * message to be sent again when its lease ends; the Message-ID (the message id) lets receiving
 * systems recognise the repeat. Every attempt is recorded; temporary failures come back with
 * exponential backoff and jitter; a permanent rejection or the last allowed attempt makes the
 * message `dead` with its reason kept.
 */
export class OutboxWorker {
  readonly id = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString('hex')}`
  private running = false
  private wake: (() => void) | undefined
  private loop: Promise<void> | undefined
  private lastPurge = 0
  private unsubscribe: (() => void) | undefined

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

  /** Runs until `stop`: a batch whenever messages are due, else a poll (or a nudge). */
  start(): void {
    if (this.running) return
    this.running = true
    this.unsubscribe = this.notifier.onQueued(() => this.wake?.())
    this.loop = this.run()
  }

  async stop(): Promise<void> {
    this.running = false
    this.unsubscribe?.()
    this.wake?.()
    await this.loop
  }

  /** Leases and delivers one batch; the number of messages leased. */
  async runOnce(): Promise<number> {
    const now = this.clock.now()
    const { batch_size, lease_seconds } = this.config.notifications
    const leased = await inTransaction(this.db, (trx) =>
      outboxRepository.lease(trx, this.id, now, now + lease_seconds * 1000, batch_size),
    )
    await forEachConcurrently(leased, this.concurrency(), (message) => this.deliver(message))
    if (now - this.lastPurge > PURGE_EVERY_MS) await this.purge(now)
    return leased.length
  }

  /** Delivers until nothing is due (the CLI's `outbox work --until-empty`, tests). */
  async drain(): Promise<number> {
    let total = 0
    for (let leased = await this.runOnce(); leased > 0; leased = await this.runOnce()) total += leased
    return total
  }

  private async run(): Promise<void> {
    while (this.running) {
      let leased = 0
      try {
        leased = await this.runOnce()
      } catch (error) {
        // The store may be away for a moment; the next poll tries again.
        this.logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          'outbox batch failed',
        )
      }
      if (leased >= this.config.notifications.batch_size || !this.running) continue
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.config.notifications.poll_interval_ms)
        this.wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.wake = undefined
    }
  }

  /** Enough messages in flight to keep every pooled connection busy. */
  private concurrency(): number {
    return Math.max(8, this.config.notifications.batch_size)
  }

  private async deliver(message: OutboxRow): Promise<void> {
    try {
      await this.attempt(message)
    } catch (error) {
      // A route that cannot be built (unusable tenant SMTP settings) or a store hiccup: the
      // message stays queued and is tried again, with the reason on record.
      const reason = error instanceof Error ? error.message : String(error)
      await this.settle(message, { kind: 'temporary', reason }).catch(() => {})
    }
  }

  private async attempt(message: OutboxRow): Promise<void> {
    const body = message.body_sealed ? this.notifier.openBody(message.id, message.body_sealed) : undefined
    if (!body) {
      await this.settle(message, {
        kind: 'permanent',
        reason: 'the message body cannot be opened with this server key',
      })
      return
    }
    const route = await this.router.routeFor(message.tenant_id)
    if (route.kind === 'mailbox') {
      // The log says who and what, never the body: it holds the link or the code.
      this.logger.info(
        { messageId: message.id, to: message.recipient, subject: message.subject },
        'mail delivered to the built-in mailbox (no SMTP server configured)',
      )
      await this.settle(message, { kind: 'mailbox' })
      return
    }
    const outcome = await route.transport.send({
      to: message.recipient,
      subject: message.subject,
      html: body.html,
      text: body.text,
      messageId: `${message.id}@rekey`,
    })
    await this.settle(message, outcome)
  }

  private async settle(message: OutboxRow, delivery: Delivery): Promise<void> {
    const now = this.clock.now()
    const { max_attempts, retry_base_seconds, retry_max_seconds } = this.config.notifications
    const worker = this.id
    await inTransaction(this.db, async (trx) => {
      const attempt = { message_id: message.id, attempted_at: now, worker }
      switch (delivery.kind) {
        case 'mailbox':
        case 'sent': {
          const transport = delivery.kind === 'mailbox' ? 'mailbox' : 'smtp'
          const response = delivery.kind === 'sent' ? delivery.response : 'delivered to the built-in mailbox'
          await outboxRepository.markSent(trx, { id: message.id, worker, now, transport, response })
          await outboxRepository.recordAttempt(trx, { ...attempt, outcome: delivery.kind, detail: response })
          this.metrics.outboxSent.inc({ transport })
          return
        }
        case 'temporary': {
          if (message.attempts < max_attempts) {
            const next =
              now + retryDelayMs(message.attempts, retry_base_seconds * 1000, retry_max_seconds * 1000)
            await outboxRepository.markRetry(trx, {
              id: message.id,
              worker,
              now,
              next,
              error: delivery.reason,
            })
            await outboxRepository.recordAttempt(trx, {
              ...attempt,
              outcome: 'temporary',
              detail: delivery.reason,
            })
            this.metrics.outboxRetried.inc()
            return
          }
          const reason = `gave up after ${message.attempts} attempts; last: ${delivery.reason}`
          await this.markDead(trx, message, now, reason)
          await outboxRepository.recordAttempt(trx, {
            ...attempt,
            outcome: 'temporary',
            detail: delivery.reason,
          })
          return
        }
        case 'permanent':
          await this.markDead(trx, message, now, delivery.reason)
          await outboxRepository.recordAttempt(trx, {
            ...attempt,
            outcome: 'permanent',
            detail: delivery.reason,
          })
      }
    })
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
