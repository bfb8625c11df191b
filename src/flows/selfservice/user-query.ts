import type { RawBuilder, SqlBool } from 'kysely'
import { comparisonKey } from '../../domain/comparison-key.ts'
import { AppError } from '../../errors/app-error.ts'
import { isPostgres } from '../../persistence/dialect.ts'
import type { Executor } from '../../persistence/executor.ts'
import { isScimError } from '../../scim/errors.ts'
import type { Filter } from '../../scim/filter/ast.ts'
import { parseFilter } from '../../scim/filter/parser.ts'
import { toSql } from '../../scim/sql/condition.ts'
import { UserFilterTranslator } from '../../scim/users/user-filter-sql.ts'

/** Far beyond `userName eq "…" or emails eq "…"`, short of a parser workout. */
const MAX_QUERY_LENGTH = 512

function invalidQuery(message: string): AppError {
  return new AppError('selfservice.invalid-input', {
    detail: message,
    errors: [{ pointer: '/input/queryFilter', message }],
  })
}

/**
 * Threat: a query is anonymous, so it must name an account, never search for one. Only `eq`
 * on the tenant's queryable attributes, joined by `and`/`or`, is accepted: `sw "a"` or `pr`
 * would let a caller find some account and have mail sent to it without knowing who it is.
 */
function checkShape(filter: Filter, queryable: readonly string[]): void {
  switch (filter.kind) {
    case 'and':
    case 'or':
      checkShape(filter.left, queryable)
      checkShape(filter.right, queryable)
      return
    case 'compare': {
      const attribute = queryable.find((name) => name.toLowerCase() === filter.path.attribute.toLowerCase())
      if (!attribute)
        throw invalidQuery(
          `The attribute ${filter.path.attribute} cannot be queried; use ${queryable.join(' or ')}.`,
        )
      const sub = filter.path.subAttribute?.toLowerCase()
      if (sub !== undefined && sub !== 'value')
        throw invalidQuery(`Only the value of ${attribute} can be queried, not ${filter.path.subAttribute}.`)
      if (filter.operator !== 'eq' || typeof filter.value !== 'string' || filter.value.trim() === '')
        throw invalidQuery(
          `Compare ${attribute} with eq and a non-empty string, as in ${attribute} eq "jdoe".`,
        )
      return
    }
    default:
      throw invalidQuery(
        'Only eq comparisons joined by and/or can find an account, as in userName eq "jdoe".',
      )
  }
}

export interface UserQuery {
  /** Over `users as u`. */
  condition: RawBuilder<SqlBool>
  /**
   * The values the query names, as compared (case and compatibility forms folded), sorted and
   * without repeats: `(userName eq "JDoe")`, `userName eq "jdoe" or emails eq "jdoe"` and
   * `userName eq "ｊｄｏｅ"` all give the same. What a stand-in account is derived from.
   */
  canonical: string
}

/** The canonical form of a query (see `UserQuery.canonical`). */
export function canonicalQuery(filter: Filter): string {
  return [...new Set(valuesOf(filter))].sort().join('\u0000')
}

function valuesOf(filter: Filter): string[] {
  if (filter.kind === 'and' || filter.kind === 'or')
    return [...valuesOf(filter.left), ...valuesOf(filter.right)]
  return filter.kind === 'compare' && typeof filter.value === 'string'
    ? [comparisonKey(filter.value.trim())]
    : []
}

/** The SQL condition of a query filter and its canonical form, or a clear refusal. */
export function parseUserQuery(
  db: Executor,
  tenantId: string,
  text: string,
  queryable: readonly string[],
): UserQuery {
  if (text.length > MAX_QUERY_LENGTH)
    throw invalidQuery(`The query filter is longer than ${MAX_QUERY_LENGTH} characters.`)
  try {
    const filter = parseFilter(text)
    checkShape(filter, queryable)
    const condition = new UserFilterTranslator({ tenantId, postgres: isPostgres(db) }).translate(filter)
    return {
      condition: toSql(condition) as RawBuilder<SqlBool>,
      canonical: canonicalQuery(filter),
    }
  } catch (error) {
    if (isScimError(error)) throw invalidQuery(`The query filter is not valid: ${error.message}`)
    throw error
  }
}

/** The one user the condition names, or undefined when it names none or several (ambiguous). */
export async function soleUserId(
  db: Executor,
  tenantId: string,
  condition: RawBuilder<SqlBool>,
): Promise<string | undefined> {
  const rows = await db
    .selectFrom('users as u')
    .select('u.id')
    .where('u.tenant_id', '=', tenantId)
    .where(condition)
    .limit(2)
    .execute()
  return rows.length === 1 ? rows[0]!.id : undefined
}
