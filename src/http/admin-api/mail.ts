import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import type { SendOutcome } from '../../notifications/smtp/index.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { IsoDate } from '../schemas.ts'

const MessageIdParam = Type.Object({ id: Type.String({ format: 'uuid' }) })

const Status = Type.Union([Type.Literal('queued'), Type.Literal('sent'), Type.Literal('dead')])
const Recipient = Type.String({ minLength: 1, maxLength: 320, description: 'Exact recipient address' })
const Limit = Type.Integer({ minimum: 1, maximum: 500, default: 50 })
const Before = Type.String({ format: 'date-time', description: 'Messages created before this time' })

const OutboxQuery = Type.Object(
  {
    status: Type.Optional(Status),
    recipient: Type.Optional(Recipient),
    limit: Limit,
    before: Type.Optional(Before),
  },
  { additionalProperties: false },
)
const MailboxQuery = Type.Object(
  { recipient: Type.Optional(Recipient), limit: Limit, before: Type.Optional(Before) },
  { additionalProperties: false },
)

// No body here: the list and the outbox views are read with audit:read, and bodies hold reset
// links and one-time codes. The response schema is what keeps them off the wire.
const MessageSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    type: Type.String(),
    locale: Type.String(),
    to: Type.String(),
    userId: Type.Union([Type.String(), Type.Null()]),
    subject: Type.String(),
    status: Status,
    transport: Type.Union([Type.Literal('smtp'), Type.Literal('mailbox'), Type.Null()]),
    attempts: Type.Integer(),
    nextAttemptAt: Type.Union([IsoDate, Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()]),
    smtpResponse: Type.Union([Type.String(), Type.Null()]),
    createdAt: IsoDate,
    sentAt: Type.Union([IsoDate, Type.Null()]),
    bodyKept: Type.Boolean({ description: 'false once a relay accepted the message: its body was erased' }),
  },
  { title: 'OutboxMessage' },
)
const AttemptSchema = Type.Object({
  at: IsoDate,
  worker: Type.String(),
  outcome: Type.String({ description: 'sent, mailbox, temporary or permanent' }),
  detail: Type.String(),
})
const CountsSchema = Type.Object({ queued: Type.Integer(), sent: Type.Integer(), dead: Type.Integer() })
const MailboxMessageSchema = Type.Intersect([
  MessageSchema,
  Type.Object({ html: Type.String(), text: Type.String() }),
])

const SmtpTestBody = Type.Object(
  { to: Type.String({ format: 'email', maxLength: 320 }) },
  { additionalProperties: false },
)
const SmtpTestSchema = Type.Object({
  result: Type.Union([Type.Literal('sent'), Type.Literal('temporary'), Type.Literal('permanent')]),
  endpoint: Type.String({ description: 'Where the message went, without the password' }),
  response: Type.Optional(Type.String({ description: "The relay's answer, when it accepted the message" })),
  messageId: Type.Optional(Type.String()),
  rejected: Type.Optional(Type.Array(Type.String())),
  reason: Type.Optional(Type.String({ description: 'Why the message was not accepted' })),
  responseCode: Type.Optional(Type.Integer()),
})

const SmtpSettingsSchema = Type.Object(
  {
    configured: Type.Boolean(),
    endpoint: Type.Union([Type.String(), Type.Null()], {
      description: 'smtp://user@host:port (security), never the password; null when not configured',
    }),
    from: Type.Union([Type.String(), Type.Null()]),
    updatedAt: Type.Union([IsoDate, Type.Null()]),
  },
  { title: 'TenantSmtpSettings' },
)
const SmtpSettingsBody = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'smtp:// or smtps:// URL, credentials included; stored sealed and never shown again',
    }),
    from: Type.String({ minLength: 3, maxLength: 320, description: 'e.g. "Example <no-reply@example.com>"' }),
  },
  { additionalProperties: false },
)

const parseBefore = (before: string | undefined) => (before === undefined ? undefined : Date.parse(before))

function testResult(outcome: SendOutcome & { endpoint: string }) {
  const { endpoint } = outcome
  if (outcome.kind === 'sent')
    return {
      result: outcome.kind,
      endpoint,
      response: outcome.response,
      messageId: outcome.messageId,
      rejected: outcome.rejected,
    }
  return { result: outcome.kind, endpoint, reason: outcome.reason, responseCode: outcome.responseCode }
}

