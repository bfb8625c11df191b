import type { Clock } from '../domain/clock.ts'
import { AppError } from '../errors/app-error.ts'
import type { Actor, AuditLog } from '../observability/audit.ts'
import { type Executor, inTransaction } from '../persistence/executor.ts'
import { type OutboxListQuery, type OutboxRow, outboxRepository } from '../persistence/repositories/outbox.ts'
import type { TenantRow } from '../persistence/repositories/tenants.ts'
import type { OutboxStatus, OutboxTransport } from '../persistence/tables.ts'
import { isUuid } from '../security/tokens.ts'
import type { DeliveryRouter } from './delivery-router.ts'
import type { Notifier } from './notifier.ts'
import { type SendOutcome, sendTestMessage } from './smtp/index.ts'

export interface OutboxMessageView {
  id: string
  type: string
  locale: string
  to: string
  userId: string | null
  subject: string
  status: OutboxStatus
  transport: OutboxTransport | null
  attempts: number
  nextAttemptAt: string | null
  lastError: string | null
  smtpResponse: string | null
  createdAt: string
  sentAt: string | null
  /** False once SMTP accepted the message: its body (links, codes) was erased. */
  bodyKept: boolean
}

export interface AttemptView {
  at: string
  worker: string
  outcome: string
  detail: string
}

export interface MailboxMessageView extends OutboxMessageView {
  html: string
  text: string
}

const iso = (value: number | null) => (value === null ? null : new Date(value).toISOString())

function viewOf(row: OutboxRow): OutboxMessageView {
  return {
    id: row.id,
    type: row.type,
    locale: row.locale,
    to: row.recipient,
    userId: row.user_id,
    subject: row.subject,
    status: row.status,
    transport: row.transport,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'queued' ? iso(row.next_attempt_at) : null,
    lastError: row.last_error,
    smtpResponse: row.smtp_response,
    createdAt: new Date(row.created_at).toISOString(),
    sentAt: iso(row.sent_at),
    bodyKept: row.body_sealed !== null,
  }
}

/**
 * What administrators see of outgoing mail: the outbox (status, attempts, errors, resend),
 * the built-in mailbox (full messages, each reading audited: they hold reset links and codes),
 * and a test message through the tenant's route.
 */
export class OutboxService {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly notifier: Notifier,
    private readonly router: DeliveryRouter,
  ) {}

  async list(tenant: TenantRow, query: Omit<OutboxListQuery, 'tenantId'>): Promise<OutboxMessageView[]> {
    return (await outboxRepository.list(this.db, { ...query, tenantId: tenant.id })).map(viewOf)
  }

  counts(tenant: TenantRow): Promise<Record<OutboxStatus, number>> {
    return outboxRepository.countByStatus(this.db, tenant.id)
  }

  async show(tenant: TenantRow, id: string): Promise<{ message: OutboxMessageView; history: AttemptView[] }> {
    const row = await this.find(tenant, id)
    const attempts = await outboxRepository.attempts(this.db, row.id)
    return {
      message: viewOf(row),
      history: attempts.map((attempt) => ({
        at: new Date(attempt.attempted_at).toISOString(),
        worker: attempt.worker,
        outcome: attempt.outcome,
        detail: attempt.detail,
      })),
    }
  }

  /** Puts a dead (or mailbox) message back in the queue, with a fresh attempt budget. */
  async resend(tenant: TenantRow, id: string, actor: Actor): Promise<OutboxMessageView> {
    const row = await this.find(tenant, id)
    await inTransaction(this.db, async (trx) => {
      if (!(await outboxRepository.requeue(trx, tenant.id, row.id, this.clock.now())))
        throw new AppError('outbox.not-resendable', {
          detail:
            row.status === 'queued'
              ? 'The message is still queued.'
              : 'The relay accepted this message and its body was erased; trigger the action again to send a new one.',
        })
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'notification.resent',
        target: row.id,
      })
    })
    return viewOf(await this.find(tenant, id))
  }

  async mailbox(
    tenant: TenantRow,
    query: { limit: number; recipient?: string; before?: number; beforeId?: string },
  ) {
    return this.list(tenant, { ...query, status: 'sent', transport: 'mailbox' })
  }

  /**
   * One mailbox message with its body; reading it is audited. `part` names what a page shows
   * of it (the console shows the text on the page and the HTML in a frame, two readings), so the
   * audit log tells them apart.
   */
  async readMailbox(
    tenant: TenantRow,
    id: string,
    actor: Actor,
    part?: 'text' | 'html',
  ): Promise<MailboxMessageView> {
    const row = await this.find(tenant, id)
    const body =
      row.transport === 'mailbox' && row.body_sealed
        ? (await this.notifier.bodiesFor(this.db, [row]))(row)
        : undefined
    if (!body) throw new AppError('outbox.not-found', { detail: `No mailbox message ${id} in this tenant.` })
    await this.audit.record(this.db, {
      tenantId: tenant.id,
      actor,
      action: 'mailbox.read',
      target: row.id,
      ...(part ? { detail: { part } } : {}),
    })
    return { ...viewOf(row), html: body.html, text: body.text }
  }

  /**
   * Sends a test message now, through the route the tenant's mail takes, and reports the
   * relay's answer. Not through the outbox: the point is to see the answer.
   */
  async sendTest(tenant: TenantRow, to: string, actor: Actor): Promise<SendOutcome & { endpoint: string }> {
    const route = await this.router.routeFor(tenant.id)
    if (route.kind === 'mailbox')
      throw new AppError('smtp.not-configured', {
        detail:
          'Mail goes to the built-in mailbox: set smtp.url (REKEY_SMTP_URL) or the tenant SMTP settings.',
      })
    const outcome = await sendTestMessage(route.transport, to)
    await this.audit.record(this.db, {
      tenantId: tenant.id,
      actor,
      action: 'smtp.tested',
      outcome: outcome.kind === 'sent' ? 'success' : 'failure',
      detail: { to, endpoint: route.transport.endpoint, result: outcome.kind },
    })
    return { ...outcome, endpoint: route.transport.endpoint }
  }

  private async find(tenant: TenantRow, id: string): Promise<OutboxRow> {
    const row = isUuid(id) ? await outboxRepository.find(this.db, tenant.id, id.toLowerCase()) : undefined
    if (!row) throw new AppError('outbox.not-found', { detail: `No message ${id} in this tenant.` })
    return row
  }
}
