/**
 * The form in which case-insensitive values are compared, stored and indexed: user names,
 * claim values for SCIM filters. One function for every engine and for in-memory checks, so
 * a filter means the same on SQLite, PostgreSQL and in a test oracle.
 */
export function comparisonKey(value: string): string {
  return value.normalize('NFKC').toLowerCase()
}
