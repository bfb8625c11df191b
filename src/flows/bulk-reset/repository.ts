import { sql } from 'kysely'
import { isPostgres } from '../../persistence/dialect.ts'
import type { Executor } from '../../persistence/executor.ts'
import { insertRows } from '../../persistence/multi-row.ts'
import type { BulkResetFailuresTable, BulkResetJobsTable, BulkResetStatus } from '../../persistence/tables.ts'

export type BulkResetJobRow = BulkResetJobsTable
export type BulkResetFailureRow = BulkResetFailuresTable

/** Statuses in which a job still has work to do. */
export const ACTIVE_STATUSES: readonly BulkResetStatus[] = ['queued', 'running']

/** Consecutive targets of a job, first and last included, in the store's order of user ids. */
export interface TargetRange {
  first: string
  last: string
}

/** What a batch moves the job on by, written in the batch's own transaction. */
export interface Advance {
  jobId: string
  owner: string
  done: number
  failed: number
  now: number
  leaseUntil: number
}

export const bulkResetRepository = {
  async insert(db: Executor, row: BulkResetJobRow): Promise<void> {
    await db.insertInto('bulk_reset_jobs').values(row).execute()
  },

  find(db: Executor, tenantId: string, id: string): Promise<BulkResetJobRow | undefined> {
    return db
      .selectFrom('bulk_reset_jobs')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
  },

  list(
    db: Executor,
    tenantId: string,
    query: { limit: number; status?: BulkResetStatus | undefined },
  ): Promise<BulkResetJobRow[]> {
    let select = db.selectFrom('bulk_reset_jobs').selectAll().where('tenant_id', '=', tenantId)
    if (query.status) select = select.where('status', '=', query.status)
    return select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute()
  },

  /**
   * Leases the oldest job with work left whose lease is free or ran out (`onlyId`: that job
   * only) and marks it running. On PostgreSQL, SKIP LOCKED lets instances lease side by side;
   * SQLite has one writer.
   */
  async lease(
    db: Executor,
    lease: { owner: string; now: number; leaseUntil: number; onlyId?: string | undefined },
  ): Promise<BulkResetJobRow | undefined> {
    const lock = isPostgres(db) ? sql`for update skip locked` : sql``
    const only = lease.onlyId === undefined ? sql`` : sql`and id = ${lease.onlyId}`
    const { rows } = await sql<BulkResetJobRow>`
      update bulk_reset_jobs
      set status = 'running', lease_owner = ${lease.owner}, lease_expires_at = ${lease.leaseUntil},
        started_at = coalesce(started_at, ${lease.now}), updated_at = ${lease.now}
      where id = (
        select id from bulk_reset_jobs
        where status in ('queued', 'running')
          and (lease_expires_at is null or lease_expires_at <= ${lease.now}) ${only}
        order by created_at, id
        limit 1
        ${lock}
      )
      returning *`.execute(db)
    return rows[0]
  },

  /**
   * Moves the counts and renews the lease, in the batch's transaction: only while the job is
   * still running under this lease. False means the job was cancelled or taken over meanwhile,
   * and the batch must not commit. Batches running side by side each add their own counts
   * (the row lock orders them, for as long as each takes to commit).
   */
  async advance(db: Executor, move: Advance): Promise<boolean> {
    const result = await db
      .updateTable('bulk_reset_jobs')
      .set((eb) => ({
        done: eb('done', '+', move.done),
        failed: eb('failed', '+', move.failed),
        updated_at: move.now,
        lease_expires_at: move.leaseUntil,
      }))
      .where('id', '=', move.jobId)
      .where('status', '=', 'running')
      .where('lease_owner', '=', move.owner)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  },

  /** Ends a job this runner holds; false when it was cancelled or taken over meanwhile. */
  async finish(
    db: Executor,
    end: { jobId: string; owner: string; status: 'completed' | 'failed'; now: number; error?: string },
  ): Promise<boolean> {
    const result = await db
      .updateTable('bulk_reset_jobs')
      .set({
        status: end.status,
        finished_at: end.now,
        updated_at: end.now,
        lease_owner: null,
        lease_expires_at: null,
        error: end.error ?? null,
      })
      .where('id', '=', end.jobId)
      .where('status', '=', 'running')
      .where('lease_owner', '=', end.owner)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  },

  /** Cancels a job with work left; false when it had already ended. */
  async cancel(db: Executor, tenantId: string, id: string, now: number): Promise<boolean> {
    const result = await db
      .updateTable('bulk_reset_jobs')
      .set({
        status: 'cancelled',
        finished_at: now,
        updated_at: now,
        lease_owner: null,
        lease_expires_at: null,
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('status', 'in', ACTIVE_STATUSES)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  },

  /** Gives up a lease without ending the job (the runner stops), so another process can go on at once. */
  async release(db: Executor, jobId: string, owner: string, now: number): Promise<void> {
    await db
      .updateTable('bulk_reset_jobs')
      .set({ lease_owner: null, lease_expires_at: null, updated_at: now })
      .where('id', '=', jobId)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .execute()
  },

  /** The range of the next `limit` targets after `after` (from the first when null), in user-id order. */
  async nextTargetRange(
    db: Executor,
    jobId: string,
    after: string | null,
    limit: number,
  ): Promise<TargetRange | undefined> {
    let select = db.selectFrom('bulk_reset_targets').select('user_id').where('job_id', '=', jobId)
    if (after !== null) select = select.where('user_id', '>', after)
    const rows = await select.orderBy('user_id').limit(limit).execute()
    return rows.length === 0 ? undefined : { first: rows[0]!.user_id, last: rows[rows.length - 1]!.user_id }
  },

  /** The targets still waiting in a range, in user-id order. */
  async targetsIn(db: Executor, jobId: string, range: TargetRange): Promise<string[]> {
    const rows = await db
      .selectFrom('bulk_reset_targets')
      .select('user_id')
      .where('job_id', '=', jobId)
      .where('user_id', '>=', range.first)
      .where('user_id', '<=', range.last)
      .orderBy('user_id')
      .execute()
    return rows.map((row) => row.user_id)
  },

  /** Targets a batch has dealt with, in the batch's transaction. */
  async removeTargets(db: Executor, jobId: string, range: TargetRange): Promise<void> {
    await db
      .deleteFrom('bulk_reset_targets')
      .where('job_id', '=', jobId)
      .where('user_id', '>=', range.first)
      .where('user_id', '<=', range.last)
      .execute()
  },

  /** A job's targets are only needed while it runs. */
  async dropTargets(db: Executor, jobId: string): Promise<void> {
    await db.deleteFrom('bulk_reset_targets').where('job_id', '=', jobId).execute()
  },

  async recordFailures(db: Executor, failures: readonly BulkResetFailureRow[]): Promise<void> {
    await insertRows(db, {
      table: 'bulk_reset_failures',
      columns: ['job_id', 'user_id', 'user_name', 'reason', 'occurred_at'],
      rows: failures.map((failure) => [
        failure.job_id,
        failure.user_id,
        failure.user_name,
        failure.reason,
        failure.occurred_at,
      ]),
      // A batch that is retried after a crash cannot have committed its failures: there is
      // nothing to conflict with, but a duplicate must never fail the batch.
      suffix: 'on conflict (job_id, user_id) do nothing',
    })
  },

  failures(db: Executor, jobId: string, limit: number): Promise<BulkResetFailureRow[]> {
    return db
      .selectFrom('bulk_reset_failures')
      .selectAll()
      .where('job_id', '=', jobId)
      .orderBy('user_id')
      .limit(limit)
      .execute()
  },
}
