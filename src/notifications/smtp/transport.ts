import { poolOptions, readCa } from './connection-options.ts'
import { passwordRedactor } from './credentials.ts'
import { mailOptionsFor, type OutgoingMessage } from './message.ts'
import { classifyFailure, type SendOutcome } from './outcome.ts'
import { probeSmtpServer, type VerifyOutcome } from './probe.ts'
import { checkSmtpSettings, describeSmtpEndpoint, type SmtpSettings } from './settings.ts'
import { smtpThread } from './smtp-thread-client.ts'

/**
 * Sends notification mail through a pool of SMTP connections (nodemailer's pooled transport,
 * run on the mail thread: see smtp-thread-client.ts).
 * `send` never throws: every failure comes back as a temporary or permanent outcome whose
 * reason is safe to store and show (no password, no message body). A connection the server
 * dropped is replaced on the next message, so the pool recovers by itself after a relay
 * restart.
 */
export class SmtpTransport {
  readonly settings: SmtpSettings
  private readonly ca: Buffer | undefined
  /** The pooled transport's number on the mail thread. */
  private readonly pool: number
  private readonly redact: (text: string) => string
  private readonly inFlight = new Set<Promise<SendOutcome>>()
  private closed = false

  /** Throws `SmtpConfigError` for unusable settings or an unreadable CA file. */
  constructor(settings: SmtpSettings) {
    checkSmtpSettings(settings)
    this.settings = settings
    this.ca = readCa(settings)
    this.redact = passwordRedactor(settings.auth)
    this.pool = smtpThread.open(poolOptions(settings, this.ca))
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
      const answer = await smtpThread.send(this.pool, options)
      if ('info' in answer)
        return {
          kind: 'sent',
          response: this.redact(answer.info.response),
          messageId: answer.info.messageId,
          rejected: answer.info.rejected,
        }
      return this.failure(answer.error)
    } catch (error) {
      // Whatever failed, the caller gets an outcome: `send` is documented never to throw.
      return this.failure(error)
    }
  }

  private failure(error: unknown): SendOutcome {
    return classifyFailure(error, {
      endpoint: `${this.settings.host}:${this.settings.port}`,
      redact: this.redact,
      closed: this.closed,
    })
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
    smtpThread.close(this.pool)
    await Promise.allSettled([...this.inFlight])
  }
}
