import type { AuditEventView } from '../../../observability/audit.ts'

const SUMMARY_WIDTH = 100

/** One event as the audit table shows it. Every value is text the template escapes. */
export interface AuditRow {
  id: number
  occurredAt: string
  /** `2026-01-31 08:00:05`: UTC, as the column heading says. */
  time: string
  actor: string
  /** This page filtered on the row's actor, exactly. */
  actorHref: string
  action: string
  target: string | null
  targetHref: string | null
  outcome: string
  isFailure: boolean
  /** `key=value` pairs (the client address first), cut to fit the column. */
  summary: string
  /** The whole detail as indented JSON, when the summary had to be cut. */
  fullDetail: string | null
}

function detailPairs(event: AuditEventView): string {
  // Sign-ins also keep the address in their detail: shown once.
  const showClient = event.clientAddress && event.detail.clientAddress !== event.clientAddress
  return [
    ...(showClient ? [`client=${event.clientAddress}`] : []),
    ...Object.entries(event.detail).map(
      ([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
    ),
  ].join(' ')
}

/** `auditPath` is the audit page's path (`{root}/audit`), for the links that filter on a value. */
export function auditRow(event: AuditEventView, auditPath: string): AuditRow {
  const pairs = detailPairs(event)
  const cut = pairs.length > SUMMARY_WIDTH
  return {
    id: event.id,
    occurredAt: event.occurredAt,
    time: event.occurredAt.replace('T', ' ').replace(/\.\d{3}Z$/, ''),
    actor: event.actor,
    actorHref: `${auditPath}?${new URLSearchParams({ actor: event.actor })}`,
    action: event.action,
    target: event.target,
    targetHref: event.target ? `${auditPath}?${new URLSearchParams({ target: event.target })}` : null,
    outcome: event.outcome,
    isFailure: event.outcome === 'failure',
    summary: cut ? `${pairs.slice(0, SUMMARY_WIDTH - 1)}…` : pairs,
    fullDetail: cut
      ? JSON.stringify(
          { ...event.detail, ...(event.clientAddress ? { clientAddress: event.clientAddress } : {}) },
          null,
          2,
        )
      : null,
  }
}