/**
 * Outgoing mail: the outbox (status, attempts, resend), the built-in mailbox, the test message
 * and the tenant's own relay.
 *
 * Permissions follow what each answer can do in the wrong hands: listings and attempt history
 * name recipients and errors only (`audit:read`); a mailbox body holds a reset link or a
 * one-time code, which is as good as setting the password, so it needs `users:write`, as does
 * resending one; the relay settings are tenant configuration (`config:write`).
 */
export function mailRoutes(container: Container): FastifyPluginAsyncTypebox {
  const { outbox, tenantSmtp } = container
  return async (app) => {
    app.get(
      '/outbox',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags: ['mail'],
          summary: 'List outgoing messages, newest first, with counts by status (never their bodies)',
          querystring: OutboxQuery,
          response: { 200: Type.Object({ messages: Type.Array(MessageSchema), counts: CountsSchema }) },
        },
      },
      async (request) => {
        const tenant = tenantOf(request)
        const { status, recipient, limit, before } = request.query
        const [messages, counts] = await Promise.all([
          outbox.list(tenant, { status, recipient, limit, before: parseBefore(before) }),
          outbox.counts(tenant),
        ])
        return { messages, counts }
      },
    )

    app.get(
      '/outbox/:id',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags: ['mail'],
          summary: 'Get an outgoing message and its delivery attempts (never its body)',
          params: MessageIdParam,
          response: { 200: Type.Object({ message: MessageSchema, history: Type.Array(AttemptSchema) }) },
        },
      },
      async (request) => outbox.show(tenantOf(request), request.params.id),
    )

    app.post(
      '/outbox/:id/resend',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['mail'],
          summary: 'Queue a dead or mailbox message again, with a fresh attempt budget',
          params: MessageIdParam,
          response: { 200: MessageSchema },
        },
      },
      async (request) => outbox.resend(tenantOf(request), request.params.id, principalOf(request).actor),
    )

    app.get(
      '/mailbox',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags: ['mail'],
          summary: 'List messages delivered to the built-in mailbox, newest first (without bodies)',
          querystring: MailboxQuery,
          response: { 200: Type.Object({ messages: Type.Array(MessageSchema) }) },
        },
      },
      async (request) => {
        const { recipient, limit, before } = request.query
        return {
          messages: await outbox.mailbox(tenantOf(request), {
            recipient,
            limit,
            before: parseBefore(before),
          }),
        }
      },
    )

    app.get(
      '/mailbox/:id',
      {
        config: { permission: 'users:write' },
        schema: {
          tags: ['mail'],
          summary: 'Read a mailbox message with its body (audited: it holds links and codes)',
          params: MessageIdParam,
          response: { 200: MailboxMessageSchema },
        },
      },
      async (request, reply) => {
        const message = await outbox.readMailbox(
          tenantOf(request),
          request.params.id,
          principalOf(request).actor,
        )
        // A reset link or code must not stay in a browser or proxy cache.
        return reply.header('cache-control', 'no-store').send(message)
      },
    )

    app.post(
      '/smtp/test',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['smtp'],
          summary: "Send a test message now through the tenant's relay and answer the relay's outcome",
          body: SmtpTestBody,
          response: { 200: SmtpTestSchema },
        },
      },
      async (request) =>
        testResult(await outbox.sendTest(tenantOf(request), request.body.to, principalOf(request).actor)),
    )

    app.get(
      '/smtp-settings',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['smtp'],
          summary: "Get the tenant's own SMTP relay (never its URL or password)",
          response: { 200: SmtpSettingsSchema },
        },
      },
      async (request) => tenantSmtp.get(tenantOf(request)),
    )

    app.put(
      '/smtp-settings',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['smtp'],
          summary: "Set the tenant's own SMTP relay, used instead of the server's",
          body: SmtpSettingsBody,
          response: { 200: SmtpSettingsSchema },
        },
      },
      async (request) => tenantSmtp.save(tenantOf(request), request.body, principalOf(request).actor),
    )

    app.delete(
      '/smtp-settings',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['smtp'],
          summary: "Remove the tenant's own SMTP relay; its mail takes the server's route again",
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        await tenantSmtp.remove(tenantOf(request), principalOf(request).actor)
        return reply.code(204).send(null)
      },
    )
  }
}
