import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Metrics } from '../observability/metrics.ts'

export interface Readiness {
  /** True once migrations and first-start setup have finished. */
  started(): boolean
  ping(): Promise<boolean>
}

const Status = Type.Object({ status: Type.String(), store: Type.Optional(Type.String()) })

/**
 * Liveness answers while the process runs; readiness only while the store answers; metrics in
 * the Prometheus text format (counts only, nothing about users).
 */
export function healthRoutes(readiness: Readiness, metrics: Metrics): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/metrics',
      {
        schema: {
          tags: ['health'],
          summary: 'Prometheus metrics',
          produces: ['text/plain'],
          response: { 200: Type.String() },
        },
      },
      async (_request, reply) =>
        reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render()),
    )
    app.get(
      '/healthz',
      { schema: { tags: ['health'], summary: 'Liveness', response: { 200: Status } } },
      async () => ({ status: 'ok' }),
    )
    app.get(
      '/readyz',
      {
        schema: {
          tags: ['health'],
          summary: 'Readiness: the store is reachable',
          response: { 200: Status, 503: Status },
        },
      },
      async (_request, reply) => {
        const reachable = await readiness.ping()
        if (reachable && readiness.started()) return { status: 'ready', store: 'ok' }
        reply.header('retry-after', '5')
        return reply.code(503).send({ status: 'not-ready', store: reachable ? 'starting' : 'unreachable' })
      },
    )
  }
}
