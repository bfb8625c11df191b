import { hostname } from 'node:os'

/** The answer recorded for a message the built-in mailbox took: there is no relay to answer. */
export const MAILBOX_RESPONSE = 'delivered to the built-in mailbox'

/** Logged for each message the mailbox takes, with who and what, never the body (it holds the link or the code). */
export const MAILBOX_LOG_MESSAGE = 'mail delivered to the built-in mailbox (no SMTP server configured)'

/** Who recorded a delivery made while the message was queued, in the attempts' `worker` column. */
export const QUEUING_DELIVERER = `${hostname().slice(0, 40)}:${process.pid}:queued`
