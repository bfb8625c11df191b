import type { FastifyInstance } from 'fastify'
import type { Container } from '../../../container.ts'
import type { ConsoleKit } from '../kit.ts'

/** The console's bulk-reset pages. */
export function bulkResetPages(_container: Container, _kit: ConsoleKit) {
  return async (_app: FastifyInstance) => {}
}
