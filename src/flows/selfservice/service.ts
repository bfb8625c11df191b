import type { Logger } from 'pino'
import type { TenantPolicyService } from '../../admin/policies/tenant-policy-service.ts'
import type { Config } from '../../config/schema.ts'
import type { PasswordWriter } from '../../credentials/password-writer.ts'
import type { Clock } from '../../domain/clock.ts'
import { displayUserName } from '../../domain/user-name.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Notifier } from '../../notifications/notifier.ts'
import type { AuditLog } from '../../observability/audit.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import { selfServiceRepository } from '../../persistence/repositories/selfservice.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { usersRepository } from '../../persistence/repositories/users.ts'
import { newId } from '../../security/tokens.ts'
import { EMAIL_CLAIM, LOCALE_CLAIM } from '../forced-reset/reset-policy.ts'
import { recipientValues } from '../forced-reset/trigger-batch.ts'
import { type Account, decoyUserId, eligibleAccount } from './account.ts'
import { AttemptGuard, type AttemptSubject, anonymousActor } from './attempt-guard.ts'
import { codeHash, codeLinkOf, codeMatches, newCode } from './emailed-code.ts'
import type { FlowState, FlowTokens } from './flow-token.ts'
import { chooseQuestions } from './question-choice.ts'
import { type AskedQuestion, type Requirements, requirementsOf, tagOf } from './requirements.ts'
import type { StageName } from './stages.ts'
import { parseUserQuery, soleUserId } from './user-query.ts'

/** What the flow needs of the security questions (the security question service). */
export interface SecurityQuestionSource {
  questions(tenant: TenantRow, db?: Executor): Promise<Array<{ id: string; text: Record<string, string> }>>
  answeredQuestionIds(tenantId: string, userId: string, db?: Executor): Promise<string[]>
  verifyAnswers(
    tenantId: string,
    userId: string | null,
    answers: Array<{ questionId: string; answer: string }>,
  ): Promise<boolean>
  minimumAnswers(): number
  questionsAsked(): number
}

/** What the password-changed mail needs (the forced-reset service sends the same one). */
export interface ConfirmationSender {
  queuePasswordChanged(trx: Executor, tenant: TenantRow, userId: string): Promise<void>
  /** True when completing the user's pending forced reset already mails the confirmation. */
  confirmsOnCompletion(trx: Executor, tenant: TenantRow, userId: string): Promise<boolean>
}

export interface SelfServiceRequest {
  input: Record<string, unknown>
  token?: string | undefined
}

export interface RequestOrigin {
  clientAddress: string
}

export type StageAnswer =
  | { type: StageName; tag: string; requirements: Requirements; token: string }
  | { type: 'resetStage'; tag: 'end'; status: { success: true }; additions: Record<string, string> }

export interface SelfServiceDependencies {
  db: Executor
  config: Config
  clock: Clock
  audit: AuditLog
  notifier: Notifier
  policies: TenantPolicyService
  passwords: PasswordWriter
  questions: SecurityQuestionSource
  confirmations: ConfirmationSender
  secretKey: Buffer
  tokens: FlowTokens
  logger: Logger
}

const PRUNE_EVERY_MS = 10 * 60_000

/**
 * Self-service password reset as a pipeline of stages, each request handling one stage.
 *
 * The flow's state travels in an encrypted token, so any instance sharing the configuration
 * continues any flow; the store holds only attempts and ends. Threat: account enumeration.
 * A query that finds no eligible account continues with a stand-in account through the same
 * stages, with the same answers and the same store work on the request path; the one
 * difference, the mail, is queued after the answer is sent.
 */
export class SelfServiceResetService {
  private readonly guard: AttemptGuard
  private readonly background = new Set<Promise<void>>()
  private lastPrune = 0

  constructor(private readonly deps: SelfServiceDependencies) {
    this.guard = new AttemptGuard(deps.db, deps.config, deps.clock, deps.audit, deps.secretKey)
  }

