import type { Config } from '../config/schema.ts'
import type { Clock } from '../domain/clock.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { Executor } from '../persistence/executor.ts'
import { type OutboxRow, outboxRepository } from '../persistence/repositories/outbox.ts'
import type { TenantRow } from '../persistence/repositories/tenants.ts'
import type { SealedBox } from '../security/sealed-box.ts'
import { timeOrderedId } from '../security/time-ordered-id.ts'
import { newId } from '../security/tokens.ts'
import type { TemplateService } from './template-service.ts'
import type { CompiledTemplate, TemplateType, TemplateValues } from './templates/index.ts'

export interface NotificationRequest {
  tenant: TenantRow
  type: TemplateType
  /** The recipient's address. */
  to: string
  userId?: string | null
  /** The user's locale claim, if any. */
  userLocale?: string | null
  /** Placeholder values; `tenant-domain` and `support-email` are filled in here. */
  values: TemplateValues
  /**
   * Unique per tenant: a second message with the same key is not queued. Callers derive it from
   * the event (`reset:<user>:<code id>`), so a retried request cannot mail twice.
   */
  idempotencyKey: string
}

export interface QueuedNotification {
  id: string
  /** False when a message with the same idempotency key was already queued. */
  queued: boolean
}

/** The body as stored in the outbox, sealed. */
export interface MessageBody {
  html: string
  text: string
}

/** The address part of a `Name <address>` mailbox, for `{{support-email}}`. */
function addressOf(mailbox: string): string {
  const match = /<([^<>]+)>\s*$/.exec(mailbox)
  return (match ? match[1]! : mailbox).trim()
}

/**
 * Queues notification mail through the transactional outbox: the message is rendered and
 * written in the caller's transaction, so it exists exactly when the change that causes it
 * does, and is delivered later by a worker — never while a request waits on SMTP. The body is
 * sealed: it carries links and codes.
 */
export class Notifier {
  private readonly listeners = new Set<() => void>()

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly templates: TemplateService,
    private readonly bodies: SealedBox,
    private readonly metrics: Metrics,
  ) {}

  async enqueue(trx: Executor, request: NotificationRequest): Promise<QueuedNotification> {
    const { locale, compiled } = await this.templates.forMessage(
      trx,
      request.tenant,
      request.type,
      request.userLocale,
    )
    const row = this.outboxRow(request, locale, compiled, this.clock.now())
    const queued = await outboxRepository.insert(trx, row)
    if (queued) {
      this.metrics.outboxQueued.inc({ type: request.type })
      this.nudgeAfterCommit()
    }
    return { id: row.id, queued }
  }

  /**
   * Queues many messages in the caller's transaction with one multi-row insert (bulk resets):
   * each template is looked up once per tenant, type and user locale, not once per message.
   * The answers are in the order of the requests.
   */
  async enqueueMany(trx: Executor, requests: readonly NotificationRequest[]): Promise<QueuedNotification[]> {
    if (requests.length === 0) return []
    const now = this.clock.now()
    const templates = new Map<string, { locale: string; compiled: CompiledTemplate }>()
    const rows: OutboxRow[] = []
    for (const request of requests) {
      const key = `${request.tenant.id}\u0000${request.type}\u0000${request.userLocale ?? ''}`
      let template = templates.get(key)
      if (!template) {
        template = await this.templates.forMessage(trx, request.tenant, request.type, request.userLocale)
        templates.set(key, template)
      }
      // Time-ordered ids: a thousand messages append to the outbox's indexes instead of scattering.
      rows.push(this.outboxRow(request, template.locale, template.compiled, now, timeOrderedId(now)))
    }
    const inserted = await outboxRepository.insertMany(trx, rows)
    rows.forEach((row, index) => {
      if (inserted.has(row.id)) this.metrics.outboxQueued.inc({ type: requests[index]!.type })
    })
    if (inserted.size > 0) this.nudgeAfterCommit()
    return rows.map((row) => ({ id: row.id, queued: inserted.has(row.id) }))
  }

  /** The message rendered and sealed, as the outbox stores it. */
  private outboxRow(
    request: NotificationRequest,
    locale: string,
    compiled: CompiledTemplate,
    now: number,
    id: string = newId(),
  ): OutboxRow {
    const rendered = this.templates.render(compiled, {
      ...request.values,
      'tenant-domain': request.tenant.domain,
      'support-email': this.config.notifications.support_email || addressOf(this.config.smtp.from),
    })
    const body: MessageBody = { html: rendered.html, text: rendered.text }
    return {
      id,
      tenant_id: request.tenant.id,
      idempotency_key: request.idempotencyKey,
      type: request.type,
      locale,
      recipient: request.to,
      user_id: request.userId ?? null,
      subject: rendered.subject,
      body_sealed: this.bodies.seal(JSON.stringify(body), id),
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
   * After the caller's commit at the earliest: a worker in this process looks at once instead
   * of at its next poll.
   */
  private nudgeAfterCommit(): void {
    setImmediate(() => {
      for (const listener of this.listeners) listener()
    })
  }

  /** Called soon after a message was queued by this process. */
  onQueued(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The sealed body of a message, or undefined when it cannot be opened (another key). */
  openBody(id: string, sealed: string): MessageBody | undefined {
    const plain = this.bodies.open(sealed, id)
    return plain === undefined ? undefined : (JSON.parse(plain) as MessageBody)
  }
}
