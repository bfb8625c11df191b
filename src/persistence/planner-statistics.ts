import { sql } from 'kysely'
import { isPostgres } from './dialect.ts'
import type { Executor } from './executor.ts'

/** Tables whose statistics a bulk write may have made stale. */
export type AnalyzedTable = 'bulk_reset_targets' | 'outbox_messages'

/**
 * Refreshes PostgreSQL's planner statistics of tables a bulk write has just grown by orders of
 * magnitude. Plans are chosen from statistics taken when the table was small: the outbox's
 * lease, planned for "a few queued rows", read and sorted all 100,000 queued messages of a bulk
 * reset (90 ms per lease instead of under 1 ms) until autovacuum came by, which may be minutes
 * later or, with autovacuum off, never. ANALYZE samples a bounded number of rows, so it costs
 * the same at any size. No-op on SQLite, whose planner works from the indexes themselves.
 */
export async function refreshPlannerStatistics(
  db: Executor,
  tables: readonly AnalyzedTable[],
): Promise<void> {
  if (!isPostgres(db) || tables.length === 0) return
  await sql`analyze ${sql.join(tables.map((table) => sql.table(table)))}`.execute(db)
}
