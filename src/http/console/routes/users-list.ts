import type { FastifyInstance } from 'fastify'
import type { Container } from '../../../container.ts'
import { EMAIL_CLAIM } from '../../../flows/forced-reset/reset-policy.ts'
import { isScimError } from '../../../scim/errors.ts'
import { type ConsoleErrors, consoleFieldError } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consolePage } from '../route-schema.ts'
import { searchKindOf, searchKinds, searchUsers, type UserSearch } from './users-search.ts'
import { passwordAge, resetBadge, statusBadges } from './users-status.ts'

/** Users on one page of the list. */
export const USERS_PAGE_SIZE = 25

const listQuery = {
  type: 'object',
  properties: {
    q: { type: 'string', maxLength: 2000 },
    by: { type: 'string', maxLength: 16 },
    /** 1-based page number (links use it), or `offset`: 0-based position of the first user. */
    page: { type: 'integer', minimum: 1, maximum: 400_000 },
    offset: { type: 'integer', minimum: 0, maximum: 10_000_000 },
    done: { type: 'string', maxLength: 64 },
  },
}

/** `/users`: every user of the tenant, a page at a time, searched by name, email or SCIM filter. */
export function userListPage(container: Container, kit: ConsoleKit) {
  return async (app: FastifyInstance) => {
    app.get(
      '/users',
      {
        schema: consolePage('Users: list and search', { querystring: listQuery }),
        config: { permission: 'users:read' },
      },
      async (request, reply) => {
        const { tenant, root } = kit.context(request)
        const query = request.query as { q?: string; by?: string; page?: number; offset?: number }
        const search: UserSearch = {
          kind: searchKindOf(query.by),
          text: (query.q ?? '').trim(),
          offset: query.page !== undefined ? (query.page - 1) * USERS_PAGE_SIZE : (query.offset ?? 0),
          limit: USERS_PAGE_SIZE,
        }
        /** The link to the page starting at `offset` (a page number when it falls on one). */
        const pageAt = (offset: number) => {
          const parameters = new URLSearchParams({ by: search.kind })
          if (search.text) parameters.set('q', search.text)
          if (offset > 0 && offset % USERS_PAGE_SIZE === 0)
            parameters.set('page', String(offset / USERS_PAGE_SIZE + 1))
          else if (offset > 0) parameters.set('offset', String(offset))
          return `${root}/users?${parameters}`
        }

        let errors: ConsoleErrors | undefined
        let found: Awaited<ReturnType<typeof searchUsers>> = { users: [], total: 0 }
        try {
          found = await searchUsers(container, tenant, search)
        } catch (error) {
          // A filter the SCIM parser or translator refuses is the administrator's typing, not a fault.
          if (!isScimError(error)) throw error
          errors = consoleFieldError('q', error.message)
        }
        // Past the end (users were deleted since the link was made): to the last page there is.
        if (!errors && found.users.length === 0 && search.offset > 0 && found.total > 0) {
          const last = Math.floor((found.total - 1) / USERS_PAGE_SIZE) * USERS_PAGE_SIZE
          return reply.code(303).redirect(pageAt(last))
        }

        const pending = await container.users.pendingResets(
          tenant,
          found.users.map((user) => user.id),
        )
        const now = container.clock.now()
        const rows = found.users.map((user) => {
          const reset = pending.get(user.id)
          return {
            id: user.id,
            userName: user.userName,
            href: `${root}/users/${encodeURIComponent(user.id)}`,
            email: user.claims[EMAIL_CLAIM] ?? '',
            badges: statusBadges(user),
            reset: reset ? [resetBadge(reset.mode)] : undefined,
            passwordAge: passwordAge(user.passwordChangedAt, now),
          }
        })
        const end = search.offset + rows.length
        return kit.render(
          request,
          reply,
          'users-list',
          {
            title: 'Users',
            section: 'users',
            errors,
            search,
            searchKinds,
            rows,
            pager: {
              from: search.offset + 1,
              to: end,
              total: found.total,
              previous: search.offset > 0 ? pageAt(Math.max(0, search.offset - USERS_PAGE_SIZE)) : undefined,
              next: end < found.total ? pageAt(end) : undefined,
              label: 'Pages of users',
            },
          },
          errors ? 400 : 200,
        )
      },
    )
  }
}
