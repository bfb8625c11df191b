import type { FastifyInstance } from 'fastify'
import type { Container } from '../../../container.ts'
import type { ConsoleKit } from '../kit.ts'
import { consolePage } from '../route-schema.ts'
import { visibleSections } from '../sections.ts'

/** What each section is for, on the landing page. */
const purposes: Readonly<Record<string, string>> = {
  users: 'Find, create and edit users; force, cancel or complete a password reset; lock, unlock, sign out.',
  'bulk-reset': 'Force a password reset for many users at once, by filter or list, and follow the job.',
  roles: 'Create roles, choose their permissions (login among them) and assign users.',
  settings: 'How forced and self-service resets work here, the password policy and security questions.',
  email: 'Message templates and their preview, the relay test, the outbox and the mailbox.',
  audit: 'Who did what, to whom, and with which outcome; export as CSV or JSON.',
  tenants: 'Organisations served by this server: list, create, disable.',
}

/** `/console`: the sections this administrator may use. */
export function homePage(_container: Container, kit: ConsoleKit) {
  return async (app: FastifyInstance) => {
    app.get(
      '/',
      { schema: consolePage('Admin console: landing page'), config: { consoleLanding: true } },
      async (request, reply) => {
        const { principal, isDefaultTenant } = kit.context(request)
        const sections = visibleSections(principal.permissions, isDefaultTenant).map((section) => ({
          ...section,
          purpose: purposes[section.key] ?? '',
        }))
        return kit.render(request, reply, 'home', { title: 'Console', sections })
      },
    )
  }
}
