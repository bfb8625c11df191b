import { RESET_LOCK_REASON } from '../../../flows/forced-reset/reset-policy.ts'
import type { ResetMode } from '../../../persistence/tables.ts'

/** A status badge: its look (a console badge class), its word, and the detail shown beside it. */
export interface Badge {
  kind: 'ok' | 'warn' | 'bad' | 'info' | 'neutral'
  text: string
  note?: string
}

const modeLabels: Readonly<Record<ResetMode, string>> = {
  'email-link': 'email link',
  'email-otp': 'email one-time password',
  'offline-otp': 'offline one-time password',
}

export function resetModeLabel(mode: string): string {
  return modeLabels[mode as ResetMode] ?? mode
}

/** Lock reasons the server sets, in words; any other reason (an administrator's code) as written. */
export function lockReasonText(reason: string | null): string {
  if (reason === RESET_LOCK_REASON) return 'until the password is reset'
  if (reason === 'admin' || reason === null) return 'by an administrator'
  return `reason: ${reason}`
}

/** A user's account state: active, locked and why, or disabled. */
export function statusBadges(user: {
  status: 'active' | 'locked' | 'disabled'
  lockReason: string | null
}): Badge[] {
  if (user.status === 'active') return [{ kind: 'ok', text: 'Active' }]
  if (user.status === 'locked')
    return [{ kind: 'bad', text: 'Locked', note: lockReasonText(user.lockReason) }]
  // A disabled account keeps its lock's reason, and is locked again when enabled.
  if (user.lockReason !== null)
    return [
      { kind: 'neutral', text: 'Disabled' },
      { kind: 'bad', text: 'Locked', note: lockReasonText(user.lockReason) },
    ]
  return [{ kind: 'neutral', text: 'Disabled' }]
}

/** A pending forced reset and how the user completes it. */
export function resetBadge(mode: string): Badge {
  return { kind: 'info', text: 'Reset pending', note: resetModeLabel(mode) }
}

const DAY_MS = 86_400_000

/** How long ago a password was set, in days ("never set" when it never was). */
export function passwordAge(changedAt: number | null, now: number): string {
  if (changedAt === null) return 'never set'
  const days = Math.floor(Math.max(0, now - changedAt) / DAY_MS)
  if (days === 0) return 'less than a day'
  return days === 1 ? '1 day' : `${days.toLocaleString('en')} days`
}

/** A stored instant as administrators read it: UTC, to the minute. */
export function formatInstant(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '—'
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return '—'
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`
}
