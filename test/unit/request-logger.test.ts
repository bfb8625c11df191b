import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { lazyRequestLogger } from '../../src/http/request-logger.ts'
import { createLogger } from '../../src/observability/logger.ts'

/** A server logger at `level` whose lines are collected, parsed. */
function collected(level: string) {
  const lines: Array<Record<string, unknown>> = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line))
      done()
    },
  })
  const logger = createLogger(level, destination)
  let children = 0
  const child = logger.child
  logger.child = function (this: typeof logger, ...args: Parameters<typeof child>) {
    children++
    return child.apply(this, args)
  } as typeof logger.child
  return { logger, lines, children: () => children }
}

describe('request logger', () => {
  it('writes nothing and makes no child logger for lines below the level', () => {
    const { logger, lines, children } = collected('warn')
    const log = lazyRequestLogger(logger, { reqId: 'req-1' }, {})
    log.info({ path: '/scim2/Users' }, 'incoming request')
    log.debug('details')
    assert.equal(lines.length, 0)
    assert.equal(children(), 0)
  })

  it("binds the request's id and redacts secrets in the lines it writes", () => {
    const { logger, lines, children } = collected('info')
    const log = lazyRequestLogger(logger, { reqId: 'req-2' }, {})
    log.info({ password: 'hunter2-secret' }, 'first')
    log.error({ token: 'rkt_secret' }, 'second')
    assert.equal(children(), 1, 'one child for the request, made once')
    assert.deepEqual(
      lines.map((line) => [line.msg, line.reqId, line.password ?? line.token]),
      [
        ['first', 'req-2', '[redacted]'],
        ['second', 'req-2', '[redacted]'],
      ],
    )
  })

  it("follows a route's own level over the server's", () => {
    const { logger, lines } = collected('warn')
    const log = lazyRequestLogger(logger, { reqId: 'req-3' }, { level: 'debug' })
    log.debug('route detail')
    assert.equal(log.level, 'debug')
    assert.deepEqual(
      lines.map((line) => line.msg),
      ['route detail'],
    )
  })

  it('makes further children that keep the bindings', () => {
    const { logger, lines } = collected('info')
    lazyRequestLogger(logger, { reqId: 'req-4' }, {}).child({ part: 'bulk' }).info('nested')
    assert.deepEqual([lines[0]?.reqId, lines[0]?.part], ['req-4', 'bulk'])
  })
})
