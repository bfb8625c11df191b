import { type Kysely, type QueryResult, sql } from 'kysely'
import { useImmediateRunner } from './executor.ts'
import type { Database } from './tables.ts'

type Work<T> = (trx: Kysely<Database>) => Promise<T>

interface Pending {
  work: Work<unknown>
  resolve(value: unknown): void
  reject(error: unknown): void
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

/**
 * Group commit for the embedded store. SQLite has one writer and a commit costs more than the
 * statements of a typical write (WAL frames for every page touched, file locks); transactions
 * that queue while one runs are run together in the next one, each inside its own savepoint,
 * and committed once. A work that fails is rolled back to its savepoint and fails alone; a
 * failed commit fails every work of the batch. A work's promise settles only after the commit,
 * so nobody answers for a change that is not stored. Uncontended, a transaction runs exactly as
 * it would without batching.
 */
export class TransactionBatcher {
  private readonly queue: Pending[] = []
  private draining = false

  /**
   * `runHeld`: runs a statement on the connection an open transaction holds, at once (the
   * embedded store's driver). Each transaction of the batcher may use it while it is open.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly runHeld?: (sql: string, parameters: readonly unknown[]) => QueryResult<unknown>,
    private readonly maxBatch = 32,
  ) {}

  /** A transaction of the batcher, whose statements may skip Kysely's queue while it is open. */
  private async transaction<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    const { runHeld } = this
    if (!runHeld) return this.db.transaction().execute(work)
    return this.db.transaction().execute(async (trx) => {
      let open = true
      useImmediateRunner(trx, (text, parameters) => (open ? runHeld(text, parameters) : undefined))
      try {
        return await work(trx)
      } finally {
        // Threat: a handle kept past its transaction must not write outside one.
        open = false
      }
    })
  }

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
      // Started on the next turn of the event loop, not now: requests whose reads are done in
      // this turn queue their writes first and share the commit.
      if (!this.draining) {
        this.draining = true
        setImmediate(() => void this.drain())
      }
    })
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.runBatch(this.queue.splice(0, this.maxBatch))
    } finally {
      this.draining = false
    }
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch as [Pending]
      try {
        only.resolve(await this.transaction(only.work))
      } catch (error) {
        only.reject(error)
      }
      return
    }
    const outcomes: Outcome[] = []
    try {
      await this.transaction(async (trx) => {
        for (const item of batch) outcomes.push(await this.inSavepoint(trx, item.work))
      })
    } catch (error) {
      for (const item of batch) item.reject(error)
      return
    }
    batch.forEach((item, index) => {
      const outcome = outcomes[index]!
      if (outcome.ok) item.resolve(outcome.value)
      else item.reject(outcome.error)
    })
  }

  private async inSavepoint(trx: Kysely<Database>, work: Work<unknown>): Promise<Outcome> {
    await sql`savepoint batched_work`.execute(trx)
    try {
      const value = await work(trx)
      await sql`release batched_work`.execute(trx)
      return { ok: true, value }
    } catch (error) {
      await sql`rollback to batched_work`.execute(trx)
      await sql`release batched_work`.execute(trx)
      return { ok: false, error }
    }
  }
}
