import type { Logger } from 'pino'
import type { Config } from '../config/schema.ts'
import type { Clock } from '../domain/clock.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { Executor } from '../persistence/executor.ts'
import {
  deliveredToMailboxRow,
  type OutboxRow,
  outboxRepository,
  queuedRow,
} from '../persistence/repositories/outbox.ts'
import type { TenantRow } from '../persistence/repositories/tenants.ts'
import type { SealedBox } from '../security/sealed-box.ts'
import { timeOrderedId } from '../security/time-ordered-id.ts'
import { newId } from '../security/tokens.ts'
import type { Route } from './delivery-router.ts'
import { logMailboxDelivery, MAILBOX_RESPONSE, QUEUING_DELIVERER } from './outbox/mailbox.ts'
import {
  type MessageBody,
  openStoredBody,
  type StoredBody,
  sealRendered,
  sealSnapshotted,
  sealValues,
} from './outbox/stored-body.ts'
import type { TemplateSnapshots } from './outbox/template-snapshots.ts'
import type { TemplateService } from './template-service.ts'
import {
  type CompiledTemplate,
  renderBody,
  renderSubject,
  type TemplateType,
  type TemplateValues,
  type TemplateValuesDraft,
} from './templates/index.ts'

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

export interface EnqueueOptions {
  /**
   * When the tenant's mail goes to the built-in mailbox, deliver it there now, in the caller's
   * transaction: the message is written rendered, sealed and sent, instead of queued for the
   * worker to lease, render, seal again and mark in two transactions more (decision 0027). For
   * the messages of one request; a bulk job's thousands stay queued, its batches short
   * (decisions 0017, 0019).
   */
  mailboxNow?: boolean
}

/** Where a tenant's mail goes (DeliveryRouter), read with the caller's executor. */
export interface MailRoutes {
  routeFor(tenantId: string, db: Executor): Promise<Route>
}

export interface QueuedNotification {
  id: string
  /** False when a message with the same idempotency key was already queued. */
  queued: boolean
}

/** The address part of a `Name <address>` mailbox, for `{{support-email}}`. */
function addressOf(mailbox: string): string {
  const match = /<([^<>]+)>\s*$/.exec(mailbox)
  return (match ? match[1]! : mailbox).trim()
}

/** A message's body, opened for delivery or reading. */
export interface OpenedBody extends MessageBody {
  /**
   * Rendered from values with a template whose snapshot the store holds: what the built-in
   * mailbox keeps of the message instead of the rendered body (`Notifier.sealDelivered`).
   */
  snapshot?: { id: string; values: TemplateValues }
}

/** Opens a message's stored body, rendering it when it holds values; see `Notifier.bodiesFor`. */
export type BodyOpener = (row: OutboxRow) => OpenedBody | undefined

/** The template a stored body is rendered with: by tenant, type and locale. */
const templateKey = (row: Pick<OutboxRow, 'tenant_id' | 'type' | 'locale'>) =>
  `${row.tenant_id}\u0000${row.type}\u0000${row.locale}`

/**
 * Queues notification mail through the transactional outbox: the message is written in the
 * caller's transaction, so it exists exactly when the change that causes it does, and is
 * delivered later by a worker — never while a request waits on SMTP.
 *
 * A queued message holds its subject and, sealed (they carry links and codes), the values of
 * its template; the body is rendered when the message is delivered, with the template of its
 * type and locale as it is then (decision 0017). The locale and every value (the tenant's
 * domain and support address included) are fixed when the message is queued.
 */
