import { Worker } from 'node:worker_threads'
import type { SendMailOptions } from 'nodemailer'
import type { SMTPPoolOptions } from 'nodemailer/lib/smtp-pool'

/** What the relay said of an accepted message. */
export interface SentInfo {
  response: string
  messageId: string
  rejected: string[]
}

/** A failed send: the fields of nodemailer's error that `classifyFailure` reads. */
export interface SendFailure {
  message: string
  code?: string
  responseCode?: number
  response?: string
  command?: string
  originalCode?: string
  timeoutType?: string
}

type Answer = { seq: number; info: SentInfo } | { seq: number; error: SendFailure }

interface Pending {
  resolve: (answer: Answer) => void
}

/**
 * Sends mail on a worker thread. nodemailer composes each message through a chain of streams
 * (quoted-printable encoding, header folding) for about 0.7 ms of CPU: on the event loop that
 * competes with sign-ins and API calls, and a bulk job's batches, which hold the loop while the
 * embedded store writes, stopped delivery altogether until the job ended. On its own thread the
 * relay connections keep moving whatever the event loop does. One thread serves every pooled
 * transport of the process; it starts on first use and keeps the process alive only while a
 * message is in flight. Should it die, in-flight sends fail (temporarily) and the next send
 * starts a new thread and reopens the transports.
 */
class SmtpThread {
  private worker: Worker | undefined
  private readonly pools = new Map<number, SMTPPoolOptions & { pool: true }>()
  private readonly pending = new Map<number, Pending>()
  private nextPool = 1
  private nextSeq = 1

  open(options: SMTPPoolOptions & { pool: true }): number {
    const pool = this.nextPool++
    this.pools.set(pool, options)
    this.worker?.postMessage({ op: 'open', pool, options })
    return pool
  }

  close(pool: number): void {
    if (!this.pools.delete(pool)) return
    this.worker?.postMessage({ op: 'close', pool })
  }

  send(pool: number, mail: SendMailOptions): Promise<Answer> {
    if (!this.pools.has(pool))
      return Promise.resolve({ seq: 0, error: { message: 'the SMTP transport is closed' } })
    const worker = this.running()
    const seq = this.nextSeq++
    return new Promise((resolve) => {
      this.pending.set(seq, { resolve })
      worker.ref()
      worker.postMessage({ op: 'send', pool, seq, mail })
    })
  }

  private running(): Worker {
    if (this.worker) return this.worker
    const worker = new Worker(new URL('./smtp-thread.mjs', import.meta.url))
    worker.on('message', (answer: Answer) => {
      this.pending.get(answer.seq)?.resolve(answer)
      this.pending.delete(answer.seq)
      // Idle: let the process exit without waiting for this thread.
      if (this.pending.size === 0) worker.unref()
    })
    const fail = (reason: string) => {
      if (this.worker !== worker) return
      this.worker = undefined
      for (const [seq, pending] of this.pending)
        pending.resolve({ seq, error: { code: 'ECONNECTION', message: reason } })
      this.pending.clear()
    }
    worker.on('error', (error) => fail(`the mail thread failed: ${error.message}`))
    worker.on('exit', () => fail('the mail thread stopped'))
    for (const [pool, options] of this.pools) worker.postMessage({ op: 'open', pool, options })
    this.worker = worker
    return worker
  }
}

export const smtpThread = new SmtpThread()
