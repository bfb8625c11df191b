import { sql } from 'kysely'
import { isPostgres } from '../dialect.ts'
import type { Executor } from '../executor.ts'
import { fixedQuery } from '../fixed-query.ts'
import type { UsersTable } from '../tables.ts'
import { rolesRepository } from './roles.ts'

export type UserRow = UsersTable

export interface UserListQuery {
  limit: number
  offset: number
  /** Case-insensitive prefix of the user name. */
  namePrefix?: string | undefined
  storeDomain?: string | undefined
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (character) => `\\${character}`)
}

/**
 * The displayed user name's comparison key (`ann`, `partners/ann`) of `users as u`: the
 * expression migration 002 indexes with the tenant, written as there so both engines use that
 * index to filter and sort by displayed name (the console's name search, SCIM's `userName`).
 */
export const displayNameKey = sql`(case when u.store_domain = 'PRIMARY' then u.username_key else lower(u.store_domain) || '/' || u.username_key end)`

/**
 * The least string above every string that starts with `prefix`, in code point order: the
 * prefix with its last code point raised by one (surrogates are skipped: no text holds them).
 * Undefined when no such string exists.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = [...prefix]
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!
    let next = last + 1
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000
    if (next <= 0x10ffff) return points.join('') + String.fromCodePoint(next)
  }
  return undefined
}

const userById = fixedQuery<{ tenantId: string; id: string }, UserRow>((db, p) =>
  db.selectFrom('users').selectAll().where('tenant_id', '=', p('tenantId')).where('id', '=', p('id')),
)

const userByStoreAndKey = fixedQuery<{ tenantId: string; storeDomain: string; key: string }, UserRow>(
  (db, p) =>
    db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', p('tenantId'))
      .where('store_domain', '=', p('storeDomain'))
      .where('username_key', '=', p('key')),
)

export interface VersionMove {
  tenantId: string
  id: string
  /** The version the change was computed from; the move fails when the row moved meanwhile. */
  expectedVersion: number
  updatedAt: number
  status: UserRow['status']
  lockReason: string | null
  /** A new user name (undefined: kept); the user's groups' versions move with it. */
  rename?: Pick<UserRow, 'username' | 'username_key'> | undefined
}

const moveUserVersion = fixedQuery<VersionMove, never>((db, p) =>
  db
    .updateTable('users')
    .set({
      version: sql<number>`version + 1`,
      updated_at: p('updatedAt'),
      status: p('status'),
      lock_reason: p('lockReason'),
    })
    .where('tenant_id', '=', p('tenantId'))
    .where('id', '=', p('id'))
    .where('version', '=', p('expectedVersion')),
)

/** The fields of a user's account a status write moves, as the writes that return them answer. */
export type AccountFields = Pick<UserRow, 'status' | 'lock_reason' | 'version' | 'updated_at'>
export const ACCOUNT_FIELDS = ['status', 'lock_reason', 'version', 'updated_at'] as const

const liftUserResetLock = fixedQuery<{ tenantId: string; id: string; now: number }, AccountFields>((db, p) =>
  db
    .updateTable('users')
    .set({
      status: sql<UserRow['status']>`case when status = 'disabled' then 'disabled' else 'active' end`,
      lock_reason: sql<null>`null`,
      updated_at: p('now'),
      version: sql<number>`version + 1`,
    })
    .where('tenant_id', '=', p('tenantId'))
    .where('id', '=', p('id'))
    .where('lock_reason', '=', sql<string>`'reset-pending'`)
    .where('status', '<>', sql<UserRow['status']>`'active'`)
    .returning(ACCOUNT_FIELDS),
)

const touchUser = fixedQuery<{ tenantId: string; id: string; now: number }, AccountFields>((db, p) =>
  db
    .updateTable('users')
    .set({ updated_at: p('now'), version: sql<number>`version + 1` })
    .where('tenant_id', '=', p('tenantId'))
    .where('id', '=', p('id'))
    .returning(ACCOUNT_FIELDS),
)

/**
 * Runs `write`, a statement on the user's row that applies only at the version it is given,
 * after moving the versions of the roles the user is a member of (their `members` show it):
 * for a change of the user that changes those roles' representations (its name, its removal).
 * The roles go first, the order of every membership write (`rolesRepository`). A membership
 * committed between the two statements moved the user's version as it was added, so the
 * write then finds no row at that version and both run again on what is now committed; no
 * role the user belongs to is left at a version that showed it otherwise. False when the
 * user does not exist.
 */
async function afterGroupsMoved(
  db: Executor,
  tenantId: string,
  id: string,
  now: number,
  write: (version: number) => Promise<boolean>,
): Promise<boolean> {
  for (;;) {
    const current = (await userById(db, { tenantId, id })).rows[0]
    if (!current) return false
    await rolesRepository.touchRolesOf(db, id, now)
    if (await write(current.version)) return true
  }
}

