import type { NodemailerError } from 'nodemailer'

export interface SentOutcome {
  kind: 'sent'
  /** The server's answer to the message, e.g. `250 2.0.0 Ok: queued as 4Q1x`. */
  response: string
  /** The `Message-ID` the message carried, with angle brackets. */
  messageId: string
  /** Recipients the server refused while it accepted the message for the others. */
  rejected: string[]
}

/** Worth trying again later: the server, the network or the configuration may change. */
export interface TemporaryOutcome {
  kind: 'temporary'
  reason: string
  responseCode?: number
}

/** This message will never be accepted as it is. */
export interface PermanentOutcome {
  kind: 'permanent'
  reason: string
  responseCode?: number
}

export type SendOutcome = SentOutcome | TemporaryOutcome | PermanentOutcome
export type FailedOutcome = TemporaryOutcome | PermanentOutcome

export interface FailureContext {
  /** `host:port`, named in connection failures. */
  endpoint: string
  /** Removes the password from text that came from the server or the library. */
  redact: (text: string) => string
  /** True once the transport was closed: queued messages fail with a pool error then. */
  closed: boolean
}

/** Commands whose answer is a verdict on this message rather than on the session. */
const messageCommands = new Set(['MAIL FROM', 'RCPT TO', 'DATA'])

/** Replies about authentication: 530 required, 534 mechanism too weak, 535 bad credentials, 538 needs TLS first. */
const authenticationCodes = new Set([530, 534, 535, 538])

const systemCodes: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection broken',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
}

const timeoutPhases: Record<string, string> = {
  CONNECT_TIMEOUT: 'while connecting',
  GREETING_TIMEOUT: 'waiting for the greeting',
  UPGRADE_TIMEOUT: 'during the TLS upgrade',
  SOCKET_TIMEOUT: 'waiting for the server',
}

/**
 * Sorts a failed delivery into temporary or permanent.
 *
 * Permanent is reserved for a verdict on this message: a 5xx answer to MAIL FROM, RCPT TO or
 * DATA (except 503, a command-sequence error that a new session clears, as RFC 5321 reads it),
 * or a message nodemailer cannot put on the wire at all (no valid recipient, over the
 * server's SIZE). A 5xx during greeting, EHLO or STARTTLS refuses the session, not the
 * message, and is temporary like every 4xx reply, network error, timeout, TLS failure and a
 * closed transport.
 *
 * Authentication failures are temporary too. Bad or missing credentials do not heal by
 * themselves, but failing messages for good would lose every notification sent until an
 * operator fixes the settings; the reason says plainly that the settings need fixing.
 *
 * Reasons are built from the reply code, the server's reply text and the library's message,
 * all passed through `redact`, cut to one line and bounded in length. The message body never
 * enters them.
 */
export function classifyFailure(error: unknown, context: FailureContext): FailedOutcome {
  if (typeof error !== 'object' || error === null)
    return { kind: 'temporary', reason: `unexpected failure: ${clean(String(error), context)}` }
  const failure = error as NodemailerError
  const code = failure.code
  const responseCode = typeof failure.responseCode === 'number' ? failure.responseCode : undefined
  const reply = failure.response ? clean(failure.response, context) : undefined
  const command = failure.command && failure.command !== 'API' ? failure.command : undefined
  const at = command ? ` at ${command}` : ''
  const withCode = <T extends FailedOutcome>(outcome: T): T =>
    responseCode === undefined ? outcome : { ...outcome, responseCode }

  if (code === 'EAUTH' || code === 'ENOAUTH' || (responseCode && authenticationCodes.has(responseCode)))
    return withCode({
      kind: 'temporary',
      reason: `SMTP authentication failed${reply ? ` (${reply})` : ''}: the server refused the configured user and password, or wants credentials that are not configured; fix the SMTP settings (temporary, so the message is retried once they are fixed)`,
    })
  if (responseCode !== undefined && reply !== undefined) {
    if (
      responseCode >= 500 &&
      responseCode < 600 &&
      responseCode !== 503 &&
      command &&
      messageCommands.has(command)
    )
      return withCode({ kind: 'permanent', reason: `rejected by the server${at}: ${reply}` })
    if (responseCode >= 500 && responseCode < 600)
      return withCode({ kind: 'temporary', reason: `the server refused the session${at}: ${reply}` })
    if (responseCode >= 400 && responseCode < 500)
      return withCode({ kind: 'temporary', reason: `deferred by the server${at}: ${reply}` })
    return withCode({ kind: 'temporary', reason: `unexpected server reply${at}: ${reply}` })
  }
  if (code === 'EENVELOPE' || code === 'EMESSAGE')
    return { kind: 'permanent', reason: `the message cannot be sent: ${clean(failure.message, context)}` }
  if (context.closed)
    return { kind: 'temporary', reason: 'the SMTP transport was closed before the message was sent' }
  return { kind: 'temporary', reason: connectionReason(failure, context) }
}

function connectionReason(failure: NodemailerError, context: FailureContext): string {
  const original = failure.originalCode ?? ''
  const detail = clean(failure.message, context)
  if (failure.code === 'ETIMEDOUT') {
    const phase = timeoutPhases[failure.timeoutType ?? ''] ?? ''
    const hint = failure.timeoutType === 'GREETING_TIMEOUT' ? `; ${wrongSchemeHint}` : ''
    return `timed out ${phase ? `${phase} ` : ''}with ${context.endpoint}${hint}`
  }
  if (failure.code === 'ETLS' || /CERT|ERR_SSL|ERR_TLS/.test(original)) {
    let hint = ''
    if (/CERT/.test(original))
      hint = '; the server certificate was not accepted (set tls_ca_file, or fix the certificate)'
    else if (/wrong version number/i.test(detail)) hint = `; ${wrongSchemeHint}`
    return `TLS with ${context.endpoint} failed: ${detail}${hint}`
  }
  const phrase = systemCodes[original]
  if (phrase) return `cannot reach ${context.endpoint}: ${phrase}`
  if (failure.code === 'ECONNECTION' || failure.code === 'ESOCKET')
    return `connection to ${context.endpoint} failed: ${detail}`
  return detail
}

/** The usual cause of a silent server or of a TLS record error right after connecting. */
const wrongSchemeHint =
  'check the scheme: smtps:// for a port that expects TLS from the start (465), smtp:// for STARTTLS (25, 587)'

const maxReasonText = 300

/** One line, bounded, without the password. */
function clean(text: string, context: FailureContext): string {
  const line = context
    .redact(text)
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .trim()
  return line.length > maxReasonText ? `${line.slice(0, maxReasonText)}…` : line
}