export class Notifier {
  private readonly listeners = new Set<() => void>()

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly templates: TemplateService,
    private readonly bodies: SealedBox,
    private readonly metrics: Metrics,
    private readonly routes: MailRoutes,
    private readonly logger: Logger,
    private readonly snapshots: TemplateSnapshots,
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
  async enqueueMany(
    trx: Executor,
    requests: readonly NotificationRequest[],
    options: EnqueueOptions = {},
  ): Promise<QueuedNotification[]> {
    if (requests.length === 0) return []
    const now = this.clock.now()
    const templates = new Map<string, { locale: string; compiled: CompiledTemplate }>()
    const mailboxes = new Map<string, boolean>()
    const rows: OutboxRow[] = []
    for (const request of requests) {
      const key = `${request.tenant.id}\u0000${request.type}\u0000${request.userLocale ?? ''}`
      let template = templates.get(key)
      if (!template) {
        template = await this.templates.forMessage(trx, request.tenant, request.type, request.userLocale)
        templates.set(key, template)
      }
      const toMailbox =
        options.mailboxNow === true && (await this.goesToMailbox(trx, request.tenant.id, mailboxes))
      // Time-ordered ids: a thousand messages append to the outbox's indexes instead of scattering.
      rows.push(
        this.outboxRow(request, template.locale, template.compiled, now, timeOrderedId(now), toMailbox),
      )
    }
    const inserted = await outboxRepository.insertMany(trx, rows)
    const delivered: OutboxRow[] = []
    for (const [index, row] of rows.entries()) {
      if (!inserted.has(row.id)) continue
      this.metrics.outboxQueued.inc({ type: requests[index]!.type })
      if (row.status === 'sent') delivered.push(row)
    }
    if (delivered.length > 0) await this.recordMailboxDeliveries(trx, delivered, now)
    if (inserted.size > delivered.length) this.nudgeAfterCommit()
    return rows.map((row) => ({ id: row.id, queued: inserted.has(row.id) }))
  }

  /** Whether the tenant's mail goes to the built-in mailbox; asked once per tenant and call. */
  private async goesToMailbox(
    trx: Executor,
    tenantId: string,
    known: Map<string, boolean>,
  ): Promise<boolean> {
    let mailbox = known.get(tenantId)
    if (mailbox === undefined) {
      mailbox = await this.routes.routeFor(tenantId, trx).then(
        (route) => route.kind === 'mailbox',
        // Threat: a relay that cannot be built (an unreadable CA file, saved settings no longer
        // valid) failing the trigger, which would leave a compromised account's old password
        // working. The message is queued instead; the worker records why it cannot go out.
        () => false,
      )
      known.set(tenantId, mailbox)
    }
    return mailbox
  }

  /** What the worker records of a delivery to the mailbox: the attempt, the count and the log line. */
  private async recordMailboxDeliveries(
    trx: Executor,
    rows: readonly OutboxRow[],
    now: number,
  ): Promise<void> {
    await outboxRepository.recordAttempts(
      trx,
      rows.map((row) => ({
        message_id: row.id,
        attempted_at: now,
        worker: QUEUING_DELIVERER,
        outcome: 'mailbox',
        detail: MAILBOX_RESPONSE,
      })),
    )
    this.metrics.outboxSent.inc({ transport: 'mailbox' }, rows.length)
    for (const row of rows) logMailboxDelivery(this.logger, row)
  }

  /**
   * The message as the outbox stores it: subject rendered, and sealed the values (queued), or
   * for the mailbox, which keeps what it delivered, the values with the snapshot of their
   * template, else the rendered body (stored-body.ts).
   */
  private outboxRow(
    request: NotificationRequest,
    locale: string,
    compiled: CompiledTemplate,
    now: number,
    id: string = newId(),
    toMailbox = false,
  ): OutboxRow {
    // Not `{ ...request.values, … }`: V8 builds the properties after a spread one by one in
    // its slow path, microseconds per message of a bulk job.
    const values: TemplateValuesDraft = Object.assign({}, request.values)
    values['tenant-domain'] = request.tenant.domain
    values['support-email'] = this.config.notifications.support_email || addressOf(this.config.smtp.from)
    const content = {
      id,
      tenant_id: request.tenant.id,
      idempotency_key: request.idempotencyKey,
      type: request.type,
      locale,
      recipient: request.to,
      user_id: request.userId ?? null,
      // Subjects never hold a link or a code (templates with one are refused): stored plain.
      subject: renderSubject(compiled, values),
      body_sealed: toMailbox
        ? this.sealForMailbox(id, compiled, values)
        : sealValues(this.bodies, id, values),
    }
    return toMailbox ? deliveredToMailboxRow(content, now, MAILBOX_RESPONSE) : queuedRow(content, now)
  }

