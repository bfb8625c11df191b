import type { Clock } from '../../domain/clock.ts'
import { displayUserName } from '../../domain/user-name.ts'
import { type Actor, type AuditLog, systemActor } from '../../observability/audit.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import { runWithList } from '../../persistence/multi-row.ts'
import { tenantsRepository } from '../../persistence/repositories/tenants.ts'
import type { UserRow } from '../../persistence/repositories/users.ts'
import type { ResetPolicySource } from '../forced-reset/reset-policy.ts'
import type { BatchTrigger } from '../forced-reset/trigger-batch.ts'
import { type BulkResetFailureRow, type BulkResetJobRow, bulkResetRepository } from './repository.ts'

/** A job's state after a batch, for progress displays. */
export type Progress = Pick<BulkResetJobRow, 'id' | 'status' | 'total' | 'done' | 'failed'>

/** The job was cancelled or taken over by another process while a batch ran: the batch rolls back. */
export class LeaseLost extends Error {}

export type BatchOutcome = { kind: 'advanced'; cursor: string; progress: Progress } | { kind: 'finished' }

export interface BatchContext {
  clock: Clock
  audit: AuditLog
  policies: ResetPolicySource
  trigger: BatchTrigger
  /** The runner holding the job's lease. */
  owner: string
  batchSize: number
  leaseMs: number
}

/** The administrator who asked: each user's audit event names them. */
export function actorOf(job: BulkResetJobRow): Actor {
  return { kind: job.actor_kind, id: job.actor_id, name: job.actor_name }
}

/**
 * One batch, in one transaction: the next targets after `cursor` forced, those that cannot be
 * recorded as failures, and the job's cursor and counts moved (which only the lease holder,
 * at that same cursor, can do: otherwise LeaseLost, and everything the batch wrote rolls back).
 * No targets left: the job completes.
 */
export function forceNextBatch(
  db: Executor,
  context: BatchContext,
  job: BulkResetJobRow,
  cursor: string | null,
): Promise<BatchOutcome> {
  return inTransaction(db, async (trx) => {
    const now = context.clock.now()
    const targets = await bulkResetRepository.nextTargets(trx, job.id, cursor, context.batchSize)
    const tenant = await tenantsRepository.findById(trx, job.tenant_id)
    if (targets.length === 0 || !tenant) {
      const ended = await bulkResetRepository.finish(trx, {
        jobId: job.id,
        owner: context.owner,
        status: 'completed',
        now,
      })
      if (!ended) throw new LeaseLost()
      await bulkResetRepository.dropTargets(trx, job.id)
      await recordFinished(trx, context.audit, job.id, 'completed')
      return { kind: 'finished' }
    }
    // Targets come in the store's order of ids: the first and last bound the batch, so each
    // statement walks the id index over it (see BatchTriggerOptions.idRange). The tenant is
    // checked here rather than in the condition, where it would lead the planners to the
    // tenant's index over all of its users.
    const idRange = { first: targets[0]!, last: targets[targets.length - 1]! }
    const { rows } = await runWithList<UserRow>(trx, {
      text: 'select * from users where id in (:list) and id between ? and ?',
      list: targets,
      after: [idRange.first, idRange.last],
    })
    const users = rows.filter((user) => user.tenant_id === tenant.id)
    const outcome = await context.trigger.run(trx, tenant, users, {
      mode: job.mode,
      policy: await context.policies.resetPolicy(tenant, trx),
      actor: actorOf(job),
      channel: 'bulk',
      auditDetail: { job: job.id },
      idRange,
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
    const moved = await bulkResetRepository.advance(trx, {
      jobId: job.id,
      owner: context.owner,
      from: cursor,
      to: idRange.last,
      done: outcome.triggered.length,
      failed: failures.length,
      now,
      leaseUntil: now + context.leaseMs,
    })
    if (!moved) throw new LeaseLost()
    const progress = await trx
      .selectFrom('bulk_reset_jobs')
      .select(['id', 'status', 'total', 'done', 'failed'])
      .where('id', '=', job.id)
      .executeTakeFirstOrThrow()
    return { kind: 'advanced', cursor: idRange.last, progress }
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
