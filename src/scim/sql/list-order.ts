import { type RawBuilder, sql } from 'kysely'

export type SortOrder = 'ascending' | 'descending'

/**
 * ORDER BY for a sort key that may be absent: absent values sort last when ascending and first
 * when descending (as if larger than every value), the same on both engines; the id breaks
 * ties so pages never overlap. Text sorts by code point on PostgreSQL as on SQLite; numeric
 * keys (instants stored as epoch milliseconds) take no collation, which PostgreSQL refuses.
 */
export function orderBy(
  key: RawBuilder<unknown>,
  order: SortOrder,
  postgres: boolean,
  tieBreak: RawBuilder<unknown>,
  keyType: 'text' | 'number' = 'text',
  nullable = true,
) {
  const ordered = postgres && keyType === 'text' ? sql`${key} collate "C"` : key
  // A key that always has a value orders by itself alone, so an index on it serves the sort.
  if (!nullable)
    return order === 'ascending'
      ? sql`${ordered} asc, ${tieBreak} asc`
      : sql`${ordered} desc, ${tieBreak} desc`
  return order === 'ascending'
    ? sql`(case when ${key} is null then 1 else 0 end), ${ordered} asc, ${tieBreak} asc`
    : sql`(case when ${key} is null then 1 else 0 end) desc, ${ordered} desc, ${tieBreak} desc`
}
