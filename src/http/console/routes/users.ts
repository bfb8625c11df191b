import type { FastifyInstance } from 'fastify'
import type { Container } from '../../../container.ts'
import type { ConsoleKit } from '../kit.ts'
import { userActionRoutes } from './users-actions.ts'
import { userCreatePages } from './users-create.ts'
import { userDeletePages } from './users-delete.ts'
import { userListPage } from './users-list.ts'
import { userProfilePages } from './users-profile.ts'

/**
 * The console's users pages: the list and its searches, creating a user, the profile with its
 * claims, roles, reset state, sessions and actions, and deleting a user.
 */
export function userPages(container: Container, kit: ConsoleKit) {
  return async (app: FastifyInstance) => {
    await app.register(userListPage(container, kit))
    await app.register(userCreatePages(container, kit))
    await app.register(userProfilePages(container, kit))
    await app.register(userActionRoutes(container, kit))
    await app.register(userDeletePages(container, kit))
  }
}
