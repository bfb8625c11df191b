import { displayUserName } from '../../domain/user-name.ts'
import type { Executor } from '../../persistence/executor.ts'
import type { RoleRow } from '../../persistence/repositories/roles.ts'
import type { GroupRecord } from './group-record.ts'

/** Loads groups with their members (one query for all members of the page), or without. */
export async function readGroupRecords(
  db: Executor,
  rows: readonly RoleRow[],
  withMembers: boolean,
): Promise<GroupRecord[]> {
  if (!withMembers || rows.length === 0)
    return rows.map((row) => ({ row, members: withMembers ? [] : undefined }))
  const members = await db
    .selectFrom('user_roles')
    .innerJoin('users', 'users.id', 'user_roles.user_id')
    .select(['user_roles.role_id', 'users.id', 'users.store_domain', 'users.username'])
    .where(
      'user_roles.role_id',
      'in',
      rows.map((row) => row.id),
    )
    .orderBy('users.username_key')
    .execute()
  const byRole = new Map<string, Array<{ id: string; display: string }>>(rows.map((row) => [row.id, []]))
  for (const member of members)
    byRole
      .get(member.role_id)
      ?.push({ id: member.id, display: displayUserName(member.store_domain, member.username) })
  return rows.map((row) => ({ row, members: byRole.get(row.id) ?? [] }))
}

export async function readGroupRecord(
  db: Executor,
  tenantId: string,
  id: string,
  withMembers: boolean,
): Promise<GroupRecord | undefined> {
  const row = await db
    .selectFrom('roles')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) return undefined
  const [record] = await readGroupRecords(db, [row], withMembers)
  return record
}
