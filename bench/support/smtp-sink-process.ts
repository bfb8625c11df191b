// Child process of the benchmark: an SMTP server on 127.0.0.1 that accepts every message and
// counts it, and does nothing else (no parsing, no storage, no TLS, no AUTH). It runs in a
// process of its own so that the relay's work is not charged to the process whose sending is
// measured, and it answers over IPC (bench/support/counting-sink.ts is the other end).
import { SMTPServer } from 'smtp-server'

export type SinkRequest =
  | { kind: 'reset' }
  /** Answer with `reached` once `count` messages have arrived since the last reset. */
  | { kind: 'notify'; count: number }
  | { kind: 'count' }
  | { kind: 'stop' }

export type SinkReport =
  | { kind: 'ready'; port: number }
  | { kind: 'reset' }
  | { kind: 'reached'; count: number }
  | { kind: 'count'; count: number; bytes: number }

let count = 0
let bytes = 0
let target: number | undefined

const report = (message: SinkReport) => process.send?.(message)

function counted(): void {
  count++
  if (target !== undefined && count >= target) {
    target = undefined
    report({ kind: 'reached', count })
  }
}

const server = new SMTPServer({
  name: 'bench-sink.rekey.test',
  logger: false,
  disableReverseLookup: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  authOptional: true,
  size: 10 * 1024 * 1024,
  socketTimeout: 300_000,
  closeTimeout: 1000,
  onData(stream, _session, callback) {
    // Read and dropped: the count is all the benchmark needs.
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length
    })
    stream.once('end', () => {
      counted()
      callback(null, 'Ok: counted')
    })
  },
})
// A client that goes away mid-session is its own business; the sink keeps serving.
server.on('error', () => {})

process.on('message', (request: SinkRequest) => {
  switch (request.kind) {
    case 'reset':
      count = 0
      bytes = 0
      target = undefined
      report({ kind: 'reset' })
      return
    case 'notify':
      if (count >= request.count) report({ kind: 'reached', count })
      else target = request.count
      return
    case 'count':
      report({ kind: 'count', count, bytes })
      return
    case 'stop':
      server.close(() => process.exit(0))
      // Open pooled connections would hold close() up: they are cut after a moment.
      setTimeout(() => process.exit(0), 2000).unref()
  }
})
// Leaves by itself when the benchmark goes away (IPC channel closed), whatever the reason.
process.on('disconnect', () => process.exit(0))

server.listen(0, '127.0.0.1', () => {
  const address = server.server.address()
  report({ kind: 'ready', port: typeof address === 'object' && address ? address.port : 0 })
})
