import { type RawBuilder, type SqlBool, sql } from 'kysely'
import { displayUserName, parseUserName, userNameKey } from '../../domain/user-name.ts'
import { AppError } from '../../errors/app-error.ts'
import { isPostgres } from '../../persistence/dialect.ts'
import type { Executor } from '../../persistence/executor.ts'
import { insertRows, runWithList } from '../../persistence/multi-row.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { isScimError } from '../../scim/errors.ts'
import { parseFilter } from '../../scim/filter/parser.ts'
import { toSql } from '../../scim/sql/condition.ts'
import { UserFilterTranslator } from '../../scim/users/user-filter-sql.ts'
import { isUuid } from '../../security/tokens.ts'
import { EMAIL_CLAIM } from '../forced-reset/reset-policy.ts'

/** The longest filter accepted: far beyond any real selection, short of a denial of service. */
export const MAX_FILTER_LENGTH = 4096
/** Users named one by one in a request (ids or user names). A larger set is a filter's job. */
export const MAX_LISTED_USERS = 100_000
/** Unknown users named in one answer at most; the count says how many there were. */
const MAX_REPORTED = 20

/** Who a bulk reset is for, as asked: exactly one of the three. */
export interface SelectionInput {
  filter?: string | undefined
  ids?: readonly string[] | undefined
  userNames?: readonly string[] | undefined
}

/** A checked selection: a filter translated to SQL, or the ids of existing users of the tenant. */
export type Selection =
  | { kind: 'filter'; filter: string; where: RawBuilder<SqlBool> }
  | { kind: 'ids'; ids: string[] }

const invalid = (pointer: string, message: string, detail = message) =>
  new AppError('request.invalid', { detail, errors: [{ pointer, message }] })

/**
 * Checks and resolves a selection. A filter is parsed and translated to SQL over the tenant's
 * users (never evaluated in memory); a bad one is refused as `bulk-reset.invalid-filter` with
 * the parser's reason. Ids and user names must all name users of this tenant: one that does
 * not is refused with the list of those, rather than silently skipped — the caller then knows
 * exactly whom the job is for. A user of another tenant is "not found", as everywhere.
 */
export async function resolveSelection(
  db: Executor,
  tenant: TenantRow,
  input: SelectionInput,
): Promise<Selection> {
  const given = (['filter', 'ids', 'userNames'] as const).filter((key) => input[key] !== undefined)
  if (given.length !== 1)
    throw invalid(
      given.length === 0 ? '/filter' : `/${given[1]}`,
      'exactly one of filter, ids, userNames',
      given.length === 0
        ? 'Name the users: give a SCIM filter (filter), a list of user ids (ids) or of user names (userNames).'
        : `Give exactly one of filter, ids and userNames, not ${given.join(' and ')}.`,
    )
  if (input.filter !== undefined) return filterSelection(db, tenant, input.filter)
  const listed = input.ids ?? input.userNames ?? []
  const field = input.ids !== undefined ? 'ids' : 'userNames'
  if (listed.length === 0) throw invalid(`/${field}`, 'at least one user', `The list ${field} is empty.`)
  if (listed.length > MAX_LISTED_USERS)
    throw invalid(
      `/${field}`,
      `at most ${MAX_LISTED_USERS} users`,
      `${field} names more than ${MAX_LISTED_USERS} users; use a filter.`,
    )
  return input.ids !== undefined ? idSelection(db, tenant, input.ids) : nameSelection(db, tenant, listed)
}

function filterSelection(db: Executor, tenant: TenantRow, text: string): Selection {
  const filter = text.trim()
  if (filter === '') throw invalidFilter('The filter is empty: to select every user, say so (userName pr).')
  if (filter.length > MAX_FILTER_LENGTH)
    throw invalidFilter(`The filter is longer than ${MAX_FILTER_LENGTH} characters.`)
  try {
    const condition = new UserFilterTranslator({ tenantId: tenant.id, postgres: isPostgres(db) }).translate(
      parseFilter(filter),
    )
    return { kind: 'filter', filter, where: toSql(condition) as RawBuilder<SqlBool> }
  } catch (error) {
    if (isScimError(error)) throw invalidFilter(error.message)
    throw error
  }
}

function invalidFilter(reason: string): AppError {
  return new AppError('bulk-reset.invalid-filter', {
    detail: reason,
    errors: [{ pointer: '/filter', message: reason }],
  })
}

async function idSelection(db: Executor, tenant: TenantRow, given: readonly string[]): Promise<Selection> {
  const malformed = given.findIndex((id) => !isUuid(id))
  if (malformed !== -1) throw invalid(`/ids/${malformed}`, 'a user id (UUID)')
  const ids = [...new Set(given.map((id) => id.toLowerCase()))]
  const { rows } = await runWithList<{ id: string }>(db, {
    text: 'select id from users where tenant_id = ? and id in (:list)',
    before: [tenant.id],
    list: ids,
  })
  const found = new Set(rows.map((row) => row.id))
  const missing = given.map((id, index) => ({ id, index })).filter(({ id }) => !found.has(id.toLowerCase()))
  if (missing.length > 0)
    throw unknownUsers(
      'ids',
      missing.map(({ id, index }) => ({ value: id, index })),
    )
  return { kind: 'ids', ids: ids.sort() }
}