  async submit(tenant: TenantRow, request: SelfServiceRequest, origin: RequestOrigin): Promise<StageAnswer> {
    const policy = await this.deps.policies.selfServicePolicy(tenant)
    if (policy.stages.length === 0)
      throw new AppError('route.not-found', { detail: 'Self-service password reset is not enabled here.' })
    this.pruneNowAndThen()
    const state =
      request.token === undefined
        ? this.newFlow(tenant, policy.stages[0]!)
        : await this.resume(tenant, request.token, policy.stages)
    const stage = policy.stages[state.stage]!
    const input = request.input
    switch (stage) {
      case 'parameters':
        return this.advance(tenant, policy.stages, {
          ...state,
          ...(typeof input.returnParams === 'string' ? { params: input.returnParams.slice(0, 2048) } : {}),
        })
      case 'userQuery': {
        const filter = textInput(input, 'queryFilter')
        if (filter === undefined) return this.answer(tenant, stage, state)
        return this.advance(tenant, policy.stages, {
          ...state,
          uid: await this.findAccount(tenant, filter, policy.queryableAttributes),
        })
      }
      case 'emailValidation': {
        const code = textInput(input, 'code')
        if (code === undefined) return this.answer(tenant, stage, state)
        await this.verify(tenant, state, origin, stage, async () =>
          codeMatches(this.deps.secretKey, state.fid, code.slice(0, 64), state.code ?? ''),
        )
        return this.advance(tenant, policy.stages, state)
      }
      case 'kbaSecurityAnswerVerificationStage': {
        const asked = state.kba ?? []
        const answers = asked.map((questionId, index) => ({
          questionId,
          answer: textInput(input, `answer${index + 1}`),
        }))
        if (answers.some((entry) => entry.answer === undefined)) return this.answer(tenant, stage, state)
        await this.verify(tenant, state, origin, stage, (account) =>
          this.deps.questions.verifyAnswers(
            tenant.id,
            account ? account.user.id : null,
            answers.map((entry) => ({ questionId: entry.questionId, answer: entry.answer!.slice(0, 200) })),
          ),
        )
        return this.advance(tenant, policy.stages, state)
      }
      case 'resetStage': {
        const password = textInput(input, 'password')
        if (password === undefined) return this.answer(tenant, stage, state)
        return this.reset(tenant, state, password)
      }
    }
  }

