import { readFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import { type ParsedMail, simpleParser } from 'mailparser'
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerAuthentication,
  type SMTPServerDataStream,
  type SMTPServerOptions,
  type SMTPServerSession,
} from 'smtp-server'
import { type CertificatePair, selfSignedPair } from './tls.ts'

/**
 * - `plain`: no TLS at all (STARTTLS is not offered), like a local relay;
 * - `starttls`: STARTTLS offered, and MAIL refused (530) until the session is upgraded;
 * - `implicit-tls`: TLS from the first byte, like SMTPS on port 465.
 */
export type SinkSecurity = 'plain' | 'starttls' | 'implicit-tls'

export interface SinkCredentials {
  user: string
  pass: string
}

export interface SmtpSinkOptions {
  security?: SinkSecurity
  /** Require AUTH (PLAIN or LOGIN) with exactly these credentials before MAIL. Needs TLS. */
  credentials?: SinkCredentials
  /** Certificate and key files; required for `starttls` and `implicit-tls`. */
  certificate?: CertificatePair
  /** 0 (default): a free port, kept across `restart()`. */
  port?: number
}

/** An SMTP reply the sink sends instead of accepting. */
export interface SinkReply {
  /** 4xx (try later) or 5xx (refused for good). */
  code: number
  message?: string
  /** Which command gets the reply; `data` (default) answers the end of the message. */
  at?: 'mail' | 'rcpt' | 'data'
}

export interface ReceivedMessage {
  /** Envelope sender and recipients, as given to MAIL FROM and RCPT TO. */
  mailFrom: string
  rcptTo: string[]
  raw: Buffer
  parsed: ParsedMail
  /** The session ran over TLS. */
  secure: boolean
  /** The authenticated user, if any. */
  user: string | undefined
}

export interface SinkRejection {
  code: number
  at: 'mail' | 'rcpt' | 'data'
  recipients: string[]
}

export interface AuthAttempt {
  user: string
  accepted: boolean
}

/**
 * A real SMTP server (smtp-server) on 127.0.0.1 for tests of code that sends mail. It records
 * what it accepts, parsed with mailparser; a message is recorded before the client gets its
 * 250, so after a successful send it is already in `messages`. It can refuse the next N
 * messages or given recipients with any 4xx/5xx reply, and can be stopped (open connections
 * are cut, as in a crash) and restarted on the same port.
 */
export class SmtpSink {
  readonly host = '127.0.0.1'
  readonly messages: ReceivedMessage[] = []
  readonly rejections: SinkRejection[] = []
  readonly authAttempts: AuthAttempt[] = []
  /** Errors the server reported (client resets and the like); kept for diagnosis. */
  readonly errors: Error[] = []
  /** TCP connections accepted since start, across restarts. */
  connections = 0
  port: number

  private readonly security: SinkSecurity
  private readonly credentials: SinkCredentials | undefined
  private readonly tlsFiles: { key: Buffer; cert: Buffer } | undefined
  private server: SMTPServer | undefined
  private readonly sockets = new Set<Socket>()
  private pending: Array<SinkReply & { remaining: number }> = []
  private readonly recipientReplies = new Map<string, SinkReply>()
  private waiters: Array<{ count: number; wake: () => void }> = []

  private constructor(options: SmtpSinkOptions) {
    this.security = options.security ?? 'plain'
    this.credentials = options.credentials
    this.port = options.port ?? 0
    if (this.security !== 'plain' && !options.certificate)
      throw new Error(`SMTP sink: security "${this.security}" needs a certificate`)
    if (this.credentials && this.security === 'plain')
      throw new Error('SMTP sink: AUTH needs TLS (smtp-server does not offer it in clear text)')
    this.tlsFiles = options.certificate
      ? { key: readFileSync(options.certificate.key), cert: readFileSync(options.certificate.cert) }
      : undefined
  }

  static async start(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
    const sink = new SmtpSink(options)
    await sink.listen()
    return sink
  }

  get running(): boolean {
    return this.server !== undefined
  }

