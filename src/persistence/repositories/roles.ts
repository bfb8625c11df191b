import { sql } from 'kysely'
import { isPostgres } from '../dialect.ts'
import type { Executor } from '../executor.ts'
import { fixedQuery } from '../fixed-query.ts'
import type { RolesTable } from '../tables.ts'

export type RoleRow = RolesTable

const permissionsOf = fixedQuery<{ userId: string }, { permission: string }>((db, p) =>
  db
    .selectFrom('user_roles')
    .innerJoin('role_permissions', 'role_permissions.role_id', 'user_roles.role_id')
    .select('role_permissions.permission')
    .distinct()
    .where('user_roles.user_id', '=', p('userId')),
)

const rolesOfOneUser = fixedQuery<{ userId: string }, { user_id: string; id: string; name: string }>(
  (db, p) =>
    db
      .selectFrom('user_roles')
      .innerJoin('roles', 'roles.id', 'user_roles.role_id')
      .select(['user_roles.user_id', 'roles.id', 'roles.name'])
      .where('user_roles.user_id', '=', p('userId'))
      .orderBy('roles.name_key'),
)

/** What a guarded write of a role changes besides its version (undefined: kept). */
export interface RoleChanges {
  name?: { name: string; nameKey: string } | undefined
  externalId?: string | null | undefined
}

/**
 * Versions (SCIM ETags, RFC 7644 §3.14) of roles and users depend on each other: a group's
 * `members` show its users' ids and names, and a user's `groups` show its roles' ids and names.
 * So every change of one side's representation moves the versions of the other side's rows it
 * shows in, here, in one set-based statement each: a membership added or removed, a role
 * renamed or deleted, a user renamed or deleted (`usersRepository`).
 *
 * Lock order: role rows before user rows. Membership writes take the role's row first (its
 * version), then the member's; a role rename or delete takes the role, then its members; a user
 * rename or delete moves its roles' versions before it takes the user's row. One order for
 * every writer, so none of them can deadlock with another on PostgreSQL.
 */
