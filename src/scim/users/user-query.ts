import { type RawBuilder, type SqlBool, sql } from 'kysely'
import { PRIMARY_STORE } from '../../domain/user-name.ts'
import { isPostgres } from '../../persistence/dialect.ts'
import type { Executor } from '../../persistence/executor.ts'
import { displayNameKey, type UserRow, usersRepository } from '../../persistence/repositories/users.ts'
import { scimError } from '../errors.ts'
import type { AttributePath, Filter } from '../filter/ast.ts'
import { userRegistry } from '../schema/registry.ts'
import { type Condition, toSql } from '../sql/condition.ts'
import { orderBy, type SortOrder } from '../sql/list-order.ts'
import { claimTable } from './claim-table.ts'
import { UserFilterTranslator, userNameKeys } from './user-filter-sql.ts'
import { mappingOf } from './user-mapping.ts'
import { readUserRecords } from './user-reader.ts'
import type { UserRecord } from './user-record.ts'

export interface UserListRequest {
  filter?: Filter | undefined
  sortBy?: AttributePath | undefined
  sortOrder: SortOrder
  /** 1-based, as in SCIM. */
  startIndex: number
  count: number
}

const claimKey = (uri: string, caseExact: boolean) =>
  caseExact
    ? sql`(select c.value from ${claimTable(uri)} c where c.user_id = u.id and c.claim_uri = ${uri})`
    : sql`(select c.value_key from ${claimTable(uri)} c where c.user_id = u.id and c.claim_uri = ${uri})`

/** Sort keys that every user has: no ordering of absent values needed. */
const alwaysPresent = new Set(['id', 'userName', 'created', 'lastModified'])

/** The sort key of `sortBy`; multi-valued attributes sort by their primary value (RFC 7644 §3.4.2.3). */
function sortKey(path: AttributePath): RawBuilder<unknown> {
  const resolved = userRegistry.resolve(path)
  const mapping = resolved && mappingOf(resolved.schema.id, resolved.attribute.name)
  const unsortable = () =>
    scimError.invalidValue(
      `sortBy: ${path.attribute}${path.subAttribute ? `.${path.subAttribute}` : ''} cannot be sorted on.`,
    )
  if (
    !resolved ||
    !mapping ||
    resolved.attribute.returned === 'never' ||
    resolved.attribute.returned === 'request'
  )
    throw unsortable()
  const sub = resolved.subAttribute
  switch (mapping.kind) {
    case 'column':
      switch (mapping.column) {
        case 'id':
          return sql`u.id`
        case 'userName':
          return displayNameKey
        case 'created':
          return sql`u.created_at`
        case 'lastModified':
          return sql`u.updated_at`
        case 'lockedReason':
          return sql`u.lock_reason`
        default:
          throw unsortable()
      }
    case 'claim':
      return claimKey(mapping.claim, resolved.attribute.caseExact)
    case 'complex': {
      const uri = sub && mapping.subAttributes[sub.name]
      if (!uri) throw unsortable()
      return claimKey(uri, sub.caseExact)
    }
    case 'typed-values':
      if (sub && sub.name !== 'value') throw unsortable()
      return claimKey(mapping.primaryClaim, false)
    case 'meta':
      if (sub?.name === 'created') return sql`u.created_at`
      if (sub?.name === 'lastModified') return sql`u.updated_at`
      throw unsortable()
    default:
      throw unsortable()
  }
}

function isAlwaysPresent(path: AttributePath): boolean {
  const resolved = userRegistry.resolve(path)
  const mapping = resolved && mappingOf(resolved.schema.id, resolved.attribute.name)
  if (mapping?.kind === 'column') return alwaysPresent.has(mapping.column)
  return mapping?.kind === 'meta' && alwaysPresent.has(resolved?.subAttribute?.name ?? '')
}

/** dateTime attributes are stored as epoch milliseconds: their sort keys are numbers. */
function keyTypeOf(path: AttributePath): 'text' | 'number' {
  const resolved = userRegistry.resolve(path)
  return (resolved?.subAttribute ?? resolved?.attribute)?.type === 'dateTime' ? 'number' : 'text'
}

/**
 * The name a first, unsorted page looks up by `userName eq "…"`: the provisioning clients'
 * question before every write, asked far more often than any other.
 */
function userNameLookupOf(request: UserListRequest): string | undefined {
  const { filter } = request
  if (filter?.kind !== 'compare' || filter.operator !== 'eq' || typeof filter.value !== 'string')
    return undefined
  if (request.sortBy || request.startIndex !== 1 || filter.path.subAttribute !== undefined) return undefined
  const resolved = userRegistry.resolve(filter.path)
  const mapping = resolved && mappingOf(resolved.schema.id, resolved.attribute.name)
  return mapping?.kind === 'column' && mapping.column === 'userName' ? filter.value : undefined
}

/**
 * The users a rendered name denotes (a primary user's name, and possibly `DOMAIN/name`), in the
 * list's default order: one or two unique-index probes through fixed statements, without
 * translating and compiling the filter — the same answer as the general path.
 */
async function usersNamed(db: Executor, tenantId: string, name: string): Promise<UserRow[]> {
  const keys = userNameKeys(name)
  const found = [await usersRepository.findByName(db, tenantId, PRIMARY_STORE, keys.primaryKey)]
  if (keys.domain !== null && keys.domainKey !== null)
    found.push(await usersRepository.findByName(db, tenantId, keys.domain, keys.domainKey))
  return found
    .filter((row) => row !== undefined)
    .sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** One page of users matching a filter, and how many match in all; filtering happens in SQL. */
export async function listUsers(
  db: Executor,
  tenantId: string,
  request: UserListRequest,
): Promise<{ total: number; records: UserRecord[] }> {
  const name = userNameLookupOf(request)
  if (name !== undefined) {
    const rows = await usersNamed(db, tenantId, name)
    return { total: rows.length, records: await readUserRecords(db, rows.slice(0, request.count)) }
  }
  const postgres = isPostgres(db)
  const condition: Condition = request.filter
    ? new UserFilterTranslator({ tenantId, postgres }).translate(request.filter)
    : true
  const where = toSql(condition) as RawBuilder<SqlBool>
  const order = request.sortBy
    ? orderBy(
        sortKey(request.sortBy),
        request.sortOrder,
        postgres,
        sql`u.id`,
        keyTypeOf(request.sortBy),
        !isAlwaysPresent(request.sortBy),
      )
    : sql`u.created_at asc, u.id asc`
  const base = db.selectFrom('users as u').where('u.tenant_id', '=', tenantId).where(where)
  const rows =
    request.count === 0
      ? []
      : await base
          .selectAll('u')
          .orderBy(order)
          .limit(request.count)
          .offset(request.startIndex - 1)
          .execute()
  const total = await totalOf(rows.length, request, () =>
    base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  )
  return { total, records: await readUserRecords(db, rows) }
}

/**
 * totalResults without counting when the page already tells it: a page that is not full but
 * not empty ends the matches, and an empty first page means none. The count query is the
 * most expensive part of a filtered look-up otherwise.
 */
export async function totalOf(
  rowsOnPage: number,
  request: { startIndex: number; count: number },
  count: () => Promise<{ total: number | string | bigint }>,
): Promise<number> {
  if (request.count > 0 && rowsOnPage < request.count && (rowsOnPage > 0 || request.startIndex === 1))
    return request.startIndex - 1 + rowsOnPage
  return Number((await count()).total)
}
