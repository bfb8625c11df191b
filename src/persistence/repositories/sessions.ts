import type { Executor } from '../executor.ts'
import type { SessionsTable } from '../tables.ts'

export type SessionRow = SessionsTable

export const sessionsRepository = {
  async insert(db: Executor, row: SessionRow): Promise<void> {
    await db.insertInto('sessions').values(row).execute()
  },
  findActiveByHash(db: Executor, tokenHash: string, now: number): Promise<SessionRow | undefined> {
    return db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst()
  },
  listActiveForUser(db: Executor, userId: string, now: number): Promise<SessionRow[]> {
    return db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .execute()
  },
  /** True while the session is neither revoked nor expired. */
  async isLive(db: Executor, id: string, now: number): Promise<boolean> {
    const row = await db
      .selectFrom('sessions')
      .select('id')
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst()
    return row !== undefined
  },
  async revoke(db: Executor, id: string, now: number): Promise<boolean> {
    const result = await db
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  },
  /** Revokes every live session of a user, optionally keeping one (the caller's own). */
  async revokeAllForUser(db: Executor, userId: string, now: number, exceptId?: string): Promise<number> {
    let query = db
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
    if (exceptId) query = query.where('id', '!=', exceptId)
    const result = await query.executeTakeFirst()
    return Number(result.numUpdatedRows)
  },
}