export const rolesRepository = {
  findByName(db: Executor, tenantId: string, nameKey: string): Promise<RoleRow | undefined> {
    return db
      .selectFrom('roles')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name_key', '=', nameKey)
      .executeTakeFirst()
  },
  list(db: Executor, tenantId: string): Promise<RoleRow[]> {
    return db.selectFrom('roles').selectAll().where('tenant_id', '=', tenantId).orderBy('name_key').execute()
  },
  async insert(db: Executor, row: RoleRow): Promise<void> {
    await db.insertInto('roles').values(row).execute()
  },
  /** Renames the role; its members' versions move with it (their `groups[].display`). */
  async rename(db: Executor, roleId: string, name: string, nameKey: string, now: number): Promise<void> {
    await db
      .updateTable('roles')
      .set((eb) => ({ name, name_key: nameKey, updated_at: now, version: eb('version', '+', 1) }))
      .where('id', '=', roleId)
      .execute()
    await rolesRepository.touchMembersOf(db, roleId, now)
  },
  /**
   * Moves the role's version and applies `changes`, only if the role is still at
   * `expectedVersion`; false when it moved meanwhile. A new name moves the members' versions
   * too (their `groups[].display`).
   */
  async moveVersion(
    db: Executor,
    move: { tenantId: string; id: string; expectedVersion: number; now: number },
    changes: RoleChanges,
  ): Promise<boolean> {
    const moved = await db
      .updateTable('roles')
      .set((eb) => ({
        version: eb('version', '+', 1),
        updated_at: move.now,
        ...(changes.name ? { name: changes.name.name, name_key: changes.name.nameKey } : {}),
        ...(changes.externalId !== undefined ? { external_id: changes.externalId } : {}),
      }))
      .where('tenant_id', '=', move.tenantId)
      .where('id', '=', move.id)
      .where('version', '=', move.expectedVersion)
      .executeTakeFirst()
    if (Number(moved.numUpdatedRows) === 0) return false
    if (changes.name) await rolesRepository.touchMembersOf(db, move.id, move.now)
    return true
  },
  /**
   * Deletes the role; its members lose it from their `groups`, so their versions move. On
   * PostgreSQL the role's row is taken first, for update: a membership insert needs a key share
   * of it and waits, so no member can join between the versions moved and the delete (the
   * cascade would take it out of the role unversioned).
   */
  async delete(db: Executor, roleId: string, now: number): Promise<void> {
    if (isPostgres(db))
      await db.selectFrom('roles').select('id').where('id', '=', roleId).forUpdate().execute()
    await rolesRepository.touchMembersOf(db, roleId, now)
    await db.deleteFrom('roles').where('id', '=', roleId).execute()
  },
  /**
   * Moves the version of every member of the role, in one statement: a member's `groups` show
   * the role's name, so a rename or delete of the role changes each member's representation.
   */
  async touchMembersOf(db: Executor, roleId: string, now: number): Promise<void> {
    // PostgreSQL locks an update's rows in the order its plan visits them: two renames of roles
    // sharing members could take those members in opposite orders and deadlock. Taken by id
    // first, every such writer waits for the other instead.
    if (isPostgres(db))
      await db
        .selectFrom('users')
        .select('id')
        .where('id', 'in', (eb) =>
          eb.selectFrom('user_roles').select('user_id').where('role_id', '=', roleId),
        )
        .orderBy('id')
        // The update's own strength: a key share (a session or a claim inserted for the row)
        // does not wait for it.
        .forNoKeyUpdate()
        .execute()
    await db
      .updateTable('users')
      .set((eb) => ({ version: eb('version', '+', 1), updated_at: now }))
      .where('id', 'in', (eb) => eb.selectFrom('user_roles').select('user_id').where('role_id', '=', roleId))
      .execute()
  },
  /**
   * Moves the version of every role the user is a member of, in one statement: a group's
   * `members` show the user's id and name, so a rename or delete of the user changes each of
   * them. Run before the user's row is taken (the lock order above).
   */
  async touchRolesOf(db: Executor, userId: string, now: number): Promise<void> {
    // As in touchMembersOf: the roles are taken in id order, so two users sharing roles, deleted
    // or renamed together, wait for each other instead of deadlocking.
    if (isPostgres(db))
      await db
        .selectFrom('roles')
        .select('id')
        .where('id', 'in', (eb) =>
          eb.selectFrom('user_roles').select('role_id').where('user_id', '=', userId),
        )
        .orderBy('id')
        // The update's own strength: a key share (a session or a claim inserted for the row)
        // does not wait for it.
        .forNoKeyUpdate()
        .execute()
    await db
      .updateTable('roles')
      .set((eb) => ({ version: eb('version', '+', 1), updated_at: now }))
      .where('id', 'in', (eb) => eb.selectFrom('user_roles').select('role_id').where('user_id', '=', userId))
      .execute()
  },
  /** A user's roles changed: its version moves, so a cached representation (ETag) is stale. */
  async touchMember(db: Executor, userId: string, now: number): Promise<void> {
    await db
      .updateTable('users')
      .set((eb) => ({ version: eb('version', '+', 1), updated_at: now }))
      .where('id', '=', userId)
      .execute()
  },
  async permissionsOf(db: Executor, roleIds: string[]): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>(roleIds.map((id) => [id, []]))
    if (roleIds.length === 0) return result
    const rows = await db
      .selectFrom('role_permissions')
      .select(['role_id', 'permission'])
      .where('role_id', 'in', roleIds)
      .orderBy('permission')
      .execute()
    for (const row of rows) result.get(row.role_id)?.push(row.permission)
    return result
  },
  /** Marks a change of the role or its members: a new version (ETag) and modification time. */
  async touch(db: Executor, roleId: string, now: number): Promise<void> {
    await db
      .updateTable('roles')
      .set((eb) => ({ updated_at: now, version: eb('version', '+', 1) }))
      .where('id', '=', roleId)
      .execute()
  },
  async replacePermissions(db: Executor, roleId: string, permissions: readonly string[]): Promise<void> {
    await db.deleteFrom('role_permissions').where('role_id', '=', roleId).execute()
    if (permissions.length === 0) return
    await db
      .insertInto('role_permissions')
      .values(permissions.map((permission) => ({ role_id: roleId, permission })))
      .execute()
  },
  /** Every permission the user holds through its roles, in one query. */
  async permissionsOfUser(db: Executor, userId: string): Promise<string[]> {
    const { rows } = await permissionsOf(db, { userId })
    return rows.map((row) => row.permission)
  },
  rolesOfUser(db: Executor, userId: string): Promise<RoleRow[]> {
    return db
      .selectFrom('roles')
      .innerJoin('user_roles', 'user_roles.role_id', 'roles.id')
      .selectAll('roles')
      .where('user_roles.user_id', '=', userId)
      .orderBy('roles.name_key')
      .execute()
  },
  /** The roles of many users in one query, by user id (ids and names only). */
  async rolesOfUsers(
    db: Executor,
    userIds: string[],
  ): Promise<Map<string, Array<{ id: string; name: string }>>> {
    const result = new Map<string, Array<{ id: string; name: string }>>(userIds.map((id) => [id, []]))
    if (userIds.length === 0) return result
    const rows =
      userIds.length === 1
        ? (await rolesOfOneUser(db, { userId: userIds[0]! })).rows
        : await db
            .selectFrom('user_roles')
            .innerJoin('roles', 'roles.id', 'user_roles.role_id')
            .select(['user_roles.user_id', 'roles.id', 'roles.name'])
            .where('user_roles.user_id', 'in', userIds)
            .orderBy('roles.name_key')
            .execute()
    for (const row of rows) result.get(row.user_id)?.push({ id: row.id, name: row.name })
    return result
  },
  /** `newUser`: the user is being created in this transaction, so it has no version to move yet. */
  async addMember(
    db: Executor,
    tenantId: string,
    roleId: string,
    userId: string,
    now: number,
    options: { newUser?: boolean } = {},
  ): Promise<void> {
    const result = await db
      .insertInto('user_roles')
      .values({ tenant_id: tenantId, role_id: roleId, user_id: userId, assigned_at: now })
      .onConflict((conflict) => conflict.columns(['user_id', 'role_id']).doNothing())
      .executeTakeFirst()
    if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0) {
      await rolesRepository.touch(db, roleId, now)
      if (!options.newUser) await rolesRepository.touchMember(db, userId, now)
    }
  },
  async removeMember(db: Executor, roleId: string, userId: string, now: number): Promise<boolean> {
    const result = await db
      .deleteFrom('user_roles')
      .where('role_id', '=', roleId)
      .where('user_id', '=', userId)
      .executeTakeFirst()
    const removed = Number(result.numDeletedRows) > 0
    if (removed) {
      await rolesRepository.touch(db, roleId, now)
      await rolesRepository.touchMember(db, userId, now)
    }
    return removed
  },
  /** True when the user is in the built-in role and no other member of it is active. */
  async isLastActiveAdministrator(db: Executor, userId: string): Promise<boolean> {
    const { rows } = await sql<{ others: number | string }>`
      select (
        select count(*) from user_roles everyone
        inner join users on users.id = everyone.user_id
        where everyone.role_id = mine.role_id and everyone.user_id <> ${userId} and users.status = 'active'
      ) as others
      from user_roles mine
      inner join roles on roles.id = mine.role_id
      where mine.user_id = ${userId} and roles.builtin = 1`.execute(db)
    return rows.some((row) => Number(row.others) === 0)
  },
  /** True when the user is the only member of a built-in role it belongs to. */
  async isLastMemberOfBuiltin(db: Executor, userId: string): Promise<boolean> {
    const rows = await db
      .selectFrom('user_roles as mine')
      .innerJoin('roles', 'roles.id', 'mine.role_id')
      .innerJoin('user_roles as everyone', 'everyone.role_id', 'mine.role_id')
      .select((eb) => ['mine.role_id', eb.fn.countAll<number>().as('members')])
      .where('mine.user_id', '=', userId)
      .where('roles.builtin', '=', 1)
      .groupBy('mine.role_id')
      .execute()
    return rows.some((row) => Number(row.members) <= 1)
  },
  members(db: Executor, roleId: string) {
    return db
      .selectFrom('user_roles')
      .innerJoin('users', 'users.id', 'user_roles.user_id')
      .select(['users.id', 'users.store_domain', 'users.username'])
      .where('user_roles.role_id', '=', roleId)
      .orderBy('users.username_key')
      .execute()
  },
}
