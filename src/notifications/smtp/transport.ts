import nodemailer from 'nodemailer'
import { poolOptions, readCa } from './connection-options.ts'
import { passwordRedactor } from './credentials.ts'
import { mailOptionsFor, type OutgoingMessage } from './message.ts'
import { classifyFailure, type SendOutcome } from './outcome.ts'
import { probeSmtpServer, type VerifyOutcome } from './probe.ts'
import { checkSmtpSettings, describeSmtpEndpoint, type SmtpSettings } from './settings.ts'

type PooledMailer = ReturnType<typeof createPool>

function createPool(settings: SmtpSettings, ca: Buffer | undefined) {
  return nodemailer.createTransport(poolOptions(settings, ca))
}

/**
 * Sends notification mail through a pool of SMTP connections (nodemailer's pooled transport).
 * `send` never throws: every failure comes back as a temporary or permanent outcome whose
 * reason is safe to store and show (no password, no message body). A connection the server
 * dropped is replaced on the next message, so the pool recovers by itself after a relay
 * restart.
 */
export class SmtpTransport {
  readonly settings: SmtpSettings
  private readonly ca: Buffer | undefined
  private readonly mailer: PooledMailer
  private readonly redact: (text: string) => string
  private readonly inFlight = new Set<Promise<SendOutcome>>()
  private closed = false

  /** Throws `SmtpConfigError` for unusable settings or an unreadable CA file. */
  constructor(settings: SmtpSettings) {
    checkSmtpSettings(settings)
    this.settings = settings
    this.ca = readCa(settings)
    this.redact = passwordRedactor(settings.auth)
    this.mailer = createPool(settings, this.ca)
  }

  /** Where mail goes, without the password: for logs and the CLI. */
  get endpoint(): string {
    return describeSmtpEndpoint(this.settings)
  }

  send(message: OutgoingMessage): Promise<SendOutcome> {
    const pending = this.deliver(message)
    this.inFlight.add(pending)
    void pending.finally(() => this.inFlight.delete(pending))
    return pending
  }

  private async deliver(message: OutgoingMessage): Promise<SendOutcome> {
    if (this.closed) return { kind: 'temporary', reason: 'the SMTP transport is closed' }
    try {
      const options = mailOptionsFor(message, this.settings.from)
      if ('invalid' in options)
        return { kind: 'permanent', reason: `the message cannot be sent: ${options.invalid}` }
      const info = await this.mailer.sendMail(options)
      return {
        kind: 'sent',
        response: this.redact(String(info.response ?? '')),
        messageId: String(info.messageId),
        rejected: (info.rejected ?? []).map(String),
      }
    } catch (error) {
      // Whatever failed, the caller gets an outcome: `send` is documented never to throw.
      return classifyFailure(error, {
        endpoint: `${this.settings.host}:${this.settings.port}`,
        redact: this.redact,
        closed: this.closed,
      })
    }
  }

  /**
   * Connects, secures and authenticates one session exactly as sending would, without sending:
   * for `rekey smtp test` and start-up checks.
   */
  verify(): Promise<VerifyOutcome> {
    return probeSmtpServer(this.settings, this.ca, this.redact)
  }

  /**
   * Stops taking messages, lets the ones being transmitted finish, and fails the queued ones
   * as temporary (they are retried by whoever queued them). Resolves when every `send` has
   * settled.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.mailer.close()
    await Promise.allSettled([...this.inFlight])
  }
}
