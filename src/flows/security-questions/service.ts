import { CachedSetting } from '../../admin/policies/cached-setting.ts'
import type { Config } from '../../config/schema.ts'
import type { Clock } from '../../domain/clock.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Actor, AuditLog } from '../../observability/audit.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import { securityAnswersRepository } from '../../persistence/repositories/security-answers.ts'
import { tenantSettingsRepository } from '../../persistence/repositories/tenant-settings.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import type { PasswordHasher } from '../../security/password-hasher.ts'
import { defaultSecurityQuestions } from './default-questions.ts'
import { isAnswerTooLong, MAX_ANSWER_LENGTH, normalizeAnswer } from './normalize-answer.ts'
import { checkQuestionList, questionListProblems, type SecurityQuestion } from './question-list.ts'

const SETTING = 'security-questions'
const LIST_CACHE_MS = 5_000
/** Matches no user id: a look-up for an unknown user runs the same statement and finds nothing. */
const NO_USER = ''

export interface SecurityAnswerInput {
  questionId: string
  answer: string
}

/** Why an answer was refused, for clients (and pages) that word it themselves. */
export type AnswerRule = 'unknown-question' | 'repeated-question' | 'empty' | 'too-long' | 'too-few'

interface AnswerProblem {
  pointer: string
  message: string
  rule: AnswerRule
}

export interface QuestionListView {
  questions: SecurityQuestion[]
  /** True while the tenant uses the built-in list (it never set one, or returned to it). */
  isDefault: boolean
}

/**
 * Security questions ("knowledge-based authentication") for self-service password reset: each
 * tenant's question list, and each user's answers, stored as password hashes of the normalised
 * answer (see normalize-answer.ts).
 *
 * The list is a tenant setting; without one the built-in list applies. Answers refer to
 * question ids: an answer to a question the tenant has since removed stays stored but no
 * longer counts, neither as answered nor in a verification, until the question returns.
 */
export class SecurityQuestionService {
  private readonly lists: CachedSetting<QuestionListView>

  constructor(
    private readonly db: Executor,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly hasher: PasswordHasher,
  ) {
    this.lists = new CachedSetting(clock, LIST_CACHE_MS, (tenantId, trx) => this.load(tenantId, trx))
  }

  /** How many questions a user answers when setting them (`selfservice.kba_answers_required`). */
  minimumAnswers(): number {
    return this.config.selfservice.kba_answers_required
  }

  /** How many questions the verification stage asks (`selfservice.kba_questions_asked`). */
  questionsAsked(): number {
    return this.config.selfservice.kba_questions_asked
  }

  /** The tenant's questions. `db`: the caller's transaction, when it has one open. */
  async questions(tenant: TenantRow, db: Executor = this.db): Promise<SecurityQuestion[]> {
    return (await this.lists.get(tenant.id, db)).questions
  }

  /** The tenant's questions, and whether they are the built-in list. */
  async view(tenant: TenantRow): Promise<QuestionListView> {
    return this.lists.get(tenant.id, this.db)
  }

  /**
   * Replaces the tenant's question list, checked as a whole first (`security-questions.invalid`
   * naming every problem; nothing is stored then). Users' answers are kept: those to questions
   * the new list no longer has stop counting.
   */
  async replaceQuestions(tenant: TenantRow, list: unknown, actor: Actor): Promise<SecurityQuestion[]> {
    const questions = checkQuestionList(list, this.minimumAnswers())
    await inTransaction(this.db, async (trx) => {
      await tenantSettingsRepository.set(trx, {
        tenantId: tenant.id,
        name: SETTING,
        value: { questions },
        now: this.clock.now(),
        actor: actor.name,
      })
      await this.recordListChange(trx, tenant, actor, questions.length)
    })
    this.lists.forget(tenant.id)
    return questions
  }

  /** Returns the tenant to the built-in list (audited when it had a list of its own). */
  async resetQuestions(tenant: TenantRow, actor: Actor): Promise<SecurityQuestion[]> {
    await inTransaction(this.db, async (trx) => {
      const stored = await tenantSettingsRepository.get(trx, tenant.id, SETTING, { forUpdate: true })
      if (stored === undefined) return
      await tenantSettingsRepository.remove(trx, tenant.id, SETTING)
      await this.recordListChange(trx, tenant, actor, defaultSecurityQuestions.length)
    })
    this.lists.forget(tenant.id)
    return [...defaultSecurityQuestions]
  }

  /** The ids of the tenant's current questions the user has answered, in the list's order. */
  async answeredQuestionIds(tenantId: string, userId: string, db: Executor = this.db): Promise<string[]> {
    const [list, answered] = await Promise.all([
      this.lists.get(tenantId, db),
      securityAnswersRepository.answeredQuestionIds(db, tenantId, userId),
    ])
    const stored = new Set(answered)
    return list.questions.map((question) => question.id).filter((id) => stored.has(id))
  }

