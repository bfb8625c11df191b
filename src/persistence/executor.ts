import { CompiledQuery, type Kysely, type QueryResult } from 'kysely'
import type { Database } from './tables.ts'
import type { TransactionBatcher } from './transaction-batcher.ts'

/** A database handle or an open transaction: repositories work with either. */
export type Executor = Kysely<Database>

/** Stores whose transactions are group-committed (the embedded SQLite store). */
const batchers = new WeakMap<Executor, TransactionBatcher>()

export function useTransactionBatcher(db: Executor, batcher: TransactionBatcher): void {
  batchers.set(db, batcher)
}

/** Runs a statement at once if the store's connection is free; undefined when it is not. */
export type ImmediateRunner = (
  sql: string,
  parameters: readonly unknown[],
) => QueryResult<unknown> | undefined

/** Stores that can run a statement without queueing for their connection (the embedded store). */
const immediateRunners = new WeakMap<Executor, ImmediateRunner>()

export function useImmediateRunner(db: Executor, runner: ImmediateRunner): void {
  immediateRunners.set(db, runner)
}

/** The immediate runner of `db`: a store's own handle, or an open transaction of its group commit. */
export function immediateRunnerOf(db: Executor): ImmediateRunner | undefined {
  return immediateRunners.get(db)
}

/**
 * Runs one statement: at once through the store's immediate runner when it can (the embedded
 * store with its connection free, or the transaction holding it), else through Kysely.
 */
export async function executeRaw<Row>(
  db: Executor,
  text: string,
  parameters: readonly unknown[],
): Promise<QueryResult<Row>> {
  const immediate = immediateRunners.get(db)?.(text, parameters)
  if (immediate) return immediate as QueryResult<Row>
  return db.executeQuery<Row>(CompiledQuery.raw(text, parameters as unknown[]))
}

export async function inTransaction<T>(db: Executor, work: (trx: Executor) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db)
  const batcher = batchers.get(db)
  if (batcher) return batcher.run(work)
  return db.transaction().execute(work)
}
