import { AppError, isAppError } from '../../../errors/app-error.ts'
import { formField } from '../../pages/kit.ts'
import { type ConsoleErrors, consoleErrorsOf } from '../form-errors.ts'

/** The settings pages, in the order of their sub-navigation. */
const settingsPageLinks = [
  { key: 'password-reset', label: 'Password reset', path: '/settings/password-reset' },
  { key: 'password-policy', label: 'Password policy', path: '/settings/password-policy' },
  { key: 'self-service', label: 'Self-service', path: '/settings/self-service' },
  { key: 'security-questions', label: 'Security questions', path: '/settings/security-questions' },
] as const

export type SettingsPageKey = (typeof settingsPageLinks)[number]['key']

/** The sub-navigation model: every settings page, the current one marked. */
export function settingsNav(current: SettingsPageKey) {
  return settingsPageLinks.map((link) => ({ ...link, current: link.key === current }))
}

/**
 * A form field a use case's pointer refers to: the words that name it and, when the page has
 * one element for it, that element's id (the summary links there, the message sits by it).
 */
export interface FieldRef {
  id?: string
  label: string
}

/**
 * A use case's refusal worded for a settings form: one line saying nothing was changed, then
 * each problem named by its field's label and linked to the field. Errors that are not a
 * refusal of the request (5xx, programming errors) are rethrown for the console's error page.
 */
export function settingsErrorsOf(
  error: unknown,
  fieldOf: (pointer: string) => FieldRef | undefined,
): ConsoleErrors {
  if (!isAppError(error) || error.status >= 500) throw error
  const found = consoleErrorsOf(error, (pointer) => fieldOf(pointer)?.id)
  const lead = { text: `${error.title}. Nothing was changed.` }
  const problems = error.details.errors ?? []
  if (problems.length === 0)
    return {
      summary: [lead, ...found.summary.filter((item) => item.text !== error.title)],
      fields: found.fields,
    }
  // One summary item per problem, in order, after the error's detail (which only repeats them).
  const items = found.summary.slice(-problems.length).map((item, index) => {
    const problem = problems[index]!
    const label = fieldOf(problem.pointer)?.label
    return { ...item, text: readablePointers(label ? `${label}: ${problem.message}` : problem.message) }
  })
  const fields: Record<string, string> = {}
  for (const item of items)
    if (item.field) fields[item.field] = fields[item.field] ? `${fields[item.field]} ${item.text}` : item.text
  return { summary: [lead, ...items], fields }
}

/** `/questions/3` in a use case's message → `question 4`: the page shows a list, not JSON. */
function readablePointers(text: string): string {
  return text.replace(/\/questions\/(\d+)/g, (_, index: string) => `question ${Number(index) + 1}`)
}

/** A refusal of the form itself (before any use case is asked), by one field. */
export function formRefusal(field: { id: string; label: string }, text: string): ConsoleErrors {
  const worded = `${field.label}: ${text}`
  return {
    summary: [{ text: 'The form is not valid. Nothing was changed.' }, { field: field.id, text: worded }],
    fields: { [field.id]: worded },
  }
}

/**
 * A whole number typed in a form. Anything else (empty, `12.5`, `1e3`, words) reads as NaN,
 * which every use case refuses with its own bounds: the form never guesses a number.
 */
export function wholeNumber(text: string): number {
  const trimmed = text.trim()
  return /^-?\d{1,15}$/.test(trimmed) ? Number(trimmed) : Number.NaN
}

/** A checkbox: present means on (an unchecked box sends nothing). */
export function checkbox(body: unknown, name: string): boolean {
  return formField(body, name, 16) !== ''
}

/**
 * The values of a repeated field (checkboxes of one name), bounded in count and length: a
 * crafted form with thousands of values costs nothing, and an over-long value stays over-long
 * (cut one past the limit) so the use case refuses it rather than reading a shortened name.
 */
export function formList(body: unknown, name: string, maxItems: number, maxLength: number): string[] {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value]
  return values
    .slice(0, maxItems)
    .filter((item): item is string => typeof item === 'string')
    .map((item) => item.slice(0, maxLength + 1))
}

/**
 * The settings the form changed: those whose submitted value differs from what is in force.
 * A value left as shown keeps its source, so saving a form does not pin every setting that
 * follows the server configuration to today's server value.
 */
export function changedSettings<T extends object>(
  effective: T,
  submitted: Partial<T>,
  same: (key: keyof T, a: unknown, b: unknown) => boolean = (_key, a, b) => Object.is(a, b),
): Partial<T> {
  const changes: Partial<T> = {}
  for (const key of Object.keys(submitted) as Array<keyof T>) {
    if (!same(key, effective[key], submitted[key])) changes[key] = submitted[key]
  }
  return changes
}

/** Every overridden setting back to the server configuration (`null` for each). */
export function clearedOverrides<T extends object>(overrides: Partial<T>): { [K in keyof T]?: null } {
  return Object.fromEntries(Object.keys(overrides).map((key) => [key, null])) as { [K in keyof T]?: null }
}

/** The hint line that says where a setting's value comes from. */
export function sourceHint(overridden: boolean, configKey: string, serverValue: string): string {
  return overridden
    ? `Set for this organisation. The server configuration (${configKey}) says ${serverValue}.`
    : `Follows the server configuration (${configKey}).`
}

export function yesNo(value: boolean): string {
  return value ? 'on' : 'off'
}

/** A 404 for a settings item that does not exist in this tenant. */
export function notFound(detail: string): AppError {
  return new AppError('route.not-found', { detail })
}
