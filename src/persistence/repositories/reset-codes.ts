import { sql } from 'kysely'
import { sameHmac } from '../../security/one-time-secrets.ts'
import type { Executor } from '../executor.ts'
import { fixedQuery } from '../fixed-query.ts'
import type { PendingResetsTable, ResetCodesTable } from '../tables.ts'

export type ResetCodeRow = ResetCodesTable

/**
 * How a presented link is looked for: its code's id and the HMAC of its verifier, or, for a
 * link of the first format (kind `link-v1`, no `codeId`), the HMAC of the whole token.
 */
export interface StoredLink {
  codeId?: string | undefined
  hmac: string
}
export type PendingResetRow = PendingResetsTable

/** The result of presenting a one-time password. */
export type OtpAttempt =
  | { outcome: 'accepted'; codeId: string }
  | { outcome: 'invalid'; attemptsLeft: number }
  /** No live code: none issued, expired, used, or out of attempts. Nothing was counted. */
  | { outcome: 'no-code' }

// Fixed queries (compiled once): a SCIM write that cancels a reset runs each of these.
const unusedCodesVoided = fixedQuery<{ userId: string }, never>((db, p) =>
  db.deleteFrom('reset_codes').where('user_id', '=', p('userId')).where('used_at', 'is', sql<null>`null`),
)
const pendingResetCleared = fixedQuery<{ userId: string }, never>((db, p) =>
  db.deleteFrom('pending_resets').where('user_id', '=', p('userId')),
)
const liveLinkById = fixedQuery<{ id: string; now: number }, ResetCodeRow>((db, p) =>
  db
    .selectFrom('reset_codes')
    .selectAll()
    .where('id', '=', p('id'))
    // A row of either format: if migration 017 ran again (after a down, or from two processes
    // at once) it made links with a selector `link-v1` too. Their HMACs cannot meet: the first
    // format's input holds no code id.
    .where(sql<boolean>`kind in ('link', 'link-v1')`)
    .where('used_at', 'is', sql<null>`null`)
    .where('expires_at', '>', p('now')),
)
const liveFirstFormatLink = fixedQuery<{ hmac: string; now: number }, ResetCodeRow>((db, p) =>
  db
    .selectFrom('reset_codes')
    .selectAll()
    .where('secret_hmac', '=', p('hmac'))
    // Literal, not a bound value: only then may the planner use the partial index of these links.
    .where('kind', '=', sql<'link-v1'>`'link-v1'`)
    .where('used_at', 'is', sql<null>`null`)
    .where('expires_at', '>', p('now')),
)
const pendingResetOf = fixedQuery<{ userId: string }, PendingResetRow>((db, p) =>
  db.selectFrom('pending_resets').selectAll().where('user_id', '=', p('userId')),
)

export const resetCodesRepository = {
  async insert(db: Executor, row: ResetCodeRow): Promise<void> {
    await db.insertInto('reset_codes').values(row).execute()
  },

  /** Removes the user's unused codes: a new trigger replaces them, a cancel voids them. */
  async voidForUser(db: Executor, userId: string): Promise<number> {
    return Number((await unusedCodesVoided(db, { userId })).numAffectedRows ?? 0)
  },

  /**
   * Presents a one-time password for a user. The attempt is counted first, with a conditional
   * update that only succeeds while attempts are left, and only then compared: parallel
   * guesses cannot get more tries than the limit (each update sees the others' counts), and a
   * match is consumed by a second conditional update, so it signs in once.
   */
  async tryOtp(
    db: Executor,
    attempt: { userId: string; now: number; matches: (storedHmac: string) => boolean },
  ): Promise<OtpAttempt> {
    const { rows } = await sql<{ id: string; secret_hmac: string; attempts: number; max_attempts: number }>`
      update reset_codes set attempts = attempts + 1
      where id = (
        select id from reset_codes
        where user_id = ${attempt.userId} and kind = 'otp' and used_at is null
          and expires_at > ${attempt.now} and attempts < max_attempts
        order by created_at desc
        limit 1
      ) and attempts < max_attempts
      returning id, secret_hmac, attempts, max_attempts`.execute(db)
    const code = rows[0]
    if (!code) return { outcome: 'no-code' }
    if (!attempt.matches(code.secret_hmac))
      return { outcome: 'invalid', attemptsLeft: Math.max(0, code.max_attempts - code.attempts) }
    const consumed = await db
      .updateTable('reset_codes')
      .set({ used_at: attempt.now })
      .where('id', '=', code.id)
      .where('used_at', 'is', null)
      .executeTakeFirst()
    return Number(consumed.numUpdatedRows) > 0
      ? { outcome: 'accepted', codeId: code.id }
      : { outcome: 'no-code' }
  },

  /**
   * A live link code, without consuming it (a page GET must not: mail scanners follow links).
   * A link names its code: the row is found by its id and its HMAC compared in constant time.
   */
  async findLiveLink(db: Executor, link: StoredLink, now: number): Promise<ResetCodeRow | undefined> {
    const { rows } = link.codeId
      ? await liveLinkById(db, { id: link.codeId, now })
      : await liveFirstFormatLink(db, { hmac: link.hmac, now })
    const code = rows[0]
    return code && sameHmac(code.secret_hmac, link.hmac) ? code : undefined
  },

  /**
   * Consumes a live link code; the row when this call consumed it, undefined otherwise. The
   * HMAC is compared by the update itself, so that spending is one conditional statement; its
   * timing says nothing useful: the HMAC is the server's, of what the caller sent.
   */
  async consumeLink(db: Executor, link: StoredLink, now: number): Promise<ResetCodeRow | undefined> {
    // Either kind by id (see liveLinkById); by HMAC, the literal kind the partial index covers.
    const which = link.codeId
      ? sql`id = ${link.codeId} and kind in ('link', 'link-v1')`
      : sql`kind = 'link-v1'`
    const { rows } = await sql<ResetCodeRow>`
      update reset_codes set used_at = ${now}
      where ${which} and secret_hmac = ${link.hmac} and used_at is null and expires_at > ${now}
      returning *`.execute(db)
    return rows[0]
  },

  /** The sealed offline one-time password of a user, while it is live. */
  liveOfflineOtp(db: Executor, userId: string, now: number): Promise<ResetCodeRow | undefined> {
    return db
      .selectFrom('reset_codes')
      .selectAll()
      .where('user_id', '=', userId)
      .where('kind', '=', 'otp')
      .where('sealed_secret', 'is not', null)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .executeTakeFirst()
  },
}

export const pendingResetsRepository = {
  async set(db: Executor, row: PendingResetRow): Promise<void> {
    await db
      .insertInto('pending_resets')
      .values(row)
      .onConflict((conflict) =>
        conflict.column('user_id').doUpdateSet({
          mode: row.mode,
          requested_at: row.requested_at,
          requested_by: row.requested_by,
          reason: row.reason,
        }),
      )
      .execute()
  },
  async clear(db: Executor, userId: string): Promise<boolean> {
    return Number((await pendingResetCleared(db, { userId })).numAffectedRows ?? 0) > 0
  },
  async find(db: Executor, userId: string): Promise<PendingResetRow | undefined> {
    return (await pendingResetOf(db, { userId })).rows[0]
  },
  /** The pending resets among some of a tenant's users (a page of a list): one statement. */
  async findForUsers(db: Executor, tenantId: string, userIds: readonly string[]): Promise<PendingResetRow[]> {
    if (userIds.length === 0) return []
    return db
      .selectFrom('pending_resets')
      .selectAll()
      .where('user_id', 'in', [...userIds])
      .where('tenant_id', '=', tenantId)
      .execute()
  },
}
