import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import { tenantOf } from '../admin-auth-hook.ts'
import { IsoDate } from '../schemas.ts'

const AuditQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    actor: Type.Optional(Type.String({ maxLength: 300 })),
    target: Type.Optional(Type.String({ maxLength: 255 })),
    before: Type.Optional(Type.String({ format: 'date-time' })),
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
})

export function auditRoutes(container: Container): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/audit',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags: ['audit'],
          summary: 'Read the audit log, newest first',
          querystring: AuditQuery,
          response: { 200: Type.Object({ events: Type.Array(AuditEventSchema) }) },
        },
      },
      async (request) => {
        const { limit, action, actor, target, before } = request.query
        const events = await container.audit.list(container.store.db, {
          tenantId: tenantOf(request).id,
          limit,
          action,
          actor,
          target,
          before: before ? Date.parse(before) : undefined,
        })
        return { events }
      },
    )
  }
}
