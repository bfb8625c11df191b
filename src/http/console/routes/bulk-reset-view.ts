import type { BulkResetJobView } from '../../../flows/bulk-reset/service.ts'
import type { BulkResetStatus } from '../../../persistence/tables.ts'
import { modeLabel } from './bulk-reset-form.ts'

/** Failures listed on a job's page at most; the count says how many there are. */
export const LISTED_FAILURES = 100
/** Jobs listed under the form. */
export const RECENT_JOBS = 20
/** While a job has work left its page reloads itself this often (a meta refresh: no script). */
export const REFRESH_SECONDS = 2

const statusBadges: Record<BulkResetStatus, { label: string; tone: string }> = {
  queued: { label: 'Queued', tone: 'info' },
  running: { label: 'Running', tone: 'info' },
  completed: { label: 'Completed', tone: 'ok' },
  failed: { label: 'Failed', tone: 'bad' },
  cancelled: { label: 'Cancelled', tone: 'warn' },
}

const failureReasons: Readonly<Record<string, string>> = {
  'reset.no-email': 'No email address to send the reset to',
  'user.not-found': 'Deleted before the job reached it',
}

export function isActive(status: BulkResetStatus): boolean {
  return status === 'queued' || status === 'running'
}

/** `2026-01-31 14:05 UTC`: one zone for every administrator, as the audit log shows it. */
export function consoleTime(iso: string | null): string {
  return iso === null ? '' : `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`
}

/** `user:alice` → `alice`; other kinds keep theirs in brackets (`ops-token (token)`). */
function requester(requestedBy: string): string {
  const colon = requestedBy.indexOf(':')
  const kind = requestedBy.slice(0, colon)
  const name = requestedBy.slice(colon + 1)
  return kind === 'user' ? name : `${name} (${kind})`
}

/** What the pages show of a job. */
export function jobModel(job: BulkResetJobView) {
  const processed = job.done + job.failed
  return {
    id: job.id,
    status: statusBadges[job.status],
    active: isActive(job.status),
    mode: modeLabel(job.mode),
    selection: job.selector === 'filter' ? job.filter : null,
    total: job.total,
    done: job.done,
    failed: job.failed,
    remaining: job.remaining,
    processed,
    percent: job.total === 0 ? 100 : Math.floor((processed * 100) / job.total),
    requestedBy: requester(job.requestedBy),
    createdAt: consoleTime(job.createdAt),
    startedAt: consoleTime(job.startedAt),
    finishedAt: consoleTime(job.finishedAt),
    error: job.error,
    failures: (job.failures ?? []).map((failure) => ({
      userId: failure.userId,
      userName: failure.userName,
      reason: failureReasons[failure.reason] ?? failure.reason,
    })),
  }
}
