import { type Command, InvalidArgumentError, Option } from 'commander'
import { type AuditEventView, type AuditPage, decodeAuditCursor } from '../../observability/audit.ts'
import { integerIn } from '../arguments.ts'
import { type GlobalOptions, withContext } from '../context.ts'

/** The API's largest page: longer listings are read a page at a time. */
const PAGE = 1000
const DETAIL_WIDTH = 60
const columns = ['time', 'actor', 'action', 'target', 'outcome', 'detail']

interface ListOptions {
  action?: string
  actor?: string
  target?: string
  outcome?: 'success' | 'failure'
  since?: number
  until?: number
  limit: number
  cursor?: string
}

/** `user.reset-*` selects actions by prefix, as in the API; a `*` anywhere else is a typo. */
function actionFilter(value: string): string {
  if (value.length > 64 || !/^[^*]*\*?$/.test(value))
    throw new InvalidArgumentError(
      'expected an action such as user.reset-forced, or a prefix such as user.reset-*.',
    )
  return value
}

/**
 * An ISO 8601 date (`2026-01-31`, midnight UTC) or date and time with a zone
 * (`2026-01-31T08:00:00Z`). A time without a zone would mean the machine's zone: refused, so
 * two operators reading the same log never see different answers.
 */
function instant(value: string): number {
  const trimmed = value.trim()
  const shape = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/
  const parsed = Date.parse(trimmed)
  if (!shape.test(trimmed) || Number.isNaN(parsed))
    throw new InvalidArgumentError(
      'expected an ISO 8601 date or date-time with a zone, such as 2026-01-31T08:00:00Z.',
    )
  return parsed
}

function cursor(value: string): string {
  if (!decodeAuditCursor(value))
    throw new InvalidArgumentError('expected the `next` value of an earlier `audit list --json`.')
  return value
}

/** `key=value` pairs of an event's detail (its client first), cut to fit a table column. */
export function shortDetail(event: AuditEventView): string {
  const pairs = [
    ...(event.clientAddress ? [`client=${event.clientAddress}`] : []),
    ...Object.entries(event.detail).map(
      ([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
    ),
  ]
  const text = pairs.join(' ')
  return text.length > DETAIL_WIDTH ? `${text.slice(0, DETAIL_WIDTH - 1)}…` : text
}

function row(event: AuditEventView) {
  return {
    time: event.occurredAt,
    actor: event.actor,
    action: event.action,
    target: event.target,
    outcome: event.outcome,
    detail: shortDetail(event),
  }
}

export function registerAuditCommands(program: Command, globals: () => GlobalOptions): void {
  const audit = program.command('audit').description('Read the audit log of a tenant')

  audit
    .command('list')
    .description('List audit events, newest first, with filters')
    .option('--action <action>', 'one action, or a prefix ending in * (user.reset-*)', actionFilter)
    .option('--actor <actor>', 'as printed: user:<name>, token:<name>, cli:cli, anonymous:<name>')
    .option('--target <target>', 'the target as printed (usually a user id)')
    .addOption(
      new Option('--outcome <outcome>', 'only successes or failures').choices(['success', 'failure']),
    )
    .option('--since <time>', 'events at or after this ISO 8601 time', instant)
    .option('--until <time>', 'events at or before this ISO 8601 time', instant)
    .option('--limit <n>', 'events (1-10000)', integerIn(1, 10_000), 50)
    .option('--cursor <next>', 'continue after an earlier listing (its `next` value)', cursor)
    .action(async (options: ListOptions) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const tenantId = (await tenant()).id
        const events: AuditEventView[] = []
        let next: string | null | undefined = options.cursor
        // Times are whole milliseconds, so "at or after" is "strictly after one ms earlier".
        const filters = {
          tenantId,
          ...(options.action?.endsWith('*')
            ? { actionPrefix: options.action.slice(0, -1) }
            : { action: options.action }),
          actor: options.actor,
          target: options.target,
          outcome: options.outcome,
          after: options.since === undefined ? undefined : options.since - 1,
          before: options.until === undefined ? undefined : options.until + 1,
        }
        do {
          const page: AuditPage = await container.audit.page(container.store.db, {
            ...filters,
            limit: Math.min(PAGE, options.limit - events.length),
            cursor: next ?? undefined,
          })
          events.push(...page.events)
          next = page.next
        } while (next && events.length < options.limit)
        out.data({ events, next: next ?? null }, { columns, rows: events.map(row) })
        if (!out.json && next) out.info(`More events: add --cursor ${next}`)
      })
    })
}
