import type { Clock } from '../../domain/clock.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Actor, AuditLog } from '../../observability/audit.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import type { BulkResetStatus, ResetMode } from '../../persistence/tables.ts'
import { isUuid, newId } from '../../security/tokens.ts'
import type { ResetPolicySource } from '../forced-reset/reset-policy.ts'
import { type BulkResetJobRow, bulkResetRepository } from './repository.ts'
import { DEFAULT_RUNNER_OPTIONS } from './runner.ts'
import { insertTargets, previewSelection, resolveSelection, type SelectionInput } from './selection.ts'

export interface BulkResetRequest extends SelectionInput {
  /** Overrides the tenant's mode for every user of the job. */
  mode?: ResetMode | undefined
}

export interface BulkResetPreview {
  count: number
  mode: ResetMode
  /** A few selected users, by name. */
  sample: string[]
  /**
   * Selected users without an email address: an email mode reports them as failures. Null when
   * the selection is too large for a dry run to check every address (`ADDRESS_CHECK_LIMIT`).
   */
  withoutEmail: number | null
}

export interface BulkResetFailureView {
  userId: string
  userName: string | null
  reason: string
}

export interface BulkResetJobView {
  id: string
  status: BulkResetStatus
  selector: 'filter' | 'ids'
  filter: string | null
  mode: ResetMode
  total: number
  done: number
  failed: number
  remaining: number
  requestedBy: string
  createdAt: string
  updatedAt: string
  startedAt: string | null
  finishedAt: string | null
  error: string | null
  failures?: BulkResetFailureView[]
}

/** Users named in a dry run's sample. */
const SAMPLE_SIZE = 10

const iso = (time: number | null) => (time === null ? null : new Date(time).toISOString())

export function jobView(job: BulkResetJobRow, failures?: BulkResetFailureView[]): BulkResetJobView {
  return {
    id: job.id,
    status: job.status,
    selector: job.selector,
    filter: job.filter,
    mode: job.mode,
    total: job.total,
    done: job.done,
    failed: job.failed,
    remaining: Math.max(0, job.total - job.done - job.failed),
    requestedBy: `${job.actor_kind}:${job.actor_name}`,
    createdAt: new Date(job.created_at).toISOString(),
    updatedAt: new Date(job.updated_at).toISOString(),
    startedAt: iso(job.started_at),
    finishedAt: iso(job.finished_at),
    error: job.error,
    ...(failures ? { failures } : {}),
  }
}

/**
 * Bulk forced resets: a selection (a SCIM filter, or users named by id or user name) checked
 * and counted up front, then a job whose users are recorded when it is created and forced in
 * batches by a runner (see runner.ts), with progress readable at any time and a cancel that
 * stops the job after the batch in flight.
 */