export const usersRepository = {
  /**
   * Moves the version by one and sets the status (and the name); false when the version was
   * not the expected one. A rename first moves the versions of the user's groups, whose
   * `members[].display` show the name: a membership added in between moves the user's version
   * too, so the move then fails and the caller recomputes on what is committed.
   */
  async moveVersion(db: Executor, move: VersionMove): Promise<boolean> {
    const { rename } = move
    if (!rename) {
      const { numAffectedRows } = await moveUserVersion(db, move)
      return Number(numAffectedRows ?? 0) > 0
    }
    await rolesRepository.touchRolesOf(db, move.id, move.updatedAt)
    const moved = await db
      .updateTable('users')
      .set((eb) => ({
        version: eb('version', '+', 1),
        updated_at: move.updatedAt,
        status: move.status,
        lock_reason: move.lockReason,
        username: rename.username,
        username_key: rename.username_key,
      }))
      .where('tenant_id', '=', move.tenantId)
      .where('id', '=', move.id)
      .where('version', '=', move.expectedVersion)
      .executeTakeFirst()
    return Number(moved.numUpdatedRows) > 0
  },
  async findById(db: Executor, tenantId: string, id: string): Promise<UserRow | undefined> {
    return (await userById(db, { tenantId, id })).rows[0]
  },
  /**
   * Holds the user's row until the caller's transaction ends, for a write that must take it
   * before anything else (one lock order with the forced-reset trigger). PostgreSQL only: SQLite
   * runs one write transaction at a time, and a read there would be work for nothing.
   */
  async lockRow(db: Executor, tenantId: string, id: string): Promise<void> {
    if (!isPostgres(db)) return
    await db
      .selectFrom('users')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .forUpdate()
      .execute()
  },
  /**
   * Moves the version of a user changed elsewhere than in its row (a password, a pending reset
   * ended under an administrator's lock), so that SCIM ETags change with what the user reads as.
   * On PostgreSQL it also holds the row until the transaction ends.
   */
  async touch(db: Executor, tenantId: string, id: string, now: number): Promise<AccountFields | undefined> {
    return (await touchUser(db, { tenantId, id, now })).rows[0]
  },
  /**
   * Lifts a forced reset's lock, and only that lock, in one statement that PostgreSQL re-checks
   * against the row as committed: a status written meanwhile (a SCIM disable, an administrator's
   * lock) is kept, never overwritten from an earlier read. A disabled account stays disabled.
   */
  async liftResetLock(
    db: Executor,
    tenantId: string,
    id: string,
    now: number,
  ): Promise<AccountFields | undefined> {
    return (await liftUserResetLock(db, { tenantId, id, now })).rows[0]
  },
  /**
   * The user, its row locked until the caller's transaction ends (PostgreSQL: FOR UPDATE; SQLite
   * runs one write transaction at a time). For a decision on the row's current state that must
   * still hold when the write lands (a lock or unlock beside a forced reset, say).
   */
  async findForUpdate(db: Executor, tenantId: string, id: string): Promise<UserRow | undefined> {
    const query = db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id)
    return (isPostgres(db) ? query.forUpdate() : query).executeTakeFirst()
  },
  /** The user of a store domain whose name has the comparison key `nameKey`: one unique-index probe. */
  async findByName(
    db: Executor,
    tenantId: string,
    storeDomain: string,
    nameKey: string,
  ): Promise<UserRow | undefined> {
    return (await userByStoreAndKey(db, { tenantId, storeDomain, key: nameKey })).rows[0]
  },
  /**
   * The sign-in read: the user, its password hash and its pending forced reset's mode (null:
   * none) in one round trip. Threat: a pending reset means the password may be known to
   * someone else; sign-in refuses it whatever the account's status says, so no status write
   * (an unlock, an enable) can bring the old password back.
   */
  findForLogin(db: Executor, tenantId: string, storeDomain: string, nameKey: string) {
    return db
      .selectFrom('users')
      .leftJoin('password_credentials', 'password_credentials.user_id', 'users.id')
      .leftJoin('pending_resets', 'pending_resets.user_id', 'users.id')
      .select([
        'users.id',
        'users.tenant_id',
        'users.store_domain',
        'users.username',
        'users.status',
        'users.lock_reason',
        'password_credentials.hash',
        'password_credentials.changed_at',
        'pending_resets.mode as pending_reset_mode',
      ])
      .where('users.tenant_id', '=', tenantId)
      .where('users.store_domain', '=', storeDomain)
      .where('users.username_key', '=', nameKey)
      .executeTakeFirst()
  },
  async list(
    db: Executor,
    tenantId: string,
    query: UserListQuery,
  ): Promise<{ rows: UserRow[]; total: number }> {
    let base = db.selectFrom('users').where('tenant_id', '=', tenantId)
    if (query.namePrefix) {
      // SQLite has no default LIKE escape character; name one so '%' and '_' match literally on both engines.
      const pattern = `${escapeLike(query.namePrefix.toLowerCase())}%`
      base = base.where(sql<boolean>`username_key like ${pattern} escape '\\'`)
    }
    if (query.storeDomain) base = base.where('store_domain', '=', query.storeDomain)
    const [rows, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('username_key')
        .orderBy('id')
        .limit(query.limit)
        .offset(query.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    ])
    return { rows, total: Number(count.total) }
  },
  /**
   * Users whose displayed name (`ann`, `PARTNERS/ann`) starts with a comparison key, in that
   * name's order: a range of the (tenant, display key) index of migration 002 on both engines
   * (code point order: `collate "C"` on PostgreSQL, as the index is built), for the page and
   * for its count alike, so a prefix costs its matches however many users the tenant has.
   * An empty prefix lists every user.
   */
  async listByDisplayPrefix(
    db: Executor,
    tenantId: string,
    query: { prefixKey: string; limit: number; offset: number },
  ): Promise<{ rows: UserRow[]; total: number }> {
    const key = isPostgres(db) ? sql`${displayNameKey} collate "C"` : displayNameKey
    const upper = prefixUpperBound(query.prefixKey)
    let base = db.selectFrom('users as u').where('u.tenant_id', '=', tenantId)
    if (query.prefixKey) base = base.where(sql<boolean>`${key} >= ${query.prefixKey}`)
    if (query.prefixKey && upper !== undefined) base = base.where(sql<boolean>`${key} < ${upper}`)
    const [rows, count] = await Promise.all([
      base
        .selectAll('u')
        .orderBy(sql`${key}`)
        .orderBy('u.id')
        .limit(query.limit)
        .offset(query.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    ])
    return { rows, total: Number(count.total) }
  },
  /**
   * Users having a claim whose comparison key equals `valueKey` (an email address, say), by
   * user name. Driven from the (tenant_id, claim_uri, value_key) index of the claims, so the
   * look-up costs the matches, not the tenant's size: the cross join keeps SQLite from walking
   * every user of the tenant in name order instead (it joins in the order written; PostgreSQL
   * plans it as an inner join).
   */
  async listWithClaim(
    db: Executor,
    tenantId: string,
    query: { claimUri: string; valueKey: string; limit: number; offset: number },
  ): Promise<{ rows: UserRow[]; total: number }> {
    const base = db
      .selectFrom('user_claims as c')
      .crossJoin('users as u')
      .whereRef('u.id', '=', 'c.user_id')
      .where('c.tenant_id', '=', tenantId)
      .where('c.claim_uri', '=', query.claimUri)
      .where('c.value_key', '=', query.valueKey)
      .where('u.tenant_id', '=', tenantId)
    const [rows, count] = await Promise.all([
      base
        .selectAll('u')
        .orderBy('u.username_key')
        .orderBy('u.id')
        .limit(query.limit)
        .offset(query.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    ])
    return { rows, total: Number(count.total) }
  },
  async insert(db: Executor, row: UserRow): Promise<void> {
    await db.insertInto('users').values(row).execute()
  },
  /** Moves the version and applies `changes`; a new name moves the user's groups' versions too. */
  async update(
    db: Executor,
    tenantId: string,
    id: string,
    changes: Partial<Pick<UserRow, 'username' | 'username_key' | 'status' | 'lock_reason'>> & {
      updated_at: number
    },
  ): Promise<void> {
    const write = (version?: number) => {
      const query = db
        .updateTable('users')
        .set((eb) => ({ ...changes, version: eb('version', '+', 1) }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
      return (version === undefined ? query : query.where('version', '=', version)).executeTakeFirst()
    }
    if (changes.username === undefined) {
      await write()
      return
    }
    await afterGroupsMoved(db, tenantId, id, changes.updated_at, async (version) => {
      return Number((await write(version)).numUpdatedRows) > 0
    })
  },
  /**
   * Deletes the user and what a forced reset left for it: its pending reset and its codes have
   * no foreign key to cascade (migration 013). Its groups lose it from their `members`, so their
   * versions move first (`afterGroupsMoved`). The user's row goes before the reset's rows: on
   * PostgreSQL the delete waits for a trigger that locked the row, and the deletes after it see
   * what that trigger committed. Callers run it in a transaction.
   */
  /**
   * `beforeDelete` runs once the user's groups are held (their versions moved), right before
   * the row goes: a check there reads what a change of those groups committed, or that change
   * waits for this delete (UserService.delete).
   */
  async delete(
    db: Executor,
    tenantId: string,
    id: string,
    now: number,
    beforeDelete?: () => Promise<void>,
  ): Promise<boolean> {
    const deleted = await afterGroupsMoved(db, tenantId, id, now, async (version) => {
      await beforeDelete?.()
      const result = await db
        .deleteFrom('users')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('version', '=', version)
        .executeTakeFirst()
      return Number(result.numDeletedRows) > 0
    })
    if (!deleted) return false
    await db.deleteFrom('pending_resets').where('user_id', '=', id).execute()
    await db.deleteFrom('reset_codes').where('user_id', '=', id).execute()
    return true
  },
  async countInRole(db: Executor, roleId: string): Promise<number> {
    const row = await db
      .selectFrom('user_roles')
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .where('role_id', '=', roleId)
      .executeTakeFirstOrThrow()
    return Number(row.total)
  },
}
