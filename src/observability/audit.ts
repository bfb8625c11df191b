import type { Clock } from '../domain/clock.ts'
import { AppError } from '../errors/app-error.ts'
import type { Executor } from '../persistence/executor.ts'
import { type AuditPosition, type AuditQuery, auditRepository } from '../persistence/repositories/audit.ts'

/** Who did something: recorded on every audit event. */
export interface Actor {
  kind: 'user' | 'token' | 'cli' | 'system' | 'anonymous'
  id: string | null
  /** Readable name: user name, token name, `cli`, `system`. */
  name: string
}

export const systemActor: Actor = { kind: 'system', id: null, name: 'system' }
export const cliActor: Actor = { kind: 'cli', id: null, name: 'cli' }

/** The audit actions this version emits; docs/events.md lists them with their details. */
export const auditActions = [
  'tenant.created',
  'tenant.updated',
  'userstore.created',
  'user.created',
  'user.updated',
  'user.deleted',
  'user.locked',
  'user.unlocked',
  'password.updated',
  'role.created',
  'role.updated',
  'role.deleted',
  'role.member-added',
  'role.member-removed',
  'token.created',
  'token.revoked',
  'login.succeeded',
  'login.failed',
  'session.revoked',
  'admin-auth.failed',
  'template.updated',
  'template.reset',
  'smtp.updated',
  'smtp.tested',
  'notification.resent',
  'notification.dead',
  'mailbox.read',
  'user.reset-forced',
  'user.reset-cancelled',
  'user.one-time-password-read',
  'bulk-reset.started',
  'bulk-reset.cancelled',
  'bulk-reset.finished',
  'tenant.policy-updated',
  'security-questions.updated',
  'security-answers.updated',
  'security-answers.cleared',
  'selfservice.code-sent',
  'selfservice.verification-failed',
  'selfservice.rate-limited',
  'selfservice.completed',
] as const

export type AuditAction = (typeof auditActions)[number]

export interface AuditEvent {
  tenantId: string | null
  actor: Actor
  action: AuditAction
  target?: string | null
  outcome?: 'success' | 'failure'
  /** Never a secret: callers pass ids, names, reasons and counts only. */
  detail?: Record<string, unknown>
  /**
   * The client of the request that led to the event, when there was one (a sign-in, a
   * one-time password attempt, an admin call). Structurally the sessions' `ClientInfo`.
   */
  client?: AuditClient | null
}

export interface AuditClient {
  address: string | null
}

export interface AuditEventView {
  id: number
  occurredAt: string
  actor: string
  action: string
  target: string | null
  outcome: string
  detail: Record<string, unknown>
  /** Where the request came from; null for events without one (CLI, background work, older events). */
  clientAddress: string | null
}

/** One page of the log, newest first, and the cursor of the next page (null after the last). */
export interface AuditPage {
  events: AuditEventView[]
  next: string | null
}

export type AuditPageQuery = Omit<AuditQuery, 'cursor'> & { cursor?: string | undefined }

/**
 * Page cursors are opaque to clients: `<epoch ms>-<id>` of the last event of a page. (time, id)
 * is the log's order, so a walk neither skips nor repeats events written meanwhile (new events
 * are newer than the cursor and land before it).
 */
const CURSOR = /^(\d{1,16})-(\d{1,19})$/
export const auditCursorPattern = CURSOR.source

export function encodeAuditCursor(position: AuditPosition): string {
  return `${position.occurredAt}-${position.id}`
}

/** The position a cursor names; undefined for text that is not one of ours. */
export function decodeAuditCursor(cursor: string): AuditPosition | undefined {
  const match = CURSOR.exec(cursor)
  if (!match) return undefined
  const occurredAt = Number(match[1])
  const id = Number(match[2])
  if (!Number.isSafeInteger(occurredAt) || !Number.isSafeInteger(id)) return undefined
  return { occurredAt, id }
}

export class AuditLog {
  constructor(private readonly clock: Clock) {}

  /** Events of one tenant, newest first. */
  async list(db: Executor, query: AuditQuery): Promise<AuditEventView[]> {
    const rows = await auditRepository.list(db, query)
    return rows.map((row) => ({
      id: Number(row.id),
      occurredAt: new Date(row.occurred_at).toISOString(),
      actor: row.actor,
      action: row.action,
      target: row.target,
      outcome: row.outcome,
      detail: JSON.parse(row.detail) as Record<string, unknown>,
      clientAddress: row.client_address ?? null,
    }))
  }

  /**
   * A page of `list` and the cursor that continues after it. One event more than asked is
   * read, so the last page says so (`next: null`) instead of costing an empty extra request.
   * A cursor that is not one of ours is refused (`request.invalid`).
   */
  async page(db: Executor, query: AuditPageQuery): Promise<AuditPage> {
    const cursor = query.cursor === undefined ? undefined : decodeAuditCursor(query.cursor)
    if (query.cursor !== undefined && !cursor)
      throw new AppError('request.invalid', {
        detail: 'The cursor is not one this server gave out; pass the `next` value of an earlier page.',
        errors: [{ pointer: '/cursor', message: 'is not a cursor of the audit log' }],
      })
    const events = await this.list(db, { ...query, cursor, limit: query.limit + 1 })
    const more = events.length > query.limit
    const page = more ? events.slice(0, query.limit) : events
    const last = page.at(-1)
    return {
      events: page,
      next: more && last ? encodeAuditCursor({ occurredAt: Date.parse(last.occurredAt), id: last.id }) : null,
    }
  }

  /** Many events with one statement (bulk work), in the caller's transaction like `record`. */
  async recordMany(db: Executor, events: readonly AuditEvent[]): Promise<void> {
    const occurredAt = this.clock.now()
    await auditRepository.insertMany(
      db,
      events.map((event) => storedEvent(event, occurredAt)),
    )
  }

  /** Written in the caller's transaction, so an event exists exactly when its change does. */
  async record(db: Executor, event: AuditEvent): Promise<void> {
    await auditRepository.insert(db, storedEvent(event, this.clock.now()))
  }
}

/** An event as the audit table stores it. */
function storedEvent(event: AuditEvent, occurredAt: number) {
  return {
    tenantId: event.tenantId,
    occurredAt,
    actor: `${event.actor.kind}:${event.actor.name}`,
    action: event.action,
    target: event.target ?? null,
    outcome: event.outcome ?? 'success',
    detail: event.detail ?? {},
    clientAddress: event.client?.address ?? null,
  }
}
