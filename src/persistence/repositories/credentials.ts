import type { Executor } from '../executor.ts'
import { fixedQuery } from '../fixed-query.ts'
import type { PasswordCredentialsTable } from '../tables.ts'

export type CredentialRow = PasswordCredentialsTable

const changedAtOfUser = fixedQuery<{ userId: string }, { user_id: string; changed_at: number }>((db, p) =>
  db.selectFrom('password_credentials').select(['user_id', 'changed_at']).where('user_id', '=', p('userId')),
)

export const credentialsRepository = {
  find(db: Executor, userId: string): Promise<CredentialRow | undefined> {
    return db.selectFrom('password_credentials').selectAll().where('user_id', '=', userId).executeTakeFirst()
  },
  async changedAtFor(db: Executor, userIds: string[]): Promise<Map<string, number>> {
    if (userIds.length === 0) return new Map()
    const rows =
      userIds.length === 1
        ? (await changedAtOfUser(db, { userId: userIds[0]! })).rows
        : await db
            .selectFrom('password_credentials')
            .select(['user_id', 'changed_at'])
            .where('user_id', 'in', userIds)
            .execute()
    return new Map(rows.map((row) => [row.user_id, row.changed_at]))
  },
  async upsert(db: Executor, row: CredentialRow): Promise<void> {
    await db
      .insertInto('password_credentials')
      .values(row)
      .onConflict((conflict) =>
        conflict
          .column('user_id')
          .doUpdateSet({ hash: row.hash, changed_at: row.changed_at, updated_at: row.updated_at }),
      )
      .execute()
  },
  /**
   * Replaces the encoding of the same password (parameter upgrade or imported-hash upgrade)
   * only if nobody changed the password meanwhile; `changed_at` is kept because the password
   * itself did not change.
   */
  async replaceEncoding(
    db: Executor,
    userId: string,
    expectedHash: string,
    newHash: string,
    now: number,
  ): Promise<boolean> {
    const result = await db
      .updateTable('password_credentials')
      .set({ hash: newHash, updated_at: now })
      .where('user_id', '=', userId)
      .where('hash', '=', expectedHash)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  },
}
