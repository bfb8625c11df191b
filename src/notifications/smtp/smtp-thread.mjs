// Worker thread body: nodemailer's pooled SMTP transports, for the main thread. Plain
// JavaScript so the worker needs no TypeScript loader. Messages in:
//   { op: 'open', pool, options }   a pooled transport with these (cloneable) options
//   { op: 'send', pool, seq, mail } one message; answered { seq, info } or { seq, error }
//   { op: 'close', pool }           closes the transport; its queued messages fail
// Errors travel as plain objects with the fields the main thread classifies them by.
import { parentPort } from 'node:worker_threads'
import nodemailer from 'nodemailer'

const transports = new Map()

function plainError(error) {
  if (typeof error !== 'object' || error === null) return { message: String(error) }
  const plain = { message: String(error.message ?? error) }
  for (const field of ['code', 'responseCode', 'response', 'command', 'originalCode', 'timeoutType'])
    if (error[field] !== undefined) plain[field] = error[field]
  return plain
}

parentPort.on('message', (request) => {
  switch (request.op) {
    case 'open':
      transports.set(request.pool, nodemailer.createTransport(request.options))
      return
    case 'close':
      transports.get(request.pool)?.close()
      transports.delete(request.pool)
      return
    case 'send': {
      const transport = transports.get(request.pool)
      if (!transport) {
        parentPort.postMessage({ seq: request.seq, error: { message: 'the SMTP transport is closed' } })
        return
      }
      transport.sendMail(request.mail).then(
        (info) =>
          parentPort.postMessage({
            seq: request.seq,
            info: {
              response: String(info.response ?? ''),
              messageId: String(info.messageId),
              rejected: (info.rejected ?? []).map(String),
            },
          }),
        (error) => parentPort.postMessage({ seq: request.seq, error: plainError(error) }),
      )
    }
  }
})
