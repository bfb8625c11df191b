import type { FastifyInstance } from 'fastify'
import type { Container } from '../../../container.ts'
import type { ConsoleKit } from '../kit.ts'
import { passwordPolicySettingsPage } from './settings-password-policy.ts'
import { passwordResetSettingsPage } from './settings-password-reset.ts'
import { securityQuestionSettingsPages } from './settings-security-questions.ts'
import { selfServiceSettingsPage } from './settings-self-service.ts'

/**
 * The console's settings pages: the tenant's forced-reset policy, password policy, self-service
 * reset pipeline and security questions. Every page and form needs `config:write`: the settings
 * decide how accounts are recovered, so reading them is already an administrator's matter here.
 */
export function settingsPages(container: Container, kit: ConsoleKit) {
  return async (app: FastifyInstance) => {
    app.get(
      '/settings',
      { schema: { hide: true, summary: 'Console: settings' }, config: { permission: 'config:write' } },
      async (request, reply) => kit.redirect(request, reply, '/settings/password-reset'),
    )
    await app.register(passwordResetSettingsPage(container, kit))
    await app.register(passwordPolicySettingsPage(container, kit))
    await app.register(selfServiceSettingsPage(container, kit))
    await app.register(securityQuestionSettingsPages(container, kit))
  }
}
