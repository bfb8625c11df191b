import { newId } from '../../security/tokens.ts'
import type { Executor } from '../executor.ts'

/** The most entries kept per user: the largest history a policy may ask for. */
export const PASSWORD_HISTORY_KEPT = 24

export const passwordHistoryRepository = {
  /** Earlier password hashes of a user, most recently replaced first. */
  async recent(db: Executor, userId: string, limit: number): Promise<string[]> {
    if (limit <= 0) return []
    const rows = await db
      .selectFrom('password_history')
      .select('hash')
      .where('user_id', '=', userId)
      .orderBy('sequence', 'desc')
      .limit(limit)
      .execute()
    return rows.map((row) => row.hash)
  },

  /** Records a password that was just replaced and drops entries beyond what any policy reads. */
  async remember(
    db: Executor,
    entry: { tenantId: string; userId: string; hash: string; replacedAt: number },
  ): Promise<void> {
    const last = await db
      .selectFrom('password_history')
      .select((eb) => eb.fn.max('sequence').as('sequence'))
      .where('user_id', '=', entry.userId)
      .executeTakeFirst()
    await db
      .insertInto('password_history')
      .values({
        id: newId(),
        tenant_id: entry.tenantId,
        user_id: entry.userId,
        hash: entry.hash,
        replaced_at: entry.replacedAt,
        sequence: Number(last?.sequence ?? 0) + 1,
      })
      .execute()
    const kept = db
      .selectFrom('password_history')
      .select('id')
      .where('user_id', '=', entry.userId)
      .orderBy('sequence', 'desc')
      .limit(PASSWORD_HISTORY_KEPT)
    await db
      .deleteFrom('password_history')
      .where('user_id', '=', entry.userId)
      .where('id', 'not in', kept)
      .execute()
  },
}