  /** Resolves when mail queued after answers has been written (for an orderly stop, and tests). */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background])
  }

  private newFlow(tenant: TenantRow, first: StageName): FlowState {
    return { fid: newId(), tid: tenant.id, stage: 0, name: first, exp: this.expiry() }
  }

  private async resume(tenant: TenantRow, token: string, stages: readonly StageName[]): Promise<FlowState> {
    const state = await this.deps.tokens.open(token)
    const invalid = () =>
      new AppError('selfservice.invalid-token', {
        detail: 'The token is not valid: it expired, was used, or belongs to another reset. Start again.',
      })
    // A token of another tenant, an expired one, or one whose stage the pipeline no longer has there.
    if (
      !state ||
      state.tid !== tenant.id ||
      state.exp <= this.deps.clock.now() ||
      stages[state.stage] !== state.name
    )
      throw invalid()
    const flow = await selfServiceRepository.flow(this.deps.db, state.fid)
    if (flow?.ended) throw invalid()
    return state
  }

  /**
   * A stage's requirements with a token of `state`. Asked again for missing input, the state
   * is unchanged, so its expiry too: asking never extends a token.
   */
  private async answer(tenant: TenantRow, stage: StageName, state: FlowState): Promise<StageAnswer> {
    const questions =
      stage === 'kbaSecurityAnswerVerificationStage' ? await this.askedQuestions(tenant, state) : []
    return {
      type: stage,
      tag: tagOf(stage),
      requirements: requirementsOf(stage, questions),
      token: await this.deps.tokens.seal(state),
    }
  }

  /** Moves to the next stage, preparing what it needs (a mailed code, questions to ask). */
  private async advance(
    tenant: TenantRow,
    stages: readonly StageName[],
    state: FlowState,
  ): Promise<StageAnswer> {
    const index = state.stage + 1
    const next = stages[index]!
    let entered: FlowState = { ...state, stage: index, name: next, exp: this.expiry() }
    if (next === 'kbaSecurityAnswerVerificationStage')
      entered = { ...entered, kba: await this.questionIds(tenant, entered) }
    if (next !== 'emailValidation') return this.answer(tenant, next, entered)
    const code = newCode(this.deps.config.selfservice.code_length)
    entered = { ...entered, code: codeHash(this.deps.secretKey, entered.fid, code) }
    const answer = await this.answer(tenant, next, entered)
    if ('token' in answer) this.afterAnswer(() => this.mailCode(tenant, entered, code, answer.token))
    return answer
  }

  private async findAccount(
    tenant: TenantRow,
    filter: string,
    queryable: readonly string[],
  ): Promise<string> {
    const query = parseUserQuery(this.deps.db, tenant.id, filter, queryable)
    const found = await soleUserId(this.deps.db, tenant.id, query.condition)
    const decoy = decoyUserId(this.deps.secretKey, tenant.id, query.canonical)
    const account = await eligibleAccount(this.deps.db, tenant.id, found ?? decoy)
    return account ? account.user.id : decoy
  }

  private async mailCode(tenant: TenantRow, state: FlowState, code: string, token: string): Promise<void> {
    const account = await eligibleAccount(this.deps.db, tenant.id, state.uid ?? '')
    const email = account?.claims[EMAIL_CLAIM]?.trim()
    if (!account || !email) return
    if (!(await this.guard.allowMail(tenant.id, account.user.id))) return
    const minutes = String(Math.round((state.exp - this.deps.clock.now()) / 60_000))
    await inTransaction(this.deps.db, async (trx) => {
      await this.deps.notifier.enqueue(trx, {
        tenant,
        type: 'SelfServiceResetCode',
        to: email,
        userId: account.user.id,
        userLocale: account.claims[LOCALE_CLAIM] ?? null,
        values: {
          ...recipientValues(account.user, account.claims),
          'confirmation-code': code,
          'reset-link': codeLinkOf(this.deps.config, tenant, token, code),
          'expiry-minutes': minutes,
        },
        idempotencyKey: `selfservice:${state.fid}:${state.stage}`,
      })
      await this.deps.audit.record(trx, {
        tenantId: tenant.id,
        actor: anonymousActor,
        action: 'selfservice.code-sent',
        target: account.user.id,
        detail: { flow: state.fid },
      })
    })
  }

  /**
   * One verification: limits first, the attempt counted before the comparison, then the
   * comparison, which runs in full for real and stand-in accounts alike.
   */
  private async verify(
    tenant: TenantRow,
    state: FlowState,
    origin: RequestOrigin,
    stage: StageName,
    /** Compares the input; `account` is the real account, undefined for a stand-in. */
    matches: (account: Account | undefined) => Promise<boolean>,
  ): Promise<void> {
    const accountId = state.uid ?? ''
    const account = await eligibleAccount(this.deps.db, tenant.id, accountId)
    const subject: AttemptSubject = {
      tenantId: tenant.id,
      flow: { id: state.fid, tenantId: tenant.id, expiresAt: this.expiry() },
      accountId,
      isRealAccount: account !== undefined,
      clientAddress: origin.clientAddress,
    }
    await this.guard.reserveLimits(subject)
    let attempts: number
    let matched: boolean
    try {
      attempts = await this.guard.countAttempt(subject)
      matched = await matches(account)
    } catch (error) {
      await this.guard.releaseLimits(subject)
      throw error
    }
    if (matched) {
      await this.guard.releaseLimits(subject)
      return
    }
    const remaining = await this.guard.recordFailure(subject, stage, attempts)
    throw new AppError('selfservice.verification-failed', {
      detail:
        remaining > 0
          ? `${stage === 'emailValidation' ? 'The code is' : 'The answers are'} not correct. ${remaining} ${remaining === 1 ? 'attempt' : 'attempts'} left.`
          : 'Not correct, and no attempts are left. Start again.',
    })
  }

  private async reset(tenant: TenantRow, state: FlowState, password: string): Promise<StageAnswer> {
    const account = await eligibleAccount(this.deps.db, tenant.id, state.uid ?? '')
    if (!account)
      throw new AppError('selfservice.invalid-token', {
        detail: 'This account can no longer be reset. Start again.',
      })
    const userName = displayUserName(account.user.store_domain, account.user.username)
    // The policy is checked before the flow is ended: a weak password leaves the token usable.
    const prepared = await this.deps.passwords.prepare(password, {
      tenant,
      userId: account.user.id,
      userName,
    })
    await inTransaction(this.deps.db, async (trx) => {
      // Again on the row held, as it is now: the hash took a while, and an account disabled or
      // locked meanwhile must not take a password it would sign in with once opened again.
      await usersRepository.lockRow(trx, tenant.id, account.user.id)
      if (!(await eligibleAccount(trx, tenant.id, account.user.id)))
        throw new AppError('selfservice.invalid-token', {
          detail: 'This account can no longer be reset. Start again.',
        })
      const flow = { id: state.fid, tenantId: tenant.id, expiresAt: this.expiry() }
      if (!(await selfServiceRepository.end(trx, flow, 'completed')))
        throw new AppError('selfservice.invalid-token', {
          detail: 'This reset has already ended. Start again.',
        })
      const confirmedByReset = await this.deps.confirmations.confirmsOnCompletion(
        trx,
        tenant,
        account.user.id,
      )
      await this.deps.passwords.write(trx, prepared, {
        tenantId: tenant.id,
        userId: account.user.id,
        actor: { kind: 'user', id: account.user.id, name: userName },
        reason: 'self-service',
      })
      if (!confirmedByReset) await this.deps.confirmations.queuePasswordChanged(trx, tenant, account.user.id)
      await this.deps.audit.record(trx, {
        tenantId: tenant.id,
        actor: { kind: 'user', id: account.user.id, name: userName },
        action: 'selfservice.completed',
        target: account.user.id,
        detail: { flow: state.fid },
      })
    })
    return {
      type: 'resetStage',
      tag: 'end',
      status: { success: true },
      additions: state.params !== undefined ? { returnParams: state.params } : {},
    }
  }

  private async questionIds(tenant: TenantRow, state: FlowState): Promise<string[]> {
    const { questions } = this.deps
    const account = await eligibleAccount(this.deps.db, tenant.id, state.uid ?? '')
    const [available, answered] = await Promise.all([
      questions.questions(tenant),
      // Asked for a stand-in too (it has none): the same store work either way.
      questions.answeredQuestionIds(tenant.id, account ? account.user.id : (state.uid ?? '')),
    ])
    return chooseQuestions({
      answered,
      available: available.map((question) => question.id),
      asked: questions.questionsAsked(),
      answersRequired: questions.minimumAnswers(),
      secretKey: this.deps.secretKey,
      accountId: state.uid ?? '',
    })
  }

  private async askedQuestions(tenant: TenantRow, state: FlowState): Promise<AskedQuestion[]> {
    const all = await this.deps.questions.questions(tenant)
    return (state.kba ?? []).map((id) => ({ text: all.find((question) => question.id === id)?.text ?? {} }))
  }

  private expiry(): number {
    return this.deps.clock.now() + this.deps.config.selfservice.token_lifetime_minutes * 60_000
  }

  /** Work the answer must not wait for, whose failure is logged, never shown to the caller. */
  private afterAnswer(work: () => Promise<void>): void {
    const task: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((error: unknown) =>
        this.deps.logger.error({ err: error }, 'self-service work after an answer failed'),
      )
      .finally(() => this.background.delete(task))
    this.background.add(task)
  }

  private pruneNowAndThen(): void {
    const now = this.deps.clock.now()
    if (now - this.lastPrune < PRUNE_EVERY_MS) return
    this.lastPrune = now
    this.afterAnswer(() => this.guard.prune())
  }
}

/** A string input field, or undefined when the caller has not sent it (the stage is asked again). */
function textInput(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string')
    throw new AppError('selfservice.invalid-input', {
      detail: `${name} must be a string.`,
      errors: [{ pointer: `/input/${name}`, message: 'must be a string' }],
    })
  return value
}
