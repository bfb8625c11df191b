import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import type { Clock } from '../../domain/clock.ts'
import type { AuditLog } from '../../observability/audit.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import { type AnalyzedTable, refreshPlannerStatistics } from '../../persistence/planner-statistics.ts'
import { isStoreUnavailable } from '../../persistence/store-errors.ts'
import type { ResetPolicySource } from '../forced-reset/reset-policy.ts'
import type { BatchTrigger } from '../forced-reset/trigger-batch.ts'
import {
  type BatchContext,
  completeJob,
  forceRange,
  LeaseLost,
  type Progress,
  recordFinished,
} from './batch.ts'
import { type BulkResetJobRow, bulkResetRepository, type TargetRange } from './repository.ts'

export interface BulkResetRunnerOptions {
  /** Users per batch: one transaction each, with the removal of its targets and the job's counts. */
  batchSize: number
  /**
   * Batches of one job run side by side, each in its own transaction on its own connection
   * (PostgreSQL, `storage.bulk_reset_parallel_batches`). The embedded store has one writer: one.
   */
  parallelBatches: number
  /** How long a lease lasts without a batch renewing it: how soon another process takes over a dead one's job. */
  leaseMs: number
  /** How often an idle runner looks for jobs (another instance's, or one left by a crash). */
  pollMs: number
}

export const DEFAULT_RUNNER_OPTIONS: BulkResetRunnerOptions = {
  // Larger batches write each touched page of the users table and the indexes once for more
  // users (on SQLite a commit writes every page the batch dirtied); smaller ones hold the
  // embedded store's single writer for shorter (two thousand: a few tenths of a second each).
  batchSize: 2000,
  parallelBatches: 1,
  leaseMs: 30_000,
  pollMs: 2_000,
}

/**
 * Batches a bulk reset runs at once: one on the embedded store (one writer); on PostgreSQL
 * `bulk_reset_parallel_batches`, leaving one connection of the pool for requests.
 */
export function parallelBatchesFor(
  postgres: boolean,
  storage: { bulk_reset_parallel_batches: number; pool_size: number },
): number {
  if (!postgres) return 1
  return Math.max(1, Math.min(storage.bulk_reset_parallel_batches, storage.pool_size - 1))
}

/** After a store outage, the runner waits this long before it tries the batch again. */
const RETRY_AFTER_OUTAGE_MS = 1_000

export type { Progress } from './batch.ts'

/** Why a job's batches stopped before its targets ran out. */
type Halt = { kind: 'lease-lost' } | { kind: 'failed'; error: unknown }

/**
 * Runs bulk reset jobs: leases a job, then forces its targets in batches of consecutive user
 * ids, each batch with the removal of its targets and the job's counts in ONE transaction, so
 * a crash leaves every user either fully forced (with its mail queued) or untouched, and
 * exactly the untouched users as the job's targets. Only the lease holder can move the counts;
 * a process that dies leaves its lease to run out, and any runner (this one after a restart,
 * or another instance) leases the job again and goes on with the targets left. Cancelling a
 * job (another transaction) makes the batches in flight roll back: the job stops after the
 * batches that committed. On PostgreSQL several batches run at once (`parallelBatches`): the
 * store then works on more than one core.
 */
