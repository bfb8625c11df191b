import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions, Logger } from 'pino'

const METHODS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const

/**
 * The logger of one request, made when it first writes a line. Fastify binds each request's id
 * in a child logger; with the wildcard redaction paths of logger.ts pino passes every binding
 * through the redactor, which cost about a tenth of what a filtered SCIM look-up allocates,
 * on every request, though at the usual levels most requests write nothing. Lines below the
 * level (the route's own, else the server's) are dropped without making the child.
 */
export function lazyRequestLogger(
  parent: Logger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  let child: FastifyBaseLogger | undefined
  const made = (): FastifyBaseLogger => {
    child ??= parent.child(bindings, options) as FastifyBaseLogger
    return child
  }
  const level = options.level ?? parent.level
  const threshold = parent.levels.values[level] ?? Number.POSITIVE_INFINITY
  const write =
    (method: (typeof METHODS)[number]) =>
    (...args: unknown[]): void => {
      if ((parent.levels.values[method] ?? 0) < threshold) return
      const logger = made()
      ;(logger[method] as (...line: unknown[]) => void).apply(logger, args)
    }
  return {
    level,
    fatal: write('fatal'),
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    trace: write('trace'),
    silent: () => {},
    child: (childBindings, childOptions) => made().child(childBindings, childOptions),
  }
}