  /**
   * The URL a client uses to reach this sink: smtps:// for implicit TLS, else smtp://, with the
   * sink's credentials unless others (or `false`) are given, and the query options given.
   */
  url(options: { credentials?: SinkCredentials | false; query?: Record<string, string> } = {}): string {
    const scheme = this.security === 'implicit-tls' ? 'smtps' : 'smtp'
    const credentials = options.credentials === undefined ? this.credentials : options.credentials
    const userInfo = credentials
      ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.pass)}@`
      : ''
    const query = new URLSearchParams(options.query ?? {}).toString()
    return `${scheme}://${userInfo}${this.host}:${this.port}${query ? `?${query}` : ''}`
  }

  /**
   * Answers the next `count` messages with `reply` instead of accepting them (with `at: 'rcpt'`,
   * the next `count` recipients). Replies queued earlier are used up first.
   */
  rejectNext(count: number, reply: SinkReply): void {
    checkReply(reply)
    this.pending.push({ ...reply, remaining: count })
  }

  /** Answers RCPT TO for `address` with `reply` until `clearRejections()`. */
  rejectRecipient(address: string, reply: SinkReply): void {
    checkReply(reply)
    this.recipientReplies.set(address.toLowerCase(), reply)
  }

  clearRejections(): void {
    this.pending = []
    this.recipientReplies.clear()
  }

  /** Forgets received messages, rejections, auth attempts and pending replies. */
  reset(): void {
    this.messages.length = 0
    this.rejections.length = 0
    this.authAttempts.length = 0
    this.errors.length = 0
    this.clearRejections()
  }

  /** Resolves with all messages once at least `count` have arrived; fails after `timeoutMs`. */
  async waitForMessages(count: number, timeoutMs = 60_000): Promise<ReceivedMessage[]> {
    if (this.messages.length < count) {
      await new Promise<void>((resolve, reject) => {
        const waiter = {
          count,
          wake: () => {
            clearTimeout(timer)
            resolve()
          },
        }
        const timer = setTimeout(() => {
          this.waiters = this.waiters.filter((other) => other !== waiter)
          reject(
            new Error(
              `SMTP sink: expected ${count} messages within ${timeoutMs} ms, got ${this.messages.length} (rejected ${this.rejections.length})`,
            ),
          )
        }, timeoutMs)
        this.waiters.push(waiter)
      })
    }
    return [...this.messages]
  }

  /** Stops listening and cuts every open connection at once, as a crashed server would. */
  async stop(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of this.sockets) socket.destroy()
    await closed
  }

  /** Listens again on the same port, with the same behaviour and records. */
  async restart(): Promise<void> {
    await this.stop()
    // The port is free at once on Linux (Node listens with SO_REUSEADDR); retrying covers
    // slower releases elsewhere without a fixed sleep.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.listen()
        return
      } catch (error) {
        if ((error as { code?: string }).code !== 'EADDRINUSE' || attempt >= 50) throw error
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  }

  private async listen(): Promise<void> {
    const server = new SMTPServer(this.serverOptions())
    server.on('error', (error) => this.errors.push(error))
    server.server.on('connection', (socket: Socket) => {
      this.connections++
      this.sockets.add(socket)
      socket.once('close', () => this.sockets.delete(socket))
    })
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error) => reject(error)
      server.server.once('error', failed)
      server.listen(this.port, this.host, () => {
        server.server.off('error', failed)
        resolve()
      })
    })
    const address = server.server.address()
    if (typeof address === 'object' && address) this.port = address.port
    this.server = server
  }

  private serverOptions(): SMTPServerOptions {
    const disabled: string[] = []
    if (this.security !== 'starttls') disabled.push('STARTTLS')
    if (!this.credentials) disabled.push('AUTH')
    return {
      name: 'sink.rekey.test',
      banner: 'Rekey test sink',
      secure: this.security === 'implicit-tls',
      ...(this.tlsFiles ?? {}),
      logger: false,
      disableReverseLookup: true,
      disabledCommands: disabled,
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: !this.credentials,
      size: 10 * 1024 * 1024,
      socketTimeout: 120_000,
      closeTimeout: 1000,
      onAuth: (auth, _session, callback) => this.onAuth(auth, callback),
      onMailFrom: (_address, session, callback) => callback(this.refuseSender(session)),
      onRcptTo: (address, _session, callback) => callback(this.refuseRecipient(address)),
      onData: (stream, session, callback) => {
        this.onData(stream, session).then(
          (answer) => callback(null, answer),
          (error: Error) => callback(error),
        )
      },
    }
  }

  private onAuth(
    auth: SMTPServerAuthentication,
    callback: (error: Error | null | undefined, response?: { user?: unknown }) => void,
  ): void {
    const accepted =
      this.credentials !== undefined &&
      auth.username === this.credentials.user &&
      auth.password === this.credentials.pass
    this.authAttempts.push({ user: auth.username ?? '', accepted })
    if (accepted) callback(null, { user: auth.username })
    else callback(replyError({ code: 535, message: 'Error: authentication failed' }))
  }

  private refuseSender(session: SMTPServerSession): Error | null {
    if (this.security === 'starttls' && !session.secure)
      return replyError({ code: 530, message: 'Must issue a STARTTLS command first' })
    const reply = this.takePending('mail')
    if (!reply) return null
    this.rejections.push({ code: reply.code, at: 'mail', recipients: [] })
    return replyError(reply)
  }

  private refuseRecipient(address: SMTPServerAddress): Error | null {
    const reply = this.recipientReplies.get(address.address.toLowerCase()) ?? this.takePending('rcpt')
    if (!reply) return null
    this.rejections.push({ code: reply.code, at: 'rcpt', recipients: [address.address] })
    return replyError(reply)
  }

  private async onData(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const chunks: Buffer[] = []
    for await (const chunk of stream) chunks.push(chunk as Buffer)
    const recipients = session.envelope.rcptTo.map((address) => address.address)
    if (stream.sizeExceeded) throw replyError({ code: 552, message: 'Message exceeds the size limit' })
    const reply = this.takePending('data')
    if (reply) {
      this.rejections.push({ code: reply.code, at: 'data', recipients })
      throw replyError(reply)
    }
    const raw = Buffer.concat(chunks)
    const parsed = await simpleParser(raw)
    this.messages.push({
      mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      rcptTo: recipients,
      raw,
      parsed,
      secure: session.secure,
      user: typeof session.user === 'string' ? session.user : undefined,
    })
    this.wakeWaiters()
    return `Ok: queued as sink-${this.messages.length}`
  }

  private takePending(at: 'mail' | 'rcpt' | 'data'): SinkReply | undefined {
    const entry = this.pending.find((candidate) => (candidate.at ?? 'data') === at && candidate.remaining > 0)
    if (!entry) return undefined
    entry.remaining--
    if (entry.remaining === 0) this.pending = this.pending.filter((other) => other !== entry)
    return entry
  }

  private wakeWaiters(): void {
    const ready = this.waiters.filter((waiter) => this.messages.length >= waiter.count)
    this.waiters = this.waiters.filter((waiter) => this.messages.length < waiter.count)
    for (const waiter of ready) waiter.wake()
  }
}

function checkReply(reply: SinkReply): void {
  if (!Number.isInteger(reply.code) || reply.code < 400 || reply.code > 599)
    throw new Error(`SMTP sink: reply code ${reply.code} is not 4xx or 5xx`)
}

function replyError(reply: SinkReply): Error {
  const message = reply.message ?? (reply.code >= 500 ? 'Refused by the test sink' : 'Try again later')
  return Object.assign(new Error(message), { responseCode: reply.code })
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost that a client checking the server's
 * identity accepts when it trusts the certificate as its CA: the names are subjectAltName
 * entries, which Node requires for an IP address.
 * Returns the reason instead when openssl is not available, for the test to skip with.
 */
export function loopbackCertificate(dir: string, name = 'smtp'): CertificatePair | { skip: string } {
  return selfSignedPair(dir, name, { loopbackNames: true })
}
