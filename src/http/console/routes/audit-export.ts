import { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import type { Container } from '../../../container.ts'
import type { AuditEventView, AuditPageQuery } from '../../../observability/audit.ts'

/**
 * The most events one export holds, newest first. An export is written while it is read, a
 * batch at a time, so memory stays flat; the cap bounds how long one request may keep the
 * database busy. Narrower filters (a time range) reach older events.
 */
export const AUDIT_EXPORT_MAX = 100_000
const BATCH = 1000

export type AuditExportFormat = 'csv' | 'json'

/** Why a walk stopped: the log ran out, or the cap was reached with events left. */
interface WalkResult {
  truncated: boolean
}

/** Every matching event up to `max`, newest first, in indexed batches that resume after the last one. */
async function* matchingEvents(
  container: Container,
  query: Omit<AuditPageQuery, 'limit' | 'cursor'>,
  max: number,
  result: WalkResult,
): AsyncGenerator<AuditEventView> {
  let cursor: string | undefined
  let count = 0
  for (;;) {
    const page = await container.audit.page(container.store.db, {
      ...query,
      limit: Math.min(BATCH, max - count),
      ...(cursor ? { cursor } : {}),
    })
    for (const event of page.events) yield event
    count += page.events.length
    if (!page.next) return
    if (count >= max) {
      result.truncated = true
      return
    }
    cursor = page.next
  }
}

/**
 * Threat: CSV injection. A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a
 * tab or carriage return before one) as a formula, and actor names, targets and details are
 * text anyone can influence (a failed sign-in records the name as typed). Such a cell gets a
 * leading `'`, which spreadsheets read as "this is text".
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return ''
  const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : String(value)
  // RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

const csvColumns = ['id', 'occurredAt', 'actor', 'action', 'target', 'outcome', 'clientAddress', 'detail']

/** RFC 4180 lines end in CRLF. */
function csvLine(cells: ReadonlyArray<string | number | null>): string {
  return `${cells.map(csvCell).join(',')}\r\n`
}

async function* csvText(events: AsyncIterable<AuditEventView>): AsyncGenerator<string> {
  yield csvLine(csvColumns)
  for await (const event of events)
    yield csvLine([
      event.id,
      event.occurredAt,
      event.actor,
      event.action,
      event.target,
      event.outcome,
      event.clientAddress,
      JSON.stringify(event.detail),
    ])
}

/** One JSON document: what was asked, the events as the admin API shows them, and whether the cap cut it. */
async function* jsonText(
  events: AsyncIterable<AuditEventView>,
  header: Record<string, unknown>,
  result: WalkResult,
): AsyncGenerator<string> {
  const opening = JSON.stringify(header)
  yield `${opening.slice(0, -1)},"events":[`
  let first = true
  for await (const event of events) {
    yield `${first ? '\n' : ',\n'}${JSON.stringify(event)}`
    first = false
  }
  yield `\n],"truncated":${result.truncated}}\n`
}

export interface AuditExport {
  format: AuditExportFormat
  tenantDomain: string
  query: Omit<AuditPageQuery, 'limit' | 'cursor'>
  /** The filters as the form gave them, repeated in the JSON document. */
  filters: Record<string, string>
  /** The cap; AUDIT_EXPORT_MAX unless a test asks for less. */
  maxEvents?: number
}

/** The export's text, produced as it is read. */
export function auditExportBody(container: Container, options: AuditExport): Readable {
  const max = options.maxEvents ?? AUDIT_EXPORT_MAX
  const result: WalkResult = { truncated: false }
  const events = matchingEvents(container, options.query, max, result)
  const header = {
    tenant: options.tenantDomain,
    exportedAt: new Date(container.clock.now()).toISOString(),
    filters: options.filters,
    maxEvents: max,
  }
  return Readable.from(options.format === 'csv' ? csvText(events) : jsonText(events, header, result))
}

/**
 * Sends the export as a download named after the tenant and the day (UTC). The body is
 * streamed; a failure part-way ends the download early rather than sending a page into it.
 */
export function sendAuditExport(container: Container, reply: FastifyReply, options: AuditExport) {
  const day = new Date(container.clock.now()).toISOString().slice(0, 10)
  // The domain is a DNS-style name (letters, digits, `-`, `.`): safe inside the quoted filename.
  const filename = `audit-${options.tenantDomain}-${day}.${options.format}`
  return reply
    .code(200)
    .type(
      options.format === 'csv'
        ? 'text/csv; charset=utf-8; header=present'
        : 'application/json; charset=utf-8',
    )
    .header('content-disposition', `attachment; filename="${filename}"`)
    .send(auditExportBody(container, options))
}