async function nameSelection(db: Executor, tenant: TenantRow, names: readonly string[]): Promise<Selection> {
  // Grouped by user store: one look-up per store, by the unique (tenant, store, name key) index.
  const byStore = new Map<string, Array<{ key: string; index: number; name: string }>>()
  names.forEach((name, index) => {
    const parsed = parseUserName(name)
    if (!parsed) throw invalid(`/userNames/${index}`, 'a user name (name or DOMAIN/name)')
    const entries = byStore.get(parsed.storeDomain) ?? []
    entries.push({ key: userNameKey(parsed.name), index, name })
    byStore.set(parsed.storeDomain, entries)
  })
  const ids = new Set<string>()
  const missing: Array<{ value: string; index: number }> = []
  for (const [store, entries] of byStore) {
    const { rows } = await runWithList<{ id: string; username_key: string }>(db, {
      text: 'select id, username_key from users where tenant_id = ? and store_domain = ? and username_key in (:list)',
      before: [tenant.id, store],
      list: [...new Set(entries.map((entry) => entry.key))],
    })
    const idOf = new Map(rows.map((row) => [row.username_key, row.id]))
    for (const entry of entries) {
      const id = idOf.get(entry.key)
      if (id) ids.add(id)
      else missing.push({ value: entry.name, index: entry.index })
    }
  }
  if (missing.length > 0)
    throw unknownUsers(
      'userNames',
      missing.sort((a, b) => a.index - b.index),
    )
  return { kind: 'ids', ids: [...ids].sort() }
}

function unknownUsers(field: string, missing: ReadonlyArray<{ value: string; index: number }>): AppError {
  const shown = missing.slice(0, MAX_REPORTED)
  return new AppError('user.not-found', {
    detail: `${missing.length} of the users in ${field} ${missing.length === 1 ? 'is' : 'are'} not in this tenant: ${shown.map((entry) => JSON.stringify(entry.value.slice(0, 100))).join(', ')}${missing.length > shown.length ? ', …' : ''}. Nothing was changed.`,
    errors: shown.map((entry) => ({
      pointer: `/${field}/${entry.index}`,
      message: 'no such user in this tenant',
    })),
  })
}

/** The tenant's users a filter selection matches, as `users as u` rows. */
function matching(db: Executor, tenant: TenantRow, selection: Extract<Selection, { kind: 'filter' }>) {
  return db.selectFrom('users as u').where('u.tenant_id', '=', tenant.id).where(selection.where)
}

export interface SelectionPreview {
  count: number
  /** A few of the users, by name, in name order. */
  sample: string[]
  /**
   * Of those selected, the users without an email address (an email mode skips them); null
   * when more than `ADDRESS_CHECK_LIMIT` users are selected and they were not counted.
   */
  withoutEmail: number | null
}

/**
 * Up to this many selected users, a dry run also counts those without an email address. It is
 * a look-up per user (about 2 µs each on SQLite): for a selection of 100,000 it would take most
 * of a dry run's time, and the job reports those users as failures anyway.
 */
export const ADDRESS_CHECK_LIMIT = 10_000

const hasNoEmail = sql<SqlBool>`not exists (select 1 from user_claims e where e.user_id = u.id and e.claim_uri = ${EMAIL_CLAIM} and trim(e.value) <> '')`

/** What a job would do, without doing it: how many users, a few names, how many lack an address. */
export async function previewSelection(
  db: Executor,
  tenant: TenantRow,
  selection: Selection,
  sampleSize: number,
): Promise<SelectionPreview> {
  if (selection.kind === 'ids') {
    const count = selection.ids.length
    const sample = await db
      .selectFrom('users as u')
      .select(['u.store_domain', 'u.username'])
      .where('u.tenant_id', '=', tenant.id)
      .where('u.id', 'in', selection.ids.slice(0, 1000))
      .orderBy('u.username_key')
      .limit(sampleSize)
      .execute()
    let withoutEmail: number | null = null
    if (count <= ADDRESS_CHECK_LIMIT) {
      const { rows } = await runWithList<{ id: string }>(db, {
        text: `select u.id from users u where u.tenant_id = ? and u.id in (:list) and not exists (select 1 from user_claims e where e.user_id = u.id and e.claim_uri = ? and trim(e.value) <> '')`,
        before: [tenant.id],
        list: selection.ids,
        after: [EMAIL_CLAIM],
      })
      withoutEmail = rows.length
    }
    return {
      count,
      sample: sample.map((user) => displayUserName(user.store_domain, user.username)),
      withoutEmail,
    }
  }
  const [counted, sample] = await Promise.all([
    matching(db, tenant, selection)
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow(),
    matching(db, tenant, selection)
      .select(['u.store_domain', 'u.username'])
      .orderBy('u.username_key')
      .limit(sampleSize)
      .execute(),
  ])
  const count = Number(counted.count)
  const noEmail =
    count <= ADDRESS_CHECK_LIMIT
      ? await matching(db, tenant, selection)
          .where(hasNoEmail)
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .executeTakeFirstOrThrow()
      : undefined
  return {
    count,
    sample: sample.map((user) => displayUserName(user.store_domain, user.username)),
    withoutEmail: noEmail === undefined ? null : Number(noEmail.count),
  }
}

/** Records the users a new job is for, in the creating transaction; how many there are. */
export async function insertTargets(
  trx: Executor,
  tenant: TenantRow,
  jobId: string,
  selection: Selection,
): Promise<number> {
  if (selection.kind === 'ids') {
    await insertRows(trx, {
      table: 'bulk_reset_targets',
      columns: ['job_id', 'user_id'],
      rows: selection.ids.map((id) => [jobId, id]),
    })
    return selection.ids.length
  }
  const result = await trx
    .insertInto('bulk_reset_targets')
    .columns(['job_id', 'user_id'])
    .expression(matching(trx, tenant, selection).select([sql<string>`${jobId}`.as('job_id'), 'u.id']))
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0)
}
