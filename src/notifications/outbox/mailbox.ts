import { hostname } from 'node:os'
import type { Logger } from 'pino'
import type { OutboxRow } from '../../persistence/repositories/outbox.ts'

/** The answer recorded for a message the built-in mailbox took: there is no relay to answer. */
export const MAILBOX_RESPONSE = 'delivered to the built-in mailbox'

/** Logs a message the mailbox took: who and what, never the body (it holds the link or the code). */
export function logMailboxDelivery(
  logger: Logger,
  message: Pick<OutboxRow, 'id' | 'recipient' | 'subject'>,
): void {
  logger.info(
    { messageId: message.id, to: message.recipient, subject: message.subject },
    'mail delivered to the built-in mailbox (no SMTP server configured)',
  )
}

/** Who recorded a delivery made while the message was queued, in the attempts' `worker` column. */
export const QUEUING_DELIVERER = `${hostname().slice(0, 40)}:${process.pid}:queued`
