import type { Kysely } from 'kysely'
import type { Database } from './tables.ts'
import type { TransactionBatcher } from './transaction-batcher.ts'

/** A database handle or an open transaction: repositories work with either. */
export type Executor = Kysely<Database>

/** Stores whose transactions are group-committed (the embedded SQLite store). */
const batchers = new WeakMap<Executor, TransactionBatcher>()

export function useTransactionBatcher(db: Executor, batcher: TransactionBatcher): void {
  batchers.set(db, batcher)
}

export async function inTransaction<T>(db: Executor, work: (trx: Executor) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db)
  const batcher = batchers.get(db)
  if (batcher) return batcher.run(work)
  return db.transaction().execute(work)
}
