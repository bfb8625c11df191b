import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import type { OutboxMessageView } from '../../../notifications/outbox-service.ts'
import { TEMPLATE_TYPES } from '../../../notifications/templates/index.ts'
import type { OutboxStatus } from '../../../persistence/tables.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm, consolePage } from '../route-schema.ts'
import { type CursorQuery, cursorOf, cursorQuery, listLink, PAGE_SIZE, pageOf } from './email-paging.ts'
import { displayTime, emailModel, messageParams } from './email-shared.ts'

const outboxQuery = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['', 'queued', 'sent', 'dead'] },
    type: { type: 'string', enum: ['', ...TEMPLATE_TYPES] },
    recipient: { type: 'string', maxLength: 320 },
    ...cursorQuery,
  },
}
interface OutboxQuery extends CursorQuery {
  status?: '' | OutboxStatus
  type?: string
  recipient?: string
}

const statusBadges: Readonly<Record<OutboxStatus, string>> = { queued: 'info', sent: 'ok', dead: 'bad' }

/**
 * Whether the use case would put a message back in the queue: one whose body is still kept (dead,
 * or delivered to the mailbox) and that is not queued already. Hides the button only; resend
 * itself decides.
 */
export function isResendable(message: OutboxMessageView): boolean {
  return message.bodyKept && message.status !== 'queued'
}

/** A message as the listings and the message page show it. */
export function messageRow(message: OutboxMessageView) {
  return {
    ...message,
    created: displayTime(message.createdAt),
    sent: displayTime(message.sentAt),
    nextAttempt: displayTime(message.nextAttemptAt),
    badge: statusBadges[message.status],
    resendable: isResendable(message),
  }
}

/**
 * The outbox (`audit:read`, as the admin API: listings name recipients and errors, never
 * bodies): a page of messages filtered by status, type and recipient, one message with its
 * delivery attempts, and resending (`users:write`: a resent message delivers a live link or
 * code again).
 */
export function outboxPages(container: Container, kit: ConsoleKit) {
  const { outbox } = container

  function filtersOf(request: FastifyRequest) {
    const query = request.query as OutboxQuery
    return {
      status: query.status || undefined,
      type: query.type || undefined,
      recipient: query.recipient?.trim() || undefined,
    }
  }

  return async (app: FastifyInstance) => {
    app.get(
      '/email/outbox',
      {
        schema: consolePage('Email: outbox', { querystring: outboxQuery }),
        config: { permission: 'audit:read' },
      },
      async (request, reply) => {
        const { tenant, root } = kit.context(request)
        const filters = filtersOf(request)
        const query = request.query as OutboxQuery
        const [messages, counts] = await Promise.all([
          outbox.list(tenant, { ...filters, ...cursorOf(query), limit: PAGE_SIZE + 1 }),
          outbox.counts(tenant),
        ])
        const page = pageOf(messages, query, (cursor) =>
          listLink(`${root}/email/outbox`, { ...filters, ...cursor }),
        )
        return kit.render(request, reply, 'email-outbox', {
          title: 'Outbox',
          ...emailModel(kit, request, 'outbox'),
          filters: {
            status: filters.status ?? '',
            type: filters.type ?? '',
            recipient: filters.recipient ?? '',
          },
          filtered: Object.values(filters).some((value) => value !== undefined),
          types: TEMPLATE_TYPES,
          counts,
          statusLinks: (['queued', 'sent', 'dead'] as const).map((status) => ({
            status,
            count: counts[status],
            badge: statusBadges[status],
            href: listLink(`${root}/email/outbox`, { status }),
          })),
          messages: page.shown.map(messageRow),
          older: page.older,
          newest: page.newest,
          canResend: kit.can(request, 'users:write'),
          canReadMailbox: kit.can(request, 'users:write'),
        })
      },
    )

    app.get(
      '/email/outbox/:id',
      {
        schema: consolePage('Email: one outgoing message and its attempts', { params: messageParams }),
        config: { permission: 'audit:read' },
      },
      async (request, reply) => {
        const { tenant } = kit.context(request)
        const { message, history } = await outbox.show(tenant, (request.params as { id: string }).id)
        return kit.render(request, reply, 'email-outbox-message', {
          title: `Message to ${message.to}`,
          ...emailModel(kit, request, 'outbox'),
          message: messageRow(message),
          history: history.map((attempt) => ({ ...attempt, at: displayTime(attempt.at) })),
          canResend: kit.can(request, 'users:write'),
          canReadMailbox: kit.can(request, 'users:write'),
        })
      },
    )

    app.post(
      '/email/outbox/:id/resend',
      {
        schema: consoleForm('Email: queue a message again', { params: messageParams }),
        config: { permission: 'users:write' },
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        // Another tenant's id, or one that cannot be resent: the use case's refusal page.
        const resent = await outbox.resend(tenant, (request.params as { id: string }).id, principal.actor)
        return kit.redirect(request, reply, `/email/outbox/${resent.id}`, 'email-message-resent')
      },
    )
  }
}
