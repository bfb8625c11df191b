import { sql } from 'kysely'
import type { Executor } from '../../persistence/executor.ts'
import { fixedQuery } from '../../persistence/fixed-query.ts'
import {
  type ClaimRow,
  type Claims,
  claimsRepository,
  collectClaims,
} from '../../persistence/repositories/claims.ts'
import { credentialsRepository } from '../../persistence/repositories/credentials.ts'
import { rolesRepository } from '../../persistence/repositories/roles.ts'
import { type UserRow, usersRepository } from '../../persistence/repositories/users.ts'
import type { UserRecord } from './user-record.ts'

type PartKind = 'claim' | 'pending' | 'password' | 'role'

/** One part of a user's record: a claim, its pending reset, its password's time or a role. */
interface RecordPart {
  part: PartKind
  user_id: string
  a: string | null
  b: string
  sort_key: string | null
}

const nothing = sql<string | null>`null`

/**
 * One user's claims, pending reset, password time and roles in one statement: a filtered GET
 * and every write read one user, and on the embedded store each statement outside a
 * transaction takes the WAL's read lock on its own; on PostgreSQL each is a round trip. The
 * roles come in their names' order, as in the query for many users.
 */
const recordOfUser = fixedQuery<{ userId: string }, RecordPart>((db, p) =>
  db
    .selectFrom('pending_resets')
    .select([
      sql<PartKind>`'pending'`.as('part'),
      'user_id',
      nothing.as('a'),
      sql<string>`mode`.as('b'),
      nothing.as('sort_key'),
    ])
    .where('user_id', '=', p('userId'))
    .unionAll(
      db
        .selectFrom('user_claims')
        .select([
          sql<PartKind>`'claim'`.as('part'),
          'user_id',
          'claim_uri as a',
          'value as b',
          nothing.as('sort_key'),
        ])
        .where('user_id', '=', p('userId')),
    )
    .unionAll(
      db
        .selectFrom('password_credentials')
        .select([
          sql<PartKind>`'password'`.as('part'),
          'user_id',
          nothing.as('a'),
          sql<string>`cast(changed_at as text)`.as('b'),
          nothing.as('sort_key'),
        ])
        .where('user_id', '=', p('userId')),
    )
    .unionAll(
      db
        .selectFrom('user_roles')
        .innerJoin('roles', 'roles.id', 'user_roles.role_id')
        .select([
          sql<PartKind>`'role'`.as('part'),
          'user_roles.user_id',
          'roles.id as a',
          'roles.name as b',
          'roles.name_key as sort_key',
        ])
        .where('user_roles.user_id', '=', p('userId')),
    )
    .orderBy('sort_key'),
)

async function readOneRecord(db: Executor, row: UserRow): Promise<UserRecord> {
  const claimRows: ClaimRow[] = []
  const groups: Array<{ id: string; name: string }> = []
  let passwordChangedAt: number | null = null
  for (const part of (await recordOfUser(db, { userId: row.id })).rows) {
    if (part.part === 'role') groups.push({ id: part.a!, name: part.b })
    else if (part.part === 'password') passwordChangedAt = Number(part.b)
    else
      claimRows.push({
        user_id: part.user_id,
        claim_uri: part.part === 'claim' ? part.a : null,
        value: part.b,
      })
  }
  const claims: Claims = {}
  collectClaims(claimRows, new Map([[row.id, claims]]))
  return { row, claims, passwordChangedAt, groups }
}

/** Loads what SCIM renders for a set of users: three queries whatever the page size, one for one user. */
export async function readUserRecords(db: Executor, rows: readonly UserRow[]): Promise<UserRecord[]> {
  if (rows.length === 0) return []
  if (rows.length === 1) return [await readOneRecord(db, rows[0]!)]
  const ids = rows.map((row) => row.id)
  const [claims, changed, groups] = await Promise.all([
    claimsRepository.forUsers(db, ids),
    credentialsRepository.changedAtFor(db, ids),
    rolesRepository.rolesOfUsers(db, ids),
  ])
  return rows.map((row) => ({
    row,
    claims: claims.get(row.id) ?? {},
    passwordChangedAt: changed.get(row.id) ?? null,
    groups: groups.get(row.id) ?? [],
  }))
}

export async function readUserRecord(
  db: Executor,
  tenantId: string,
  id: string,
): Promise<UserRecord | undefined> {
  const row = await usersRepository.findById(db, tenantId, id)
  if (!row) return undefined
  const [record] = await readUserRecords(db, [row])
  return record
}
