import type { Container } from '../../../container.ts'
import {
  type Actor,
  type AuditPageQuery,
  auditActions,
  decodeAuditCursor,
} from '../../../observability/audit.ts'
import type { TenantRow } from '../../../persistence/repositories/tenants.ts'
import type { ConsoleErrors } from '../form-errors.ts'

/** The page sizes the form offers; anything else in a link is refused, so a page stays bounded. */
export const auditPageSizes = [25, 50, 100, 200] as const
const DEFAULT_PAGE_SIZE = 50

/** The query string names of the filter form, and the form's field ids. */
export const auditFilterNames = ['actor', 'target', 'action', 'outcome', 'from', 'to', 'size'] as const
export type AuditFilterName = (typeof auditFilterNames)[number]
export type AuditFilterInput = Record<AuditFilterName, string>

export const auditFieldId = (name: AuditFilterName) => `audit-${name}`

/**
 * The query string's shape: text only. The schema bounds sizes generously; the real limits are
 * checked below so that a value over them is a message by its field, not a bare 400 page.
 */
const text = { type: 'string', maxLength: 1000 }
export const auditQuerystring = {
  type: 'object',
  properties: Object.fromEntries([...auditFilterNames, 'cursor', 'done'].map((name) => [name, text])),
}

const actorKinds: readonly Actor['kind'][] = ['user', 'token', 'cli', 'system', 'anonymous']

/** What the repository filters on, before a typed target is matched with a user. */
export interface AuditFilters {
  actors?: string[]
  target?: string
  action?: string
  actionPrefix?: string
  outcome?: 'success' | 'failure'
  /** Strictly after, as the repository counts: one millisecond before the form's "from". */
  after?: number
  /** Strictly before: the form's "to". */
  before?: number
}

export type ParsedAuditFilters =
  | {
      ok: true
      input: AuditFilterInput
      filters: AuditFilters
      size: number
      /** A page cursor the audit log gave out (checked): where this page starts. */
      cursor?: string
    }
  | { ok: false; input: AuditFilterInput; errors: ConsoleErrors }

/** The form's values as typed (trimmed), for echoing back and for links to other pages. */
export function auditFilterInput(query: unknown): AuditFilterInput {
  const raw = (query ?? {}) as Record<string, unknown>
  const value = (name: string) => (typeof raw[name] === 'string' ? (raw[name] as string).trim() : '')
  return Object.fromEntries(auditFilterNames.map((name) => [name, value(name)])) as AuditFilterInput
}

/**
 * A `datetime-local` value (`2026-01-31T08:00`, seconds optional) or a bare date, read as UTC:
 * the log is kept in UTC and the form says so, so two administrators in different zones who
 * share a link see the same events.
 */
export function parseUtcDateTime(value: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/.exec(value)
  if (!match) return undefined
  const [year, month, day, hour, minute, second, fraction] = match
    .slice(1)
    .map((part, index) => (index === 6 ? Number((part ?? '0').padEnd(3, '0')) : Number(part ?? '0')))
  const time = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, fraction!)
  const date = new Date(time)
  // Date.UTC rolls 31 February over into March: such a date was not what the person meant.
  const sameFields =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month! - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  return sameFields && year! >= 1970 ? time : undefined
}

/** `user.reset-*` is a prefix, anything else one action; as in the admin API. */
function actionFilter(action: string): Pick<AuditFilters, 'action' | 'actionPrefix'> {
  if (action === '') return {}
  return action.endsWith('*') ? { actionPrefix: action.slice(0, -1) } : { action }
}

/**
 * `user:ann` names one actor exactly (as the table shows it); a bare `ann` finds her whatever
 * she acted as: a user, a token of that name, or failed sign-ins typed with that name.
 */
function actorFilter(actor: string): string[] | undefined {
  if (actor === '') return undefined
  const colon = actor.indexOf(':')
  const kind = colon === -1 ? '' : actor.slice(0, colon)
  if ((actorKinds as readonly string[]).includes(kind)) return [actor]
  return actorKinds.map((each) => `${each}:${actor}`)
}

