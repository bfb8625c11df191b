/** Entries read from an `Accept-Language` header: a longer list is not worth the parsing. */
const MAX_ENTRIES = 20

/**
 * The language tags of an `Accept-Language` header, most preferred first: by quality value,
 * equal ones in the header's order; `*`, empty entries and `q=0` left out. Tags are trimmed but
 * otherwise as sent: callers match them by their own rules.
 */
export function rankedLocaleTags(header: string | undefined): string[] {
  if (!header) return []
  return header
    .split(',')
    .slice(0, MAX_ENTRIES)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';')
      const quality = params.map((param) => /^\s*q=([0-9.]+)\s*$/.exec(param)?.[1]).find(Boolean)
      return { tag: tag.trim(), quality: quality === undefined ? 1 : Number(quality), index }
    })
    .filter((entry) => entry.tag !== '' && entry.tag !== '*' && entry.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index)
    .map((entry) => entry.tag)
}
