// Child process of the benchmark: an SMTP server on 127.0.0.1 that accepts every message and
// counts it, and does nothing else (no storage, no TLS, no AUTH). It runs in a process of its
// own so that the relay's work is not charged to the process whose sending is measured, and it
// answers over IPC (bench/support/counting-sink.ts is the other end). Started with the argument
// `codes`, it also reads the self-service reset code out of each message and reports it with the
// envelope recipients; otherwise messages are not even parsed.
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
  /** `codes` mode: a message that carried a reset code, for these envelope recipients. */
  | { kind: 'code'; recipients: string[]; code: string }

const readsCodes = process.argv[2] === 'codes'
/**
 * The code block of the text part: the code alone on its line, indented by four spaces. A
 * quoted-printable or 7-bit text part keeps that line as it is, so a scan of the raw message
 * finds it without decoding anything; the link `…/forgot-password/code?token=…&code=…` must
 * name the same code (checked after decoding, in the slow path only).
 */
const CODE_LINE = /\r?\n {4}([A-Z0-9]{6,32})\r?\n/
const BASE64_PART = /^content-transfer-encoding:\s*base64/im
const LINK_CODE = /\/forgot-password\/code\?token=[^&\s]+&code=([A-Z0-9]{6,32})/

/** The reset code of a message, or undefined when it has none (another notification). */
async function codeOf(raw: Buffer): Promise<string | undefined> {
  const source = raw.toString('latin1')
  const fast = CODE_LINE.exec(source)?.[1]
  if (fast !== undefined || !BASE64_PART.test(source)) return fast
  // A base64 part may hide the code: decoded properly, then both places must agree.
  const { simpleParser } = await import('mailparser')
  const text = (await simpleParser(raw)).text ?? ''
  const line = CODE_LINE.exec(`\n${text}\n`)?.[1]
  const link = LINK_CODE.exec(text)?.[1]
  return line !== undefined && line === link ? line : undefined
}

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
  onData(stream, session, callback) {
    // Read and dropped: the count is all the benchmark needs, and in `codes` mode the code.
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      if (readsCodes) chunks.push(chunk)
    })
    stream.once('end', async () => {
      if (readsCodes) {
        const code = await codeOf(Buffer.concat(chunks)).catch(() => undefined)
        const recipients = session.envelope.rcptTo.map((address) => address.address.toLowerCase())
        if (code !== undefined) report({ kind: 'code', recipients, code })
      }
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
