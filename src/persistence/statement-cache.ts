import type { Database as SqliteHandle, Statement } from 'better-sqlite3'
import type { SqliteDatabase } from 'kysely'

/** A connection whose statements tell whether they write (better-sqlite3's `readonly`). */
export interface StatementSource extends SqliteDatabase {
  prepare(sql: string): Statement
}

/**
 * Kysely prepares every SQLite statement anew; preparing costs more than running most of our
 * queries. Query text is parameterised, so the set of distinct statements is small: keep the
 * prepared ones, bounded (variable-length `in (…)` lists produce new texts) and evicting the
 * oldest first.
 */
export function withStatementCache(handle: SqliteHandle, maxStatements = 500): StatementSource {
  const statements = new Map<string, Statement>()
  return {
    close: () => {
      statements.clear()
      handle.close()
    },
    prepare(sql: string) {
      let statement = statements.get(sql)
      if (!statement) {
        statement = handle.prepare(sql)
        if (statements.size >= maxStatements) {
          const oldest = statements.keys().next().value
          if (oldest !== undefined) statements.delete(oldest)
        }
        statements.set(sql, statement)
      }
      return statement
    },
  }
}
