import type { FastifyInstance } from 'fastify'
import type { Container } from '../../../container.ts'
import type { ConsoleKit } from '../kit.ts'
import { consolePage } from '../route-schema.ts'
import { messageRow } from './email-outbox.ts'
import { type CursorQuery, cursorOf, cursorQuery, listLink, PAGE_SIZE, pageOf } from './email-paging.ts'
import { relayOf } from './email-relay.ts'
import { emailModel, messageParams, sendPreview } from './email-shared.ts'

const mailboxQuery = {
  type: 'object',
  properties: { recipient: { type: 'string', maxLength: 320 }, ...cursorQuery },
}
interface MailboxQuery extends CursorQuery {
  recipient?: string
}

/**
 * The built-in mailbox: where mail is kept when no relay is configured. The list needs
 * `audit:read` and shows no bodies; opening a message needs `users:write`, as in the admin API,
 * since its reset link or code is as good as the password, and every reading is audited by the
 * use case: the page reads the text, its frame the HTML, each recorded with the part it showed.
 */
export function mailboxPages(container: Container, kit: ConsoleKit) {
  const { outbox } = container
  return async (app: FastifyInstance) => {
    app.get(
      '/email/mailbox',
      {
        schema: consolePage('Email: mailbox', { querystring: mailboxQuery }),
        config: { permission: 'audit:read' },
      },
      async (request, reply) => {
        const { tenant, root } = kit.context(request)
        const query = request.query as MailboxQuery
        const recipient = query.recipient?.trim() || undefined
        const [messages, relay] = await Promise.all([
          outbox.mailbox(tenant, {
            ...(recipient ? { recipient } : {}),
            ...cursorOf(query),
            limit: PAGE_SIZE + 1,
          }),
          relayOf(container, tenant),
        ])
        const page = pageOf(messages, query, (cursor) =>
          listLink(`${root}/email/mailbox`, { recipient, ...cursor }),
        )
        return kit.render(request, reply, 'email-mailbox', {
          title: 'Mailbox',
          ...emailModel(kit, request, 'mailbox'),
          recipient: recipient ?? '',
          relayInEffect: relay.inEffect.kind !== 'mailbox',
          messages: page.shown.map(messageRow),
          older: page.older,
          newest: page.newest,
          canOpen: kit.can(request, 'users:write'),
        })
      },
    )

    app.get(
      '/email/mailbox/:id',
      {
        schema: consolePage('Email: read a mailbox message (audited)', { params: messageParams }),
        config: { permission: 'users:write' },
      },
      async (request, reply) => {
        const { tenant, principal, root } = kit.context(request)
        const id = (request.params as { id: string }).id
        const message = await outbox.readMailbox(tenant, id, principal.actor, 'text')
        return kit.render(request, reply, 'email-mailbox-message', {
          title: message.subject,
          ...emailModel(kit, request, 'mailbox'),
          message: { ...messageRow(message), text: message.text },
          frameSrc: `${root}/email/mailbox/${encodeURIComponent(message.id)}/preview.html`,
          canResend: true,
        })
      },
    )

    app.get(
      '/email/mailbox/:id/preview.html',
      {
        schema: consolePage('Email: a mailbox message as HTML (audited)', { params: messageParams }),
        config: { permission: 'users:write' },
      },
      async (request, reply) => {
        const { tenant, principal } = kit.context(request)
        const id = (request.params as { id: string }).id
        const message = await outbox.readMailbox(tenant, id, principal.actor, 'html')
        return sendPreview(reply, message.html)
      },
    )
  }
}
