import { isPostgres } from '../dialect.ts'
import type { Executor } from '../executor.ts'
import { fixedQuery } from '../fixed-query.ts'

export interface StoredAnswer {
  questionId: string
  /** Password hash of the normalised answer. */
  answerHash: string
}

const answeredIds = fixedQuery<{ tenantId: string; userId: string }, { question_id: string }>((db, p) =>
  db
    .selectFrom('security_answers')
    .select('question_id')
    .where('tenant_id', '=', p('tenantId'))
    .where('user_id', '=', p('userId')),
)

/**
 * Each user's security answers, as hashes. Every statement names the tenant as well as the
 * user: a user id from another tenant finds and changes nothing here.
 */
export const securityAnswersRepository = {
  /**
   * Whether the user exists in the tenant; on PostgreSQL its row stays locked until the
   * caller's transaction ends, so two replacements of one user's answers run one after the
   * other (SQLite serialises writers anyway).
   */
  async lockOwner(db: Executor, tenantId: string, userId: string): Promise<boolean> {
    const row = await db
      .selectFrom('users')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', userId)
      .$if(isPostgres(db), (query) => query.forUpdate())
      .executeTakeFirst()
    return row !== undefined
  },

  /** The ids of the questions the user has an answer to, in no particular order. */
  async answeredQuestionIds(db: Executor, tenantId: string, userId: string): Promise<string[]> {
    return (await answeredIds(db, { tenantId, userId })).rows.map((row) => row.question_id)
  },

  /** The stored hashes of the named questions the user answered, by question id. */
  async hashesOf(
    db: Executor,
    tenantId: string,
    userId: string,
    questionIds: readonly string[],
  ): Promise<Map<string, string>> {
    if (questionIds.length === 0) return new Map()
    const rows = await db
      .selectFrom('security_answers')
      .select(['question_id', 'answer_hash'])
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('question_id', 'in', [...new Set(questionIds)])
      .execute()
    return new Map(rows.map((row) => [row.question_id, row.answer_hash]))
  },

  /** Replaces all of a user's answers with these; `db` is the caller's transaction. */
  async replaceForUser(
    db: Executor,
    write: { tenantId: string; userId: string; answers: readonly StoredAnswer[]; now: number },
  ): Promise<void> {
    await db
      .deleteFrom('security_answers')
      .where('tenant_id', '=', write.tenantId)
      .where('user_id', '=', write.userId)
      .execute()
    if (write.answers.length === 0) return
    await db
      .insertInto('security_answers')
      .values(
        write.answers.map((answer) => ({
          user_id: write.userId,
          tenant_id: write.tenantId,
          question_id: answer.questionId,
          answer_hash: answer.answerHash,
          created_at: write.now,
        })),
      )
      .execute()
  },

  /** Removes all of a user's answers; how many there were. */
  async clearForUser(db: Executor, tenantId: string, userId: string): Promise<number> {
    const result = await db
      .deleteFrom('security_answers')
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  },
}
