import type { Container } from '../../../container.ts'
import { displayUserName } from '../../../domain/user-name.ts'
import { EMAIL_CLAIM } from '../../../flows/forced-reset/reset-policy.ts'
import type { Claims } from '../../../persistence/repositories/claims.ts'
import type { TenantRow } from '../../../persistence/repositories/tenants.ts'
import { parseFilter } from '../../../scim/filter/parser.ts'
import { validateFilter } from '../../../scim/filter/validate.ts'
import { userRegistry } from '../../../scim/schema/registry.ts'

/** How the list is searched: by user name prefix, by exact email address, or by a SCIM filter. */
export type SearchKind = 'username' | 'email' | 'filter'

export const searchKinds: ReadonlyArray<{ value: SearchKind; label: string }> = [
  { value: 'username', label: 'User name (starts with)' },
  { value: 'email', label: 'Email address (exact)' },
  { value: 'filter', label: 'SCIM filter' },
]

export function searchKindOf(value: string | undefined): SearchKind {
  return searchKinds.find((kind) => kind.value === value)?.value ?? 'username'
}

export interface UserSearch {
  kind: SearchKind
  /** What was typed; empty lists every user. */
  text: string
  /** 0-based position of the page's first user. */
  offset: number
  limit: number
}

/** What a list row needs of a user, whichever search found it. */
export interface ListedUser {
  id: string
  userName: string
  status: 'active' | 'locked' | 'disabled'
  lockReason: string | null
  claims: Claims
  passwordChangedAt: number | null
}

/**
 * One page of users and how many match. Each kind is one page of indexed queries, whatever
 * the tenant's size: the name prefix is a range of the (tenant, display name) index, the email
 * address a look-up in the claims' (tenant, claim, value key) index, and a SCIM filter is the
 * SCIM endpoint's own query (parsed and checked first: a bad filter throws the SCIM parser's
 * error). Every kind lists in user name order.
 */
export async function searchUsers(
  container: Container,
  tenant: TenantRow,
  search: UserSearch,
): Promise<{ users: ListedUser[]; total: number }> {
  const page = { limit: search.limit, offset: search.offset }
  if (search.kind === 'filter') {
    const filter = search.text === '' ? undefined : parseFilter(search.text)
    if (filter) validateFilter(filter, userRegistry)
    const { records, total } = await container.scimUsers.list(tenant, {
      filter,
      sortBy: { attribute: 'userName' },
      sortOrder: 'ascending',
      startIndex: search.offset + 1,
      count: search.limit,
    })
    return {
      total,
      users: records.map(({ row, claims, passwordChangedAt }) => ({
        id: row.id,
        userName: displayUserName(row.store_domain, row.username),
        status: row.status,
        lockReason: row.lock_reason,
        claims,
        passwordChangedAt,
      })),
    }
  }
  const { users, total } =
    search.kind === 'email' && search.text !== ''
      ? await container.users.listByClaim(tenant, EMAIL_CLAIM, search.text, page)
      : await container.users.listByNamePrefix(tenant, search.text, page)
  return {
    total,
    users: users.map((user) => ({
      id: user.id,
      userName: user.username,
      status: user.status,
      lockReason: user.lockReason,
      claims: user.claims,
      passwordChangedAt: user.passwordChangedAt === null ? null : Date.parse(user.passwordChangedAt),
    })),
  }
}