export class BulkResetRunner {
  readonly id = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString('hex')}`
  private running = false
  /** Set by `stop`: jobs in hand are handed over after their batch in flight. */
  private stopping = false
  private loop: Promise<void> | undefined
  private wake: (() => void) | undefined
  private nudged = false
  /** Jobs this runner is forcing now (the loop runs one at a time; `runJob` may run another). */
  private jobsInHand = 0
  private readonly idleListeners = new Set<() => void>()

  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly policies: ResetPolicySource,
    private readonly trigger: BatchTrigger,
    private readonly logger: Logger,
    private readonly options: BulkResetRunnerOptions = DEFAULT_RUNNER_OPTIONS,
  ) {}

  /** Runs jobs until `stop`: every job with work left and no live lease, then polls. */
  start(): void {
    if (this.running) return
    this.running = true
    this.stopping = false
    this.loop = this.run()
  }

  /** Stops after the batch in flight; the job's lease is given up so another process goes on at once. */
  async stop(): Promise<void> {
    this.running = false
    this.stopping = true
    this.wake?.()
    await this.loop
    this.loop = undefined
  }

  /** A runner with the same collaborators and other options (a batch size for one CLI run, tests). */
  withOptions(options: Partial<BulkResetRunnerOptions>): BulkResetRunner {
    return new BulkResetRunner(this.db, this.clock, this.audit, this.policies, this.trigger, this.logger, {
      ...this.options,
      ...options,
    })
  }

  /** True while this runner is forcing a job's users (DeliveryPriority). */
  get busy(): boolean {
    return this.jobsInHand > 0
  }

  /** Calls `listener` each time this runner has no job in hand any more. */
  onIdle(listener: () => void): () => void {
    this.idleListeners.add(listener)
    return () => this.idleListeners.delete(listener)
  }

  /** A job was created in this process: look now rather than at the next poll. */
  nudge(): void {
    this.nudged = true
    this.wake?.()
  }

  /** Runs every job that can be leased now, to its end (the CLI, tests); the number run. */
  async runPending(): Promise<number> {
    let count = 0
    while (!this.stopping) {
      const job = await this.lease()
      if (!job) break
      await this.runLeased(job)
      count++
    }
    return count
  }

  /**
   * Runs one job to its end, leasing it first unless this runner holds it already (a job the
   * CLI created with its lease); `onProgress` hears after every batch, and the next batch
   * waits for it. The job's row at the end.
   */
  async runJob(
    jobId: string,
    onProgress?: (progress: Progress) => void | Promise<void>,
  ): Promise<BulkResetJobRow | undefined> {
    const job =
      (await this.db
        .selectFrom('bulk_reset_jobs')
        .selectAll()
        .where('id', '=', jobId)
        .where('lease_owner', '=', this.id)
        .executeTakeFirst()) ?? (await this.lease(jobId))
    if (job) await this.runLeased(job, onProgress)
    return this.db.selectFrom('bulk_reset_jobs').selectAll().where('id', '=', jobId).executeTakeFirst()
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.nudged = false
      try {
        await this.runPending()
      } catch (error) {
        this.logger.error(
          { err: messageOf(error) },
          'bulk reset runner failed; trying again at the next poll',
        )
      }
      if (this.running && !this.nudged) await this.sleep(this.options.pollMs)
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wake = done
    })
  }

  private batchContext(): BatchContext {
    const { clock, audit, policies, trigger } = this
    return { clock, audit, policies, trigger, owner: this.id, ...this.options }
  }

  private lease(onlyId?: string): Promise<BulkResetJobRow | undefined> {
    const now = this.clock.now()
    return inTransaction(this.db, (trx) =>
      bulkResetRepository.lease(trx, {
        owner: this.id,
        now,
        leaseUntil: now + this.options.leaseMs,
        onlyId,
      }),
    )
  }

  private async runLeased(
    job: BulkResetJobRow,
    onProgress?: (progress: Progress) => void | Promise<void>,
  ): Promise<void> {
    this.jobsInHand++
    try {
      await this.forceAll(job, onProgress)
    } finally {
      this.jobsInHand--
      if (this.jobsInHand === 0) for (const listener of this.idleListeners) listener()
    }
  }

  private async forceAll(
    job: BulkResetJobRow,
    onProgress?: (progress: Progress) => void | Promise<void>,
  ): Promise<void> {
    // A job of more than one batch grows tables by orders of magnitude: its targets were all
    // recorded at once, and its first batch queues thousands of messages for the outbox's lease.
    const large = job.total > this.options.batchSize
    if (large) await this.refreshStatistics(job, ['bulk_reset_targets'])
    this.logger.info(
      {
        jobId: job.id,
        total: job.total,
        doneBefore: job.done + job.failed,
        parallel: this.options.parallelBatches,
      },
      'bulk reset job started',
    )
    const context = this.batchContext()
    for (;;) {
      const halt = await this.forceTargets(job, context, large, onProgress)
      if (halt) return this.stopEarly(job, halt)
      // Stopping (the process shuts down): hand the job over at once, not after the lease.
      if (this.stopping) return this.release(job)
      try {
        if (await completeJob(this.db, context, job)) {
          this.logger.info({ jobId: job.id }, 'bulk reset job completed')
          return
        }
        // Targets are left (a batch rolled back after an outage): force them too.
      } catch (error) {
        const halted = haltFor(error)
        if (halted) return this.stopEarly(job, halted)
        this.logger.warn(
          { jobId: job.id, err: messageOf(error) },
          'store unreachable; bulk job completion retried',
        )
        await delay(RETRY_AFTER_OUTAGE_MS)
      }
    }
  }

  /** A job whose lease is gone stops quietly; one whose error no retry mends fails. */
  private async stopEarly(job: BulkResetJobRow, halt: Halt): Promise<void> {
    if (halt.kind === 'failed') return this.fail(job, halt.error)
    this.logger.info({ jobId: job.id }, 'bulk reset job cancelled or taken over; stopped')
  }

  /**
   * Forces every target left, `parallelBatches` batches at a time: each lane takes the next
   * range of targets and runs it in its own transaction. Ranges are handed out in id order,
   * one at a time. Returns why it stopped early, if it did; `stop` lets the batches in flight
   * finish and starts no more.
   */
  private async forceTargets(
    job: BulkResetJobRow,
    context: BatchContext,
    large: boolean,
    onProgress?: (progress: Progress) => void | Promise<void>,
  ): Promise<Halt | undefined> {
    let halt: Halt | undefined
    let after: string | null = null
    let handedOut: Promise<unknown> = Promise.resolve()
    let committed = 0
    const nextRange = (): Promise<TargetRange | undefined> => {
      const next = handedOut.then(async () => {
        if (halt || this.stopping) return undefined
        const range = await bulkResetRepository.nextTargetRange(
          this.db,
          job.id,
          after,
          this.options.batchSize,
        )
        if (range) after = range.last
        return range
      })
      handedOut = next.catch(() => undefined)
      return next
    }
    // An outage rolls a batch back: the lane tries the same range again (never another lane's,
    // which may be in flight), and a range already committed comes back empty.
    const untilAvailable = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
      for (;;) {
        try {
          return await work()
        } catch (error) {
          halt ??= haltFor(error)
          if (halt) return undefined
          this.logger.warn({ jobId: job.id, err: messageOf(error) }, 'store unreachable; bulk batch retried')
          await delay(RETRY_AFTER_OUTAGE_MS)
          // Shutting down: the job is handed over with the batch rolled back.
          if (halt || this.stopping) return undefined
        }
      }
    }
    const lane = async (): Promise<void> => {
      for (;;) {
        const range = await untilAvailable(nextRange)
        if (!range) return
        const progress = await untilAvailable(() => forceRange(this.db, context, job, range))
        if (!progress) return
        if (large && ++committed === 1) await this.refreshStatistics(job, ['outbox_messages'])
        await onProgress?.(progress)
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, this.options.parallelBatches) }, lane))
    return halt
  }

  private async release(job: BulkResetJobRow): Promise<void> {
    await bulkResetRepository.release(this.db, job.id, this.id, this.clock.now()).catch((error) => {
      // The lease then runs out by itself.
      this.logger.warn({ jobId: job.id, err: messageOf(error) }, 'bulk reset lease not released')
    })
  }

  /** See refreshPlannerStatistics; a failure costs speed, never the job. */
  private async refreshStatistics(job: BulkResetJobRow, tables: readonly AnalyzedTable[]): Promise<void> {
    await refreshPlannerStatistics(this.db, tables).catch((error) =>
      this.logger.warn({ jobId: job.id, tables, err: messageOf(error) }, 'planner statistics not refreshed'),
    )
  }

  /** An error no retry mends (a defect, a constraint): the job stops as failed, with the reason kept. */
  private async fail(job: BulkResetJobRow, error: unknown): Promise<void> {
    this.logger.error({ jobId: job.id, err: messageOf(error) }, 'bulk reset job failed')
    await inTransaction(this.db, async (trx) => {
      const ended = await bulkResetRepository.finish(trx, {
        jobId: job.id,
        owner: this.id,
        status: 'failed',
        now: this.clock.now(),
        error: messageOf(error).slice(0, 500),
      })
      if (!ended) return
      await bulkResetRepository.dropTargets(trx, job.id)
      await recordFinished(trx, this.audit, job.id, 'failed')
    })
  }
}

/** Why an error stops a job's batches; undefined for an outage, which is waited out and retried. */
function haltFor(error: unknown): Halt | undefined {
  if (error instanceof LeaseLost) return { kind: 'lease-lost' }
  return isStoreUnavailable(error) ? undefined : { kind: 'failed', error }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
