import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import { auditCursorPattern } from '../../observability/audit.ts'
import { tenantOf } from '../admin-auth-hook.ts'
import { IsoDate } from '../schemas.ts'

const AuditQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    action: Type.Optional(
      Type.String({
        maxLength: 64,
        pattern: '^[^*]*\\*?$',
        description:
          'An action (`user.reset-forced`), or the start of one followed by `*` (`user.reset-*`, `login.*`)',
      }),
    ),
    actor: Type.Optional(Type.String({ maxLength: 300, description: 'e.g. `user:admin`, `cli:cli`' })),
    target: Type.Optional(Type.String({ maxLength: 255 })),
    outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure')])),
    before: Type.Optional(
      Type.String({ format: 'date-time', description: 'events strictly before this time' }),
    ),
    after: Type.Optional(
      Type.String({ format: 'date-time', description: 'events strictly after this time' }),
    ),
    cursor: Type.Optional(
      Type.String({
        pattern: auditCursorPattern,
        description: 'The `next` value of the previous page, with the same filters',
      }),
    ),
  },
  { additionalProperties: false },
)
const AuditEventSchema = Type.Object({
  id: Type.Integer(),
  occurredAt: IsoDate,
  actor: Type.String(),
  action: Type.String(),
  target: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.String(),
  detail: Type.Record(Type.String(), Type.Unknown()),
  clientAddress: Type.Union([Type.String(), Type.Null()]),
})

/** `user.reset-*` is a prefix; anything else names one action. */
function actionFilter(action: string | undefined): { action?: string; actionPrefix?: string } {
  if (action === undefined || action === '') return {}
  return action.endsWith('*') ? { actionPrefix: action.slice(0, -1) } : { action }
}

export function auditRoutes(container: Container): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/audit',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags: ['audit'],
          summary: 'Read the audit log, newest first, a page at a time',
          querystring: AuditQuery,
          response: {
            200: Type.Object({
              events: Type.Array(AuditEventSchema),
              next: Type.Union([Type.String(), Type.Null()], {
                description: 'Pass as `cursor` for the next page; null on the last page',
              }),
            }),
          },
        },
      },
      async (request) => {
        const { limit, action, actor, target, outcome, before, after, cursor } = request.query
        return container.audit.page(container.store.db, {
          tenantId: tenantOf(request).id,
          limit,
          ...actionFilter(action),
          actor,
          target,
          outcome,
          before: before ? Date.parse(before) : undefined,
          after: after ? Date.parse(after) : undefined,
          cursor,
        })
      },
    )
  }
}
