import type { Executor } from '../../persistence/executor.ts'
import { claimsRepository } from '../../persistence/repositories/claims.ts'
import { credentialsRepository } from '../../persistence/repositories/credentials.ts'
import { rolesRepository } from '../../persistence/repositories/roles.ts'
import { type UserRow, usersRepository } from '../../persistence/repositories/users.ts'
import type { UserRecord } from './user-record.ts'

/** Loads what SCIM renders for a set of users: three queries whatever the page size. */
export async function readUserRecords(db: Executor, rows: readonly UserRow[]): Promise<UserRecord[]> {
  if (rows.length === 0) return []
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
