import type { SealedBox } from '../../security/sealed-box.ts'
import type { TemplateValues } from '../templates/index.ts'

/** A message's body as sent: both parts of the multipart/alternative message. */
export interface MessageBody {
  html: string
  text: string
}

/**
 * What the outbox keeps, sealed, in a message's `body_sealed`:
 * - while the message waits for delivery, the **values** its template is filled with (about
 *   200 bytes instead of a rendered body of several kilobytes: a bulk reset queues a hundred
 *   thousand messages, and every byte is written to the table and the log);
 * - once the built-in mailbox holds it, the values and the id of a **snapshot** of the body
 *   template it was rendered with (template-snapshots.ts, decision 0028), or where no snapshot
 *   was at hand the **rendered** body: either way reading it later shows what was delivered,
 *   whatever the template has become since.
 * Sealed because all of them carry reset links and one-time codes (threat: a copy of the
 * database). The snapshot id is sealed with the values: a message cannot be pointed at another
 * template without the server key.
 */
export type StoredBody =
  | { kind: 'values'; values: TemplateValues }
  | { kind: 'snapshot'; values: TemplateValues; snapshot: string }
  | { kind: 'rendered'; body: MessageBody }

export function sealValues(box: SealedBox, id: string, values: TemplateValues): string {
  return box.seal(JSON.stringify({ values }), id)
}

export function sealSnapshotted(
  box: SealedBox,
  id: string,
  values: TemplateValues,
  snapshot: string,
): string {
  return box.seal(JSON.stringify({ values, snapshot }), id)
}

export function sealRendered(box: SealedBox, id: string, body: MessageBody): string {
  return box.seal(JSON.stringify({ html: body.html, text: body.text }), id)
}

/**
 * The stored body of message `id`, or undefined when it does not open with this box (another
 * server key) or holds none of the shapes. Messages queued before values were stored hold the
 * rendered body, and open as such.
 */
export function openStoredBody(box: SealedBox, id: string, sealed: string): StoredBody | undefined {
  const plain = box.open(sealed, id)
  if (plain === undefined) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(plain)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const record = parsed as Record<string, unknown>
  if (typeof record.html === 'string' && typeof record.text === 'string')
    return { kind: 'rendered', body: { html: record.html, text: record.text } }
  if (!isValues(record.values)) return undefined
  if (typeof record.snapshot === 'string')
    return { kind: 'snapshot', values: record.values, snapshot: record.snapshot }
  return { kind: 'values', values: record.values }
}

function isValues(value: unknown): value is TemplateValues {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((entry) => typeof entry === 'string')
  )
}
