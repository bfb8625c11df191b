// The raw side of the `bulk-reset` scenario's mail: the forced-reset messages the outbox would
// send, rendered beforehand with the tenant's templates, sent by nodemailer's pooled transport
// straight to the benchmark's sink.
import nodemailer, { type SendMailOptions } from 'nodemailer'
import type { Container } from '../../src/container.ts'
import { DEFAULT_TENANT } from '../../src/domain/tenant.ts'
import { mailOptionsFor } from '../../src/notifications/smtp/message.ts'
import { generateOtp } from '../../src/security/one-time-secrets.ts'
import { newId } from '../../src/security/tokens.ts'
import { registerCleanup } from './cleanup.ts'
import type { CountingSink } from './counting-sink.ts'
import { userName } from './scim-store.ts'

const TYPE = 'AdminForcedPasswordResetWithOTP'
/** Messages the raw side keeps handed to its pool: what the worker keeps in flight (batch_size 100). */
const IN_FLIGHT = 100
const TIMEOUT_MS = 900_000

/** `count` messages as the bulk trigger renders them: each user's name, code and expiry. */
export async function renderedResetMessages(
  container: Container,
  count: number,
  from: string,
): Promise<SendMailOptions[]> {
  const tenant = await container.tenants.require(DEFAULT_TENANT)
  const { compiled } = await container.templates.forMessage(container.store.db, tenant, TYPE, null)
  const messages: SendMailOptions[] = []
  for (let index = 0; index < count; index++) {
    const name = userName(index)
    const rendered = container.templates.render(compiled, {
      'user-name': name,
      'first-name': `Given${name.slice(4)}`,
      'last-name': `Family${name.slice(4)}`,
      otp: generateOtp(8, 'upper-alnum'),
      'expiry-minutes': '60',
      'tenant-domain': tenant.domain,
      'support-email': container.config.notifications.support_email,
    })
    const options = mailOptionsFor(
      { to: `${name}@example.com`, ...rendered, messageId: `${newId()}@rekey` },
      from,
    )
    if ('invalid' in options) throw new Error(`unusable message: ${options.invalid}`)
    messages.push(options)
  }
  return messages
}

export interface RawRound {
  messages: number
  seconds: number
  errors: number
}

/** Sends every message through a fresh pooled transport; the time until the sink counted them all. */
export async function rawMailRound(
  sink: CountingSink,
  messages: readonly SendMailOptions[],
  poolSize: number,
): Promise<RawRound> {
  const transport = nodemailer.createTransport({
    pool: true,
    host: '127.0.0.1',
    port: sink.port,
    maxConnections: poolSize,
    maxMessages: Number.POSITIVE_INFINITY,
  })
  const close = registerCleanup(async () => transport.close())
  try {
    await sink.reset()
    const reached = sink.reached(messages.length, TIMEOUT_MS)
    let errors = 0
    let next = 0
    const started = performance.now()
    const lane = async () => {
      while (next < messages.length) {
        try {
          await transport.sendMail(messages[next++]!)
        } catch {
          errors++
        }
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
    const complete = errors === 0 && (await reached)
    const seconds = (performance.now() - started) / 1000
    return { messages: messages.length, seconds, errors: complete ? errors : Math.max(errors, 1) }
  } finally {
    await close()
  }
}
