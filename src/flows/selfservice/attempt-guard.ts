import { createHmac } from 'node:crypto'
import type { Config } from '../../config/schema.ts'
import type { Clock } from '../../domain/clock.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Actor, AuditClient, AuditLog } from '../../observability/audit.ts'
import type { Executor } from '../../persistence/executor.ts'
import {
  type CounterKey,
  type FlowKey,
  selfServiceRepository,
} from '../../persistence/repositories/selfservice.ts'
import type { SelfServiceCounterScope } from '../../persistence/tables.ts'

const HOUR_MS = 3_600_000

export const anonymousActor: Actor = { kind: 'anonymous', id: null, name: 'anonymous' }

export interface AttemptSubject {
  tenantId: string
  flow: FlowKey
  /** The real or stand-in account id. */
  accountId: string
  /** True when `accountId` is a real user (audit events name it as target). */
  isRealAccount: boolean
  clientAddress: string
}

/**
 * The limits on guessing an emailed code or security answers:
 *
 * - per flow: `max_attempts` verifications, counted in the store *before* the comparison, so
 *   parallel requests with an old token on several instances cannot test more guesses;
 * - per client address and per account: failures per hour, all flows together, so starting
 *   new flows does not reset the count; reserved before the comparison too.
 *
 * Stand-in accounts of unknown users are counted exactly like real ones: a limit that only
 * real accounts reached would tell which names exist.
 */
export class AttemptGuard {
  constructor(
    private readonly db: Executor,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly secretKey: Buffer,
  ) {}

  /**
   * Reserves one failure of the hour against the address and the account *before* the
   * comparison, so parallel guesses on any instance cannot pass the limits (each reservation is
   * one atomic upsert that returns the new count). Beyond a limit the reservation is handed
   * back and the request refused. A verification that succeeds hands it back too
   * (`releaseLimits`): the limits count failures.
   */
  async reserveLimits(subject: AttemptSubject): Promise<void> {
    const limited = this.limitedScopes()
    const counts = await Promise.all(
      limited.map(({ scope }) => selfServiceRepository.bump(this.db, this.key(subject, scope))),
    )
    const exceeded = limited.find((entry, index) => counts[index]! > entry.limit)
    if (!exceeded) return
    await this.releaseLimits(subject)
    await this.audit.record(this.db, {
      tenantId: subject.tenantId,
      actor: anonymousActor,
      action: 'selfservice.rate-limited',
      target: exceeded.scope === 'account' && subject.isRealAccount ? subject.accountId : null,
      outcome: 'failure',
      detail: { scope: exceeded.scope },
      client: this.client(subject),
    })
    throw new AppError('selfservice.rate-limited', {
      detail: 'Too many wrong codes or answers. Wait an hour, then start again.',
    })
  }

  /** Hands back a reservation: the verification succeeded, or never compared anything. */
  async releaseLimits(subject: AttemptSubject): Promise<void> {
    await Promise.all(
      this.limitedScopes().map(({ scope }) =>
        selfServiceRepository.unbump(this.db, this.key(subject, scope)),
      ),
    )
  }

  private limitedScopes(): Array<{ scope: 'address' | 'account'; limit: number }> {
    const { address_failures_per_hour: perAddress, account_failures_per_hour: perAccount } =
      this.config.selfservice
    return [
      { scope: 'address' as const, limit: perAddress },
      { scope: 'account' as const, limit: perAccount },
    ].filter((entry) => entry.limit > 0)
  }

  /** Counts a verification of the flow; refuses, and ends the flow, beyond its allowance. */
  async countAttempt(subject: AttemptSubject): Promise<number> {
    const attempts = await selfServiceRepository.countAttempt(this.db, subject.flow)
    if (attempts > this.config.selfservice.max_attempts) {
      await selfServiceRepository.end(this.db, subject.flow, 'exhausted')
      throw new AppError('selfservice.invalid-token', {
        detail: 'This reset has used up its attempts. Start again.',
      })
    }
    return attempts
  }

  /** Records a wrong code or answer (its reservation stays counted) and audits it. */
  async recordFailure(subject: AttemptSubject, stage: string, attempts: number): Promise<number> {
    const remaining = Math.max(0, this.config.selfservice.max_attempts - attempts)
    if (remaining === 0) await selfServiceRepository.end(this.db, subject.flow, 'exhausted')
    await this.audit.record(this.db, {
      tenantId: subject.tenantId,
      actor: anonymousActor,
      action: 'selfservice.verification-failed',
      target: subject.isRealAccount ? subject.accountId : null,
      outcome: 'failure',
      detail: { flow: subject.flow.id, stage, attempts },
      client: this.client(subject),
    })
    return remaining
  }

  /**
   * Counts a code mailed to the account this hour; false beyond the allowance, when the flow
   * goes on without mail (threat: mail bombing an address through the reset form).
   */
  async allowMail(tenantId: string, accountId: string): Promise<boolean> {
    const sent = await selfServiceRepository.bump(this.db, {
      tenantId,
      scope: 'mail',
      subject: this.subjectOf('account', accountId),
      windowStart: this.window(),
    })
    return sent <= this.config.selfservice.account_mails_per_hour
  }

  /** Drops flows and counters no request can need any more. */
  prune(): Promise<void> {
    return selfServiceRepository.prune(this.db, this.clock.now(), this.window() - HOUR_MS)
  }

  private key(subject: AttemptSubject, scope: Exclude<SelfServiceCounterScope, 'mail'>): CounterKey {
    return {
      tenantId: subject.tenantId,
      scope,
      subject: this.subjectOf(scope, scope === 'address' ? subject.clientAddress : subject.accountId),
      windowStart: this.window(),
    }
  }

  /** A keyed hash: the table holds neither addresses nor account ids. */
  private subjectOf(scope: string, value: string): string {
    return createHmac('sha256', this.secretKey)
      .update(`selfservice-${scope}\0${value}`)
      .digest('hex')
      .slice(0, 40)
  }

  private window(): number {
    return Math.floor(this.clock.now() / HOUR_MS) * HOUR_MS
  }

  private client(subject: AttemptSubject): AuditClient {
    return { address: subject.clientAddress }
  }
}