/** Checks the filter form; every problem is reported at once, by its field. */
export function parseAuditFilters(query: unknown): ParsedAuditFilters {
  const input = auditFilterInput(query)
  const errors: ConsoleErrors = { summary: [], fields: {} }
  const refuse = (name: AuditFilterName, message: string) => {
    const field = auditFieldId(name)
    errors.summary.push({ field, text: message })
    errors.fields[field] = message
  }

  if (input.actor.length > 255) refuse('actor', 'Actor must be at most 255 characters.')
  if (input.target.length > 255) refuse('target', 'Target must be at most 255 characters.')
  if (input.action.length > 64 || !/^[^*]*\*?$/.test(input.action))
    refuse('action', 'Action must be an action name, or the start of one followed by a single *.')
  if (!['', 'any', 'success', 'failure'].includes(input.outcome))
    refuse('outcome', 'Outcome must be any, success or failure.')
  const from = input.from === '' ? undefined : parseUtcDateTime(input.from)
  if (input.from !== '' && from === undefined)
    refuse('from', 'From must be a date and time such as 2026-01-31T08:00 (UTC).')
  const to = input.to === '' ? undefined : parseUtcDateTime(input.to)
  if (input.to !== '' && to === undefined)
    refuse('to', 'To must be a date and time such as 2026-01-31T18:00 (UTC).')
  if (from !== undefined && to !== undefined && to <= from) refuse('to', 'To must be later than From.')
  const size = input.size === '' ? DEFAULT_PAGE_SIZE : Number(input.size)
  if (!(auditPageSizes as readonly number[]).includes(size))
    refuse('size', `Events per page must be one of ${auditPageSizes.join(', ')}.`)
  const rawCursor = (query as { cursor?: unknown } | undefined)?.cursor
  const cursorText = typeof rawCursor === 'string' ? rawCursor.trim() : ''
  const cursor = cursorText === '' ? undefined : decodeAuditCursor(cursorText)
  if (cursorText !== '' && !cursor)
    errors.summary.push({
      text: 'The page link is not one this console made. Start again from the newest events.',
    })

  if (errors.summary.length > 0) return { ok: false, input, errors }
  const actors = actorFilter(input.actor)
  const filters: AuditFilters = {
    ...(actors ? { actors } : {}),
    ...(input.target ? { target: input.target } : {}),
    ...actionFilter(input.action),
    ...(input.outcome === 'success' || input.outcome === 'failure' ? { outcome: input.outcome } : {}),
    // The form's "from" includes its instant; the repository's bound is strict.
    ...(from !== undefined ? { after: from - 1 } : {}),
    ...(to !== undefined ? { before: to } : {}),
  }
  return { ok: true, input, filters, size, ...(cursor ? { cursor: cursorText } : {}) }
}

/**
 * The repository query of checked filters in a tenant. A target typed as a user's name also
 * finds the events that name the user by id (most do), as well as events whose target is that
 * text (a role or tenant name). The look-up is one indexed read in this tenant only.
 */
export async function auditQueryOf(
  container: Container,
  tenant: TenantRow,
  filters: AuditFilters,
): Promise<Omit<AuditPageQuery, 'limit' | 'cursor'>> {
  const { target, ...rest } = filters
  if (target === undefined) return { tenantId: tenant.id, ...rest }
  const user = await container.users.find(tenant, target)
  const targets = user && user.id !== target ? [target, user.id] : [target]
  return { tenantId: tenant.id, ...rest, targets }
}

/** The query string of a filter set, without empty values: for page links and exports. */
export function auditSearch(input: AuditFilterInput, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams()
  for (const name of auditFilterNames) if (input[name] !== '') params.set(name, input[name])
  for (const [name, value] of Object.entries(extra)) params.set(name, value)
  const search = params.toString()
  return search ? `?${search}` : ''
}

/** The action select: every action this version writes, each family first as a prefix. */
export function auditActionOptions(selected: string): Array<{ value: string; label: string }> {
  const options: Array<{ value: string; label: string }> = [{ value: '', label: 'Any action' }]
  const families = new Map<string, string[]>()
  for (const action of [...auditActions].sort()) {
    const family = action.slice(0, action.indexOf('.'))
    families.set(family, [...(families.get(family) ?? []), action])
  }
  for (const [family, actions] of families) {
    if (actions.length > 1)
      options.push({ value: `${family}.*`, label: `${family}.* (all ${family} actions)` })
    for (const action of actions) options.push({ value: action, label: action })
  }
  // A link may name an action or prefix the list lacks (`user.reset-*`, an older action).
  if (selected !== '' && !options.some((option) => option.value === selected))
    options.splice(1, 0, { value: selected, label: selected })
  return options
}
