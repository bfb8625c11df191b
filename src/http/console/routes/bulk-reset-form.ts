import { AppError } from '../../../errors/app-error.ts'
import { MAX_FILTER_LENGTH } from '../../../flows/bulk-reset/selection.ts'
import type { BulkResetRequest } from '../../../flows/bulk-reset/service.ts'
import type { ResetMode } from '../../../persistence/tables.ts'
import { formField } from '../../pages/kit.ts'
import { type ConsoleErrors, consoleErrorsOf, consoleFieldError } from '../form-errors.ts'

/**
 * User names one form may paste. The selection resolves each by its unique index, but a
 * larger set is a filter's job: the confirmation page carries the list back as a hidden field
 * and every look-up is a round trip (threat: one post tying up the store).
 */
export const MAX_PASTED_NAMES = 5000
/** Longest reason kept in the job's audit event. */
export const MAX_REASON_LENGTH = 500
/** A user name is at most a store domain, a slash and 254 characters. */
const MAX_NAMES_TEXT = MAX_PASTED_NAMES * 330

export const resetModes: ReadonlyArray<{ value: ResetMode; label: string; hint: string }> = [
  {
    value: 'email-link',
    label: 'Email link',
    hint: 'each user is emailed a link to choose a new password',
  },
  {
    value: 'email-otp',
    label: 'Email one-time password',
    hint: 'each user is emailed a one-time password to sign in with, then chooses a new password',
  },
  {
    value: 'offline-otp',
    label: 'Offline one-time password',
    hint: 'no email: an administrator reads each user’s one-time password on the user’s page',
  },
]

export function modeLabel(mode: ResetMode): string {
  return resetModes.find((entry) => entry.value === mode)?.label ?? mode
}

/** The form's field ids: the error summary links to them. */
export const bulkFields = {
  filter: 'bulk-filter',
  names: 'bulk-names',
  mode: 'bulk-mode',
  reason: 'bulk-reset-reason',
} as const

/** What was typed, as typed: a refused form shows it again. */
export interface BulkResetForm {
  filter: string
  names: string
  mode: string
  reason: string
}

export function readBulkResetForm(body: unknown): BulkResetForm {
  return {
    filter: formField(body, 'filter', MAX_FILTER_LENGTH),
    names: formField(body, 'names', MAX_NAMES_TEXT),
    mode: formField(body, 'mode', 32),
    reason: formField(body, 'reason', MAX_REASON_LENGTH),
  }
}

/** The pasted names, one a line, with the line each came from (for messages). */
interface PastedName {
  name: string
  line: number
}

function pastedNames(text: string): PastedName[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((name, index) => ({ name: name.trim(), line: index + 1 }))
    .filter((entry) => entry.name !== '')
}

export type CheckedBulkForm =
  | { ok: true; request: BulkResetRequest; reason: string | undefined; names: PastedName[] }
  | { ok: false; errors: ConsoleErrors }

/** The form as a use-case request, or what is wrong with it before the store is asked. */
export function checkBulkResetForm(form: BulkResetForm): CheckedBulkForm {
  const filter = form.filter.trim()
  const names = pastedNames(form.names)
  if (filter === '' && names.length === 0)
    return refuse(bulkFields.filter, 'Choose the users: write a SCIM filter or paste a list of user names.')
  if (filter !== '' && names.length > 0)
    return refuse(bulkFields.filter, 'Use either a filter or a list of user names, not both.')
  if (names.length > MAX_PASTED_NAMES || form.names.length > MAX_NAMES_TEXT)
    return refuse(
      bulkFields.names,
      `Paste at most ${MAX_PASTED_NAMES.toLocaleString('en')} user names at once; select more with a filter.`,
    )
  const mode = resetModes.find((entry) => entry.value === form.mode)?.value
  if (form.mode !== '' && !mode) return refuse(bulkFields.mode, 'Choose one of the reset modes offered.')
  if (form.reason.length > MAX_REASON_LENGTH)
    return refuse(bulkFields.reason, `Keep the reason under ${MAX_REASON_LENGTH} characters.`)
  const reason = form.reason.trim() || undefined
  const selection = filter !== '' ? { filter } : { userNames: names.map((entry) => entry.name) }
  return { ok: true, request: { ...selection, mode }, reason, names }
}

function refuse(field: string, text: string): CheckedBulkForm {
  return { ok: false, errors: consoleFieldError(field, text) }
}

/** Unknown names are listed by the use case by position; at most this many. */
const REPORTED_UNKNOWN_NAMES = 20

/**
 * A refusal of the selection, worded for the form: a bad filter with the parser's reason, the
 * names that are not users here, a line that is not a user name. Other 4xx refusals go to
 * the summary; anything else is not the form's business and is rethrown.
 */
export function bulkSelectionErrors(error: unknown, names: readonly PastedName[]): ConsoleErrors {
  if (!(error instanceof AppError) || error.status >= 500) throw error
  const problems = error.details.errors ?? []
  const listed = (pointer: string) => names[Number(/^\/userNames\/(\d+)$/.exec(pointer)?.[1] ?? -1)]
  if (error.code === 'bulk-reset.invalid-filter')
    return consoleFieldError(
      bulkFields.filter,
      `The filter is not valid: ${error.details.detail ?? error.title}`,
    )
  if (error.code === 'bulk-reset.no-match')
    return consoleFieldError(bulkFields.filter, 'No user of this organisation matches the filter.')
  if (error.code === 'user.not-found') {
    const unknown = problems.map((problem) => listed(problem.pointer)).filter((entry) => entry !== undefined)
    const shown = unknown.map((entry) => `${entry.name.slice(0, 100)} (line ${entry.line})`).join(', ')
    const more = unknown.length >= REPORTED_UNKNOWN_NAMES ? ', and maybe more' : ''
    return consoleFieldError(
      bulkFields.names,
      unknown.length === 1
        ? `No user of this organisation has the name ${shown}. Correct or remove it.`
        : `No user of this organisation has these names: ${shown}${more}. Correct or remove them.`,
    )
  }
  const malformed = problems.map((problem) => listed(problem.pointer)).find((entry) => entry !== undefined)
  if (malformed)
    return consoleFieldError(
      bulkFields.names,
      `Line ${malformed.line} is not a user name (name, or DOMAIN/name): ${malformed.name.slice(0, 100)}`,
    )
  return consoleErrorsOf(error)
}
