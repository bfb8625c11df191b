import { type RawBuilder, type SqlBool, sql } from 'kysely'
import { isPostgres } from '../../persistence/dialect.ts'
import type { Executor } from '../../persistence/executor.ts'
import { scimError } from '../errors.ts'
import type { AttributePath, Filter } from '../filter/ast.ts'
import { groupRegistry } from '../schema/registry.ts'
import { toSql } from '../sql/condition.ts'
import { orderBy, type SortOrder } from '../sql/list-order.ts'
import { totalOf } from '../users/user-query.ts'
import { GroupFilterTranslator } from './group-filter-sql.ts'
import { readGroupRecords } from './group-reader.ts'
import type { GroupRecord } from './group-record.ts'

export interface GroupListRequest {
  filter?: Filter | undefined
  sortBy?: AttributePath | undefined
  sortOrder: SortOrder
  startIndex: number
  count: number
  withMembers: boolean
}

function sortKey(path: AttributePath): RawBuilder<unknown> {
  const resolved = groupRegistry.resolve(path)
  const name = resolved?.attribute.name
  const sub = resolved?.subAttribute?.name
  if (name === 'displayName') return sql`r.name_key`
  if (name === 'id') return sql`r.id`
  if (name === 'meta' && sub === 'created') return sql`r.created_at`
  if (name === 'meta' && sub === 'lastModified') return sql`r.updated_at`
  throw scimError.invalidValue(`sortBy: ${path.attribute} cannot be sorted on for groups.`)
}

/** dateTime attributes are stored as epoch milliseconds: their sort keys are numbers. */
function keyTypeOf(path: AttributePath): 'text' | 'number' {
  const resolved = groupRegistry.resolve(path)
  return (resolved?.subAttribute ?? resolved?.attribute)?.type === 'dateTime' ? 'number' : 'text'
}

export async function listGroups(
  db: Executor,
  tenantId: string,
  request: GroupListRequest,
): Promise<{ total: number; records: GroupRecord[] }> {
  const postgres = isPostgres(db)
  const condition = request.filter
    ? new GroupFilterTranslator({ tenantId, postgres }).translate(request.filter)
    : true
  const base = db
    .selectFrom('roles as r')
    .where('r.tenant_id', '=', tenantId)
    .where(toSql(condition) as RawBuilder<SqlBool>)
  const order = request.sortBy
    ? orderBy(sortKey(request.sortBy), request.sortOrder, postgres, sql`r.id`, keyTypeOf(request.sortBy))
    : sql`r.name_key asc, r.id asc`
  const rows =
    request.count === 0
      ? []
      : await base
          .selectAll('r')
          .orderBy(order)
          .limit(request.count)
          .offset(request.startIndex - 1)
          .execute()
  const total = await totalOf(rows.length, request, () =>
    base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  )
  return { total, records: await readGroupRecords(db, rows, request.withMembers) }
}