  private sealForMailbox(id: string, compiled: CompiledTemplate, values: TemplateValues): string {
    const snapshot = this.snapshots.storedIdOf(compiled)
    return snapshot
      ? sealSnapshotted(this.bodies, id, values, snapshot)
      : sealRendered(this.bodies, id, renderBody(compiled, values))
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

  /**
   * Opens the stored bodies of `rows` and looks up, with `db`, the templates they need: those
   * holding values, the template of their tenant, type and locale (once each); those of the
   * mailbox, their snapshots. Answers an opener that renders any of those rows' bodies without
   * further reads. The worker calls it in the transaction that leases a batch, so delivering the
   * batch waits on no other transaction. The opener answers undefined for a body this server
   * cannot open (another key) or render (a type it does not know).
   */
  async bodiesFor(db: Executor, rows: readonly OutboxRow[]): Promise<BodyOpener> {
    const stored = new Map<string, StoredBody | undefined>()
    const templates = new Map<string, CompiledTemplate | undefined>()
    const snapshotIds = new Set<string>()
    const template = async (row: OutboxRow) => {
      const key = templateKey(row)
      if (!templates.has(key))
        templates.set(key, await this.templates.forQueuedMessage(db, row.tenant_id, row.type, row.locale))
    }
    for (const row of rows) {
      const body = row.body_sealed ? openStoredBody(this.bodies, row.id, row.body_sealed) : undefined
      stored.set(row.id, body)
      if (body?.kind === 'values') await template(row)
      if (body?.kind === 'snapshot') snapshotIds.add(body.snapshot)
    }
    const snapshots = await this.snapshots.bodies(db, snapshotIds)
    // A snapshot the store does not hold (never expected: they are written before any message
    // refers to them, and never removed) renders with the template as it is now.
    for (const row of rows) {
      const body = stored.get(row.id)
      if (body?.kind === 'snapshot' && !snapshots.has(body.snapshot)) await template(row)
    }
    return (row) => {
      const body = stored.get(row.id)
      if (!body) return undefined
      if (body.kind === 'rendered') return body.body
      const snapshot = body.kind === 'snapshot' ? snapshots.get(body.snapshot) : undefined
      // A mailbox message resent keeps its snapshot: the store holds it, it was just read.
      if (snapshot && body.kind === 'snapshot')
        return { ...renderBody(snapshot, body.values), snapshot: { id: body.snapshot, values: body.values } }
      const compiled = templates.get(templateKey(row))
      if (!compiled) return undefined
      const id = this.snapshots.storedIdOf(compiled)
      return {
        ...renderBody(compiled, body.values),
        ...(id ? { snapshot: { id, values: body.values } } : {}),
      }
    }
  }

  /** What the built-in mailbox keeps of a body it delivered, sealed (stored-body.ts). */
  sealDelivered(id: string, body: OpenedBody): string {
    return body.snapshot
      ? sealSnapshotted(this.bodies, id, body.snapshot.values, body.snapshot.id)
      : sealRendered(this.bodies, id, { html: body.html, text: body.text })
  }

  /**
   * Stores the snapshots of the templates Rekey ships, in a transaction of its own, so that
   * the mailbox can keep messages written with them as values (decision 0028). At start-up.
   */
  async snapshotShippedTemplates(db: Executor): Promise<void> {
    await this.snapshots.store(db, this.templates.shipped())
  }
}
