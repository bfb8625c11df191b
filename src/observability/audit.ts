import type { Clock } from '../domain/clock.ts'
import type { Executor } from '../persistence/executor.ts'
import { type AuditQuery, auditRepository } from '../persistence/repositories/audit.ts'

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
}

export interface AuditEventView {
  id: number
  occurredAt: string
  actor: string
  action: string
  target: string | null
  outcome: string
  detail: Record<string, unknown>
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
    }))
  }

  /** Written in the caller's transaction, so an event exists exactly when its change does. */
  async record(db: Executor, event: AuditEvent): Promise<void> {
    await auditRepository.insert(db, {
      tenantId: event.tenantId,
      occurredAt: this.clock.now(),
      actor: `${event.actor.kind}:${event.actor.name}`,
      action: event.action,
      target: event.target ?? null,
      outcome: event.outcome ?? 'success',
      detail: event.detail ?? {},
    })
  }
}
