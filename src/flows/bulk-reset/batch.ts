import type { Clock } from '../../domain/clock.ts'
import { displayUserName } from '../../domain/user-name.ts'
import { type Actor, type AuditLog, systemActor } from '../../observability/audit.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import { runWithList } from '../../persistence/multi-row.ts'
import { tenantsRepository } from '../../persistence/repositories/tenants.ts'
import type { UserRow } from '../../persistence/repositories/users.ts'
import type { ResetPolicySource } from '../forced-reset/reset-policy.ts'
import type { BatchTrigger } from '../forced-reset/trigger-batch.ts'
import {
  type BulkResetFailureRow,
  type BulkResetJobRow,
  bulkResetRepository,
  type TargetRange,
} from './repository.ts'

/** A job's state after a batch, for progress displays. */
export type Progress = Pick<BulkResetJobRow, 'id' | 'status' | 'total' | 'done' | 'failed'>

/** The job was cancelled or taken over by another process while a batch ran: the batch rolls back. */
export class LeaseLost extends Error {}

export interface BatchContext {
  clock: Clock
  audit: AuditLog
  policies: ResetPolicySource
  trigger: BatchTrigger
  /** The runner holding the job's lease. */
  owner: string
  leaseMs: number
}

/** The administrator who asked: each user's audit event names them. */
export function actorOf(job: BulkResetJobRow): Actor {
  return { kind: job.actor_kind, id: job.actor_id, name: job.actor_name }
}

/**
 * One batch, in one transaction: the job's targets still waiting in `range` forced, those that
 * cannot be recorded as failures, the targets removed and the job's counts moved — which only
 * the lease holder can do: otherwise LeaseLost, and everything the batch wrote rolls back. A
 * target is removed in the transaction that forces it, so whatever commits, and in whatever
 * order batches run side by side, the targets left are exactly the users still untouched.
 */
export function forceRange(
  db: Executor,
  context: BatchContext,
  job: BulkResetJobRow,
  range: TargetRange,
): Promise<Progress> {
  return inTransaction(db, async (trx) => {
    const now = context.clock.now()
    const targets = await bulkResetRepository.targetsIn(trx, job.id, range)
    const tenant = await tenantsRepository.findById(trx, job.tenant_id)
    if (!tenant) throw new LeaseLost()
    // Each statement walks the id index over the range (see BatchTriggerOptions.idRange). The
    // tenant is checked here rather than in the condition, where it would lead the planners to
    // the tenant's index over all of its users.
    const { rows } =
      targets.length === 0
        ? { rows: [] as UserRow[] }
        : await runWithList<UserRow>(trx, {
            text: 'select * from users where id in (:list) and id between ? and ?',
            list: targets,
            after: [range.first, range.last],
          })
    const users = rows.filter((user) => user.tenant_id === tenant.id)
    const outcome = await context.trigger.run(trx, tenant, users, {
      mode: job.mode,
      policy: await context.policies.resetPolicy(tenant, trx),
      actor: actorOf(job),
      channel: 'bulk',
      auditDetail: { job: job.id },
      idRange: range,
    })
    const found = new Set(users.map((user) => user.id))
    const failures: BulkResetFailureRow[] = [
      ...outcome.skipped.map(({ user, reason }) => ({
        job_id: job.id,
        user_id: user.id,
        user_name: displayUserName(user.store_domain, user.username),
        reason,
        occurred_at: now,
      })),
      // Deleted after the job was created: nothing left to reset.
      ...targets
        .filter((id) => !found.has(id))
        .map((id) => ({
          job_id: job.id,
          user_id: id,
          user_name: null,
          reason: 'user.not-found',
          occurred_at: now,
        })),
    ]
    await bulkResetRepository.recordFailures(trx, failures)
    await bulkResetRepository.removeTargets(trx, job.id, range)
    const moved = await bulkResetRepository.advance(trx, {
      jobId: job.id,
      owner: context.owner,
      done: outcome.triggered.length,
      failed: failures.length,
      now,
      leaseUntil: now + context.leaseMs,
    })
    if (!moved) throw new LeaseLost()
    return trx
      .selectFrom('bulk_reset_jobs')
      .select(['id', 'status', 'total', 'done', 'failed'])
      .where('id', '=', job.id)
      .executeTakeFirstOrThrow()
  })
}

/**
 * Ends a job whose targets are all gone, in one transaction: completed, audited. False when
 * targets are left (the caller runs them first); LeaseLost when the job was cancelled or taken
 * over meanwhile.
 */
export function completeJob(db: Executor, context: BatchContext, job: BulkResetJobRow): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    if ((await bulkResetRepository.nextTargetRange(trx, job.id, null, 1)) !== undefined) return false
    const ended = await bulkResetRepository.finish(trx, {
      jobId: job.id,
      owner: context.owner,
      status: 'completed',
      now: context.clock.now(),
    })
    if (!ended) throw new LeaseLost()
    await bulkResetRepository.dropTargets(trx, job.id)
    await recordFinished(trx, context.audit, job.id, 'completed')
    return true
  })
}

/** `bulk-reset.finished`, by the system: the job ended by itself. */
export async function recordFinished(
  trx: Executor,
  audit: AuditLog,
  jobId: string,
  status: 'completed' | 'failed',
): Promise<void> {
  const job = await trx
    .selectFrom('bulk_reset_jobs')
    .selectAll()
    .where('id', '=', jobId)
    .executeTakeFirstOrThrow()
  await audit.record(trx, {
    tenantId: job.tenant_id,
    actor: systemActor,
    action: 'bulk-reset.finished',
    target: job.id,
    outcome: status === 'completed' ? 'success' : 'failure',
    detail: { status, total: job.total, done: job.done, failed: job.failed, requestedBy: job.actor_name },
  })
}
