import SMTPConnection from 'nodemailer/lib/smtp-connection'
import { connectionOptions } from './connection-options.ts'
import { classifyFailure } from './outcome.ts'
import type { SmtpSettings } from './settings.ts'

export type VerifyOutcome =
  | {
      ok: true
      /** The server's first line, e.g. `220 mail.example.com ESMTP Postfix`. */
      greeting: string
      /** The last answer: to AUTH (`235 …`) when credentials are set, else to EHLO. */
      answer: string
      /** Whether the session ran over TLS (implicit or after STARTTLS). */
      secure: boolean
      authenticated: boolean
    }
  | { ok: false; reason: string }

interface LogEntry {
  tnx?: string
}

/**
 * Opens one session outside the pool with the same options, reads the greeting, runs
 * EHLO/STARTTLS and AUTH, and leaves with QUIT; no message is sent. nodemailer's own verify()
 * answers only `true`, so the greeting is taken from its transaction log, which carries
 * server lines under `tnx: 'server'` (client lines are ignored: they include the AUTH
 * exchange, masked by nodemailer but not needed here).
 */
export function probeSmtpServer(
  settings: SmtpSettings,
  ca: Buffer | undefined,
  redact: (text: string) => string,
): Promise<VerifyOutcome> {
  const endpoint = `${settings.host}:${settings.port}`
  return new Promise((resolve) => {
    let greeting: string | undefined
    const logger = {
      debug(entry: LogEntry | undefined, message?: unknown) {
        if (entry?.tnx === 'server' && greeting === undefined && typeof message === 'string')
          greeting = message
      },
    }
    const connection = new SMTPConnection({
      ...connectionOptions(settings, ca),
      logger,
      transactionLog: true,
    })
    let settled = false
    const fail = (error: unknown) => {
      if (settled) return
      settled = true
      connection.close()
      resolve({ ok: false, reason: classifyFailure(error, { endpoint, redact, closed: false }).reason })
    }
    const succeed = (authenticated: boolean) => {
      if (settled) return
      settled = true
      const answer = firstLine(redact(String(connection.lastServerResponse || '')))
      const secure = connection.secure
      connection.quit()
      resolve({ ok: true, greeting: firstLine(redact(greeting ?? '')), answer, secure, authenticated })
    }
    // `on`, not `once`: a second 'error' without a listener would be thrown as uncaught.
    connection.on('error', fail)
    connection.on('end', () => fail(Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' })))
    connection.connect((error) => {
      if (error) return fail(error)
      const auth = settings.auth
      if (!auth) return succeed(false)
      connection.login({ credentials: { user: auth.user, pass: auth.pass } }, (loginError) => {
        if (loginError) return fail(loginError)
        succeed(true)
      })
    })
  })
}

function firstLine(text: string): string {
  return text.split(/\r?\n/)[0]?.trim() ?? ''
}
