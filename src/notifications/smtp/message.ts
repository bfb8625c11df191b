import type { SendMailOptions } from 'nodemailer'

/** One notification email: always both an HTML and a plain-text alternative. */
export interface OutgoingMessage {
  /** Replaces the configured `From` for this message. */
  from?: string
  to: string | string[]
  subject: string
  html: string
  text: string
  /**
   * Extra headers (`Reply-To`, `List-Unsubscribe`, …). Headers the transport sets itself (From,
   * To, Bcc, Subject, Message-ID, Content-Type, …) are refused.
   */
  headers?: Record<string, string>
  /**
   * `Message-ID`, with or without angle brackets: `<notification-42@rekey.example.com>`.
   * Kept as given so it can serve as the idempotency key of a delivery. Generated when absent.
   */
  messageId?: string
}

/**
 * Headers the transport writes itself. Letting a caller set them would allow changing the
 * recipients (`Bcc`), the identity (`From`, `Sender`) or the MIME structure behind the
 * transport's back.
 */
const reservedHeaders = new Set([
  'from',
  'sender',
  'to',
  'cc',
  'bcc',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'return-path',
])

/**
 * Sent with every message so vacation responders and ticket systems do not answer a password
 * reset mail (RFC 3834; the second header is the Exchange equivalent). Threat: auto-reply
 * loops and backscatter carrying the message (and its link) to a third party.
 */
const automatedHeaders: Record<string, string> = {
  'Auto-Submitted': 'auto-generated',
  'X-Auto-Response-Suppress': 'All',
}

const messageIdShape = /^<?([\x21-\x3b\x3d\x3f-\x7e]{1,200}@[\x21-\x3b\x3d\x3f-\x7e]{1,200})>?$/

/** `<left@right>`, or undefined when `value` is not a usable Message-ID. */
export function normalizeMessageId(value: string): string | undefined {
  const match = messageIdShape.exec(value.trim())
  if (!match || match[1]!.split('@').length !== 2) return undefined
  return `<${match[1]}>`
}

const lineBreak = /[\r\n]/

/**
 * Options for nodemailer, or the reason the message cannot be sent as it is (which no retry
 * will change). Threat: a CR or LF in a header value would end the header and start one of the
 * caller's choosing (header injection); nodemailer folds such values, but a notification
 * carrying one is a bug worth surfacing rather than repairing quietly.
 */
export function mailOptionsFor(
  message: OutgoingMessage,
  defaultFrom: string,
): SendMailOptions | { invalid: string } {
  const from = message.from ?? defaultFrom
  const to = Array.isArray(message.to) ? message.to : [message.to]
  if (to.length === 0 || to.some((address) => typeof address !== 'string' || address.trim() === ''))
    return { invalid: 'the message has no recipient' }
  if (typeof from !== 'string' || typeof message.subject !== 'string')
    return { invalid: 'the message needs a From and a Subject' }
  if ([from, message.subject, ...to].some((value) => lineBreak.test(value)))
    return { invalid: 'a line break in From, To or Subject' }
  if (typeof message.html !== 'string' || typeof message.text !== 'string')
    return { invalid: 'the message needs both an HTML and a text body' }
  const headers: Record<string, string> = { ...automatedHeaders }
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!/^[!-9;-~]+$/.test(name)) return { invalid: 'a header name that is not a token' }
    if (reservedHeaders.has(name.toLowerCase())) return { invalid: `header ${name} is set by the transport` }
    if (typeof value !== 'string' || lineBreak.test(value))
      return { invalid: `a line break in header ${name}` }
    // Replaces a default of the same name in any letter case rather than adding a second one.
    for (const existing of Object.keys(headers))
      if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing]
    headers[name] = value
  }
  let messageId: string | undefined
  if (message.messageId !== undefined) {
    messageId = normalizeMessageId(message.messageId)
    if (!messageId) return { invalid: 'the Message-ID is not of the form <left@right>' }
  }
  return {
    from,
    to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    headers,
    ...(messageId ? { messageId } : {}),
    // Bodies are strings; refusing paths and URLs as content means a value that looks like one
    // is never read from disk or fetched. Threat: a template bug mailing a local file.
    disableFileAccess: true,
    disableUrlAccess: true,
    // No X-Mailer: naming the library and its version only helps someone fingerprint Rekey.
    xMailer: false,
  }
}
