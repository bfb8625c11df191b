import type { FastifyInstance } from 'fastify'
import type { Container } from '../../../container.ts'
import type { ConsoleKit } from '../kit.ts'

/** The console's settings pages. */
export function settingsPages(_container: Container, _kit: ConsoleKit) {
  return async (_app: FastifyInstance) => {}
}
