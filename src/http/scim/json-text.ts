import { scimError } from '../../scim/errors.ts'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/**
 * A SCIM body as text: UTF-8 only (RFC 7644 §3.8, RFC 8259 §8.1). A declared charset other than
 * UTF-8 is refused rather than read as UTF-8, and so are bytes that are not UTF-8: decoding them
 * leniently would store replacement characters the client never sent.
 */
export function utf8Text(contentType: string | undefined, bytes: Buffer): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase()
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    throw scimError.unsupportedMediaType(`SCIM bodies are UTF-8, not ${charset.slice(0, 40)}.`)
  try {
    return strictUtf8.decode(bytes)
  } catch {
    throw scimError.invalidSyntax('The body is not valid UTF-8.')
  }
}

/** An unpaired surrogate, as `\uXXXX`, in any string (name or value) of a parsed body. */
const UNPAIRED = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

export function unpairedSurrogateIn(value: unknown): string | undefined {
  // Iterative: a body may nest thousands of levels deep, past what recursion would survive.
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const next = pending.pop()
    if (typeof next === 'string') {
      const found = UNPAIRED.exec(next)?.[0]
      if (found !== undefined) return `\\u${found.charCodeAt(0).toString(16).toUpperCase()}`
    } else if (typeof next === 'object' && next !== null) {
      for (const [key, inner] of Object.entries(next)) pending.push(key, inner)
    }
  }
  return undefined
}
