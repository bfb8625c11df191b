import type { FastifyInstance } from 'fastify'
import type { Container } from '../../../container.ts'
import type { ConsoleKit } from '../kit.ts'
import { consolePage } from '../route-schema.ts'
import { mailboxPages } from './email-mailbox.ts'
import { outboxPages } from './email-outbox.ts'
import { emailModel, emailPartsFor } from './email-shared.ts'
import { smtpPages } from './email-smtp.ts'
import { templatePages } from './email-templates.ts'

/**
 * The console's email pages: templates, the relay, the outbox and the mailbox. Each part needs
 * the permission the admin API's routes for the same data need.
 */
export function emailPages(container: Container, kit: ConsoleKit) {
  return async (app: FastifyInstance) => {
    // Open to any administrator, like the console's landing page: the navigation shows Email to
    // holders of either permission, and the page lists only the parts this one may open.
    app.get(
      '/email',
      { schema: consolePage('Email: landing page'), config: { consoleLanding: true } },
      async (request, reply) =>
        kit.render(request, reply, 'email-home', {
          title: 'Email',
          ...emailModel(kit, request),
          parts: emailPartsFor(kit, request),
        }),
    )
    await app.register(templatePages(container, kit))
    await app.register(smtpPages(container, kit))
    await app.register(outboxPages(container, kit))
    await app.register(mailboxPages(container, kit))
  }
}
