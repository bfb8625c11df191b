import type { OutboxMessageView } from '../../../notifications/outbox-service.ts'

/** Messages per page of the outbox and the mailbox. */
export const PAGE_SIZE = 50

/** The querystring properties of a page of messages: newest first, then older than a cursor. */
export const cursorQuery = {
  before: {
    type: 'string',
    pattern: '^[0-9]{1,15}$',
    description: 'Creation time (ms) of the last message seen',
  },
  beforeId: { type: 'string', maxLength: 64, description: 'Id of the last message seen' },
}

export interface CursorQuery {
  before?: string
  beforeId?: string
}

/** The use case's paging from the query: messages older than the last one shown. */
export function cursorOf(query: CursorQuery): { before?: number; beforeId?: string } {
  if (query.before === undefined) return {}
  return { before: Number(query.before), ...(query.beforeId ? { beforeId: query.beforeId } : {}) }
}

/**
 * The page shown and links to the next (older) one and back to the newest. Listings are keyset
 * pages: each reads PAGE_SIZE + 1 rows through the index, however large the outbox is, so there
 * is no "page N of M" to count.
 */
export function pageOf(
  messages: OutboxMessageView[],
  query: CursorQuery,
  linkTo: (cursor: Record<string, string>) => string,
) {
  const shown = messages.slice(0, PAGE_SIZE)
  const last = shown.at(-1)
  const older =
    messages.length > PAGE_SIZE && last
      ? linkTo({ before: String(Date.parse(last.createdAt)), beforeId: last.id })
      : undefined
  return { shown, older, newest: query.before !== undefined ? linkTo({}) : undefined }
}

/** A listing's link with its filters kept and empty ones left out. */
export function listLink(path: string, filters: Record<string, string | undefined>): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value)
  const query = params.toString()
  return query ? `${path}?${query}` : path
}