  /**
   * Replaces all of a user's answers. Refused as a whole (`security-answers.invalid`, every
   * problem named) for an unknown question, a question answered twice, an answer empty once
   * normalised or too long, or fewer answers than `minimumAnswers()`. The audit event names the
   * questions only: answers are secrets and never leave this method except hashed.
   */
  async setAnswers(
    tenant: TenantRow,
    userId: string,
    answers: readonly SecurityAnswerInput[],
    actor: Actor,
  ): Promise<void> {
    const list = await this.lists.get(tenant.id, this.db)
    const normalised = this.checkedAnswers(list.questions, answers)
    // Hashed before the transaction: argon2 takes a while, and SQLite would wait on its lock.
    const hashed = await Promise.all(
      normalised.map(async (answer) => ({
        questionId: answer.questionId,
        answerHash: await this.hasher.hash(answer.normalised),
      })),
    )
    await inTransaction(this.db, async (trx) => {
      // Locks the user row on PostgreSQL: two saves at once replace one after the other.
      if (!(await securityAnswersRepository.lockOwner(trx, tenant.id, userId)))
        throw new AppError('user.not-found')
      await securityAnswersRepository.replaceForUser(trx, {
        tenantId: tenant.id,
        userId,
        answers: hashed,
        now: this.clock.now(),
      })
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'security-answers.updated',
        target: userId,
        detail: { questions: hashed.map((answer) => answer.questionId) },
      })
    })
  }

  /** Removes all of a user's answers; true when there were some (only then is it audited). */
  async clearAnswers(tenant: TenantRow, userId: string, actor: Actor): Promise<boolean> {
    return inTransaction(this.db, async (trx) => {
      const cleared = await securityAnswersRepository.clearForUser(trx, tenant.id, userId)
      if (cleared === 0) return false
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'security-answers.cleared',
        target: userId,
      })
      return true
    })
  }

  /**
   * True only when every given answer matches the user's stored answer to that question.
   *
   * Threat: the time of the answer telling an attacker whether the account exists, whether it
   * has answers, or which answer was wrong. So exactly one hash verification runs per given
   * answer, whatever happens: for an unknown user (null), a question without a stored answer
   * (or no longer in the list, or named twice), or an answer that is empty once normalised, the
   * verification runs against a dummy hash of the same parameters and counts as a failure. No
   * answer is skipped after a wrong one.
   */
  async verifyAnswers(
    tenantId: string,
    userId: string | null,
    answers: readonly SecurityAnswerInput[],
  ): Promise<boolean> {
    if (answers.length === 0) return false
    const [list, stored] = await Promise.all([
      this.lists.get(tenantId, this.db),
      securityAnswersRepository.hashesOf(
        this.db,
        tenantId,
        userId ?? NO_USER,
        answers.map((answer) => answer.questionId),
      ),
    ])
    const current = new Set(list.questions.map((question) => question.id))
    const named = new Set<string>()
    const outcomes = await Promise.all(
      answers.map(async ({ questionId, answer }) => {
        const repeated = named.has(questionId)
        named.add(questionId)
        const hash = current.has(questionId) && !repeated ? stored.get(questionId) : undefined
        const candidate = isAnswerTooLong(answer) ? '' : normalizeAnswer(answer)
        if (hash === undefined || candidate === '') {
          await this.hasher.verifyDummy(candidate)
          return false
        }
        return (await this.hasher.verify(hash, candidate)).ok
      }),
    )
    return outcomes.every(Boolean)
  }

  private checkedAnswers(
    questions: readonly SecurityQuestion[],
    answers: readonly SecurityAnswerInput[],
  ): Array<{ questionId: string; normalised: string }> {
    const known = new Set(questions.map((question) => question.id))
    const problems: AnswerProblem[] = []
    const seen = new Map<string, number>()
    const accepted: Array<{ questionId: string; normalised: string }> = []
    answers.forEach(({ questionId, answer }, index) => {
      const at = `/answers/${index}`
      if (!known.has(questionId)) {
        problems.push({
          pointer: `${at}/questionId`,
          message: 'is not a security question of this organisation',
          rule: 'unknown-question',
        })
        return
      }
      if (seen.has(questionId)) {
        problems.push({
          pointer: `${at}/questionId`,
          message: `is already answered in /answers/${seen.get(questionId)}`,
          rule: 'repeated-question',
        })
        return
      }
      seen.set(questionId, index)
      const normalised = isAnswerTooLong(answer) ? undefined : normalizeAnswer(answer)
      if (normalised === undefined)
        problems.push({
          pointer: `${at}/answer`,
          message: `must be at most ${MAX_ANSWER_LENGTH} characters`,
          rule: 'too-long',
        })
      else if (normalised === '')
        problems.push({
          pointer: `${at}/answer`,
          message: 'must not be empty (spaces do not count)',
          rule: 'empty',
        })
      else accepted.push({ questionId, normalised })
    })
    const required = this.minimumAnswers()
    if (seen.size < required)
      problems.push({
        pointer: '/answers',
        rule: 'too-few',
        message:
          questions.length < required
            ? `must answer ${required} different questions, but the organisation's list has only ${questions.length}`
            : `must answer at least ${required} different questions`,
      })
    if (problems.length > 0)
      throw new AppError('security-answers.invalid', {
        // Pointers and reasons only: an answer is never repeated back, not even a refused one.
        detail: `The answers were not saved: ${problems.map((problem) => `${problem.pointer} ${problem.message}`).join('; ')}`,
        errors: problems,
      })
    return accepted
  }

  private async load(tenantId: string, db: Executor): Promise<QuestionListView> {
    const stored = await tenantSettingsRepository.get(db, tenantId, SETTING)
    const list = (stored as { questions?: unknown } | undefined)?.questions
    if (list !== undefined) {
      // Checked again on the way out: a document stored by an older version, or edited by hand,
      // must not reach users malformed. Such a list gives way to the built-in one.
      const { questions, problems } = questionListProblems(list, 1)
      if (problems.length === 0) return { questions, isDefault: false }
    }
    return { questions: [...defaultSecurityQuestions], isDefault: true }
  }

  private async recordListChange(trx: Executor, tenant: TenantRow, actor: Actor, count: number) {
    await this.audit.record(trx, {
      tenantId: tenant.id,
      actor,
      action: 'security-questions.updated',
      target: SETTING,
      detail: { count },
    })
  }
}
