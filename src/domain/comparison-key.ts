/**
 * The form in which case-insensitive values are compared, stored and indexed: user names,
 * claim values for SCIM filters. One function for every engine and for in-memory checks, so
 * a filter means the same on SQLite, PostgreSQL and in a test oracle.
 */
export function comparisonKey(value: string): string {
  return value.normalize('NFKC').toLowerCase()
}

/**
 * Orders by Unicode code point. JavaScript's `<` compares UTF-16 units, which puts U+FFFF
 * after U+10000; UTF-8 byte order, which SQL uses, does not.
 */
export function compareCodePoints(left: string, right: string): number {
  let index = 0
  while (index < left.length && index < right.length) {
    const a = left.codePointAt(index)!
    const b = right.codePointAt(index)!
    if (a !== b) return a < b ? -1 : 1
    index += a > 0xffff ? 2 : 1
  }
  return left.length === right.length ? 0 : index < left.length ? 1 : -1
}
