import type { Kysely } from 'kysely'
import type { Database } from './tables.ts'

/** A database handle or an open transaction: repositories work with either. */
export type Executor = Kysely<Database>

export async function inTransaction<T>(db: Executor, work: (trx: Executor) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db)
  return db.transaction().execute(work)
}