export class BulkResetService {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly policies: ResetPolicySource,
    /** Tells this process's runner that a job is waiting. */
    private readonly onCreated: () => void,
  ) {}

  /** What a job would do: nothing is changed. */
  async preview(tenant: TenantRow, request: BulkResetRequest): Promise<BulkResetPreview> {
    const selection = await resolveSelection(this.db, tenant, request)
    const mode = request.mode ?? (await this.policies.resetPolicy(tenant)).mode
    const preview = await previewSelection(this.db, tenant, selection, SAMPLE_SIZE)
    return { ...preview, mode, withoutEmail: mode === 'offline-otp' ? 0 : preview.withoutEmail }
  }

  /**
   * Creates a job and records whom it is for, in one transaction; a selection that matches
   * nobody creates nothing (`bulk-reset.no-match`). `leaseOwner`: a runner that will run the
   * job itself at once (the CLI), so no other process starts it meanwhile.
   */
  async create(
    tenant: TenantRow,
    request: BulkResetRequest,
    requester: {
      actor: Actor
      channel: string
      /** Why, in the administrator's words: kept in the job's audit event. */
      reason?: string | undefined
      leaseOwner?: string
      leaseMs?: number
    },
  ): Promise<BulkResetJobView> {
    const selection = await resolveSelection(this.db, tenant, request)
    const mode = request.mode ?? (await this.policies.resetPolicy(tenant)).mode
    const job = await inTransaction(this.db, async (trx) => {
      const now = this.clock.now()
      const row: BulkResetJobRow = {
        id: newId(),
        tenant_id: tenant.id,
        selector: selection.kind,
        filter: selection.kind === 'filter' ? selection.filter : null,
        mode,
        actor_kind: requester.actor.kind,
        actor_id: requester.actor.id,
        actor_name: requester.actor.name,
        channel: requester.channel,
        status: requester.leaseOwner ? 'running' : 'queued',
        total: 0,
        done: 0,
        failed: 0,
        last_user_id: null,
        lease_owner: requester.leaseOwner ?? null,
        lease_expires_at: requester.leaseOwner
          ? now + (requester.leaseMs ?? DEFAULT_RUNNER_OPTIONS.leaseMs)
          : null,
        created_at: now,
        updated_at: now,
        started_at: requester.leaseOwner ? now : null,
        finished_at: null,
        error: null,
      }
      await bulkResetRepository.insert(trx, row)
      const total = await insertTargets(trx, tenant, row.id, selection)
      if (total === 0)
        throw new AppError('bulk-reset.no-match', {
          detail: 'The filter matches no user of this tenant: no job was created.',
        })
      await trx.updateTable('bulk_reset_jobs').set({ total }).where('id', '=', row.id).execute()
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor: requester.actor,
        action: 'bulk-reset.started',
        target: row.id,
        detail: {
          selector: selection.kind,
          ...(selection.kind === 'filter' ? { filter: selection.filter } : {}),
          mode,
          total,
          channel: requester.channel,
          ...(requester.reason ? { reason: requester.reason } : {}),
        },
      })
      return { ...row, total }
    })
    if (!requester.leaseOwner) this.onCreated()
    return jobView(job)
  }

  /** A job of this tenant with its progress, and the first `failures` users it could not reset. */
  async get(tenant: TenantRow, id: string, options: { failures?: number } = {}): Promise<BulkResetJobView> {
    const job = await this.require(tenant, id)
    const limit = options.failures ?? 100
    const failures =
      job.failed > 0 && limit > 0
        ? (await bulkResetRepository.failures(this.db, job.id, limit)).map((failure) => ({
            userId: failure.user_id,
            userName: failure.user_name,
            reason: failure.reason,
          }))
        : []
    return jobView(job, failures)
  }

  async list(
    tenant: TenantRow,
    query: { limit: number; status?: BulkResetStatus | undefined },
  ): Promise<BulkResetJobView[]> {
    return (await bulkResetRepository.list(this.db, tenant.id, query)).map((job) => jobView(job))
  }

  /**
   * Cancels a job with work left: users already forced stay forced, the others are left
   * untouched, and a batch in flight rolls back. Cancelling a cancelled job answers it again;
   * a job that already ended cannot be cancelled.
   */
  async cancel(tenant: TenantRow, id: string, actor: Actor): Promise<BulkResetJobView> {
    const { id: jobId } = await this.require(tenant, id)
    await inTransaction(this.db, async (trx) => {
      const now = this.clock.now()
      if (!(await bulkResetRepository.cancel(trx, tenant.id, jobId, now))) return
      await bulkResetRepository.dropTargets(trx, jobId)
      const job = await bulkResetRepository.find(trx, tenant.id, jobId)
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'bulk-reset.cancelled',
        target: jobId,
        detail: { total: job?.total, done: job?.done, failed: job?.failed },
      })
    })
    const job = await this.require(tenant, jobId)
    if (job.status === 'completed' || job.status === 'failed')
      throw new AppError('bulk-reset.already-finished', {
        detail: `Job ${id} already ended (${job.status}); there is nothing left to cancel.`,
      })
    return jobView(job)
  }

  private async require(tenant: TenantRow, id: string): Promise<BulkResetJobRow> {
    const job = isUuid(id) ? await bulkResetRepository.find(this.db, tenant.id, id.toLowerCase()) : undefined
    if (!job)
      throw new AppError('bulk-reset.not-found', { detail: `No bulk reset job ${id} in this tenant.` })
    return job
  }
}
