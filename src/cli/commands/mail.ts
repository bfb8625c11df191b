import { setTimeout as sleep } from 'node:timers/promises'
import { type Command, InvalidArgumentError, Option } from 'commander'
import type { Container } from '../../container.ts'
import { OutboxWorker } from '../../notifications/outbox/outbox-worker.ts'
import type { OutboxMessageView } from '../../notifications/outbox-service.ts'
import { cliActor } from '../../observability/audit.ts'
import { createLogger } from '../../observability/logger.ts'
import type { Metrics } from '../../observability/metrics.ts'
import type { OutboxStatus } from '../../persistence/tables.ts'
import { integerIn } from '../arguments.ts'
import { type GlobalOptions, withContext } from '../context.ts'
import { type Output, renderTable } from '../output.ts'

const messageColumns = ['id', 'created', 'to', 'type', 'status', 'attempts', 'lastError']
const mailboxColumns = ['id', 'delivered', 'to', 'type', 'subject']
const attemptColumns = ['at', 'worker', 'outcome', 'detail']

/** Relay errors run to a few hundred characters; a table row shows the start, `outbox show` all. */
const TABLE_ERROR_LENGTH = 72

/**
 * One address, as `--to` takes it: a typo is a usage error here, not a relay's refusal or an
 * empty listing later. Lists and display names are refused: `--to` names one mailbox.
 */
function address(value: string): string {
  const trimmed = value.trim()
  if (!/^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/.test(trimmed))
    throw new InvalidArgumentError('expected one email address such as alex@example.com.')
  return trimmed
}

function messageRow(message: OutboxMessageView) {
  const error = message.lastError
  return {
    id: message.id,
    created: message.createdAt,
    to: message.to,
    type: message.type,
    status: message.status,
    attempts: message.attempts,
    lastError:
      error && error.length > TABLE_ERROR_LENGTH ? `${error.slice(0, TABLE_ERROR_LENGTH - 1)}…` : error,
  }
}

function fieldRows(value: object) {
  return Object.entries(value).map(([field, entry]) => ({ field, value: entry as unknown }))
}

export function registerMailCommands(program: Command, globals: () => GlobalOptions): void {
  registerSmtpCommands(program, globals)
  registerOutboxCommands(program, globals)
  registerMailboxCommands(program, globals)
}

function registerSmtpCommands(program: Command, globals: () => GlobalOptions): void {
  const smtp = program.command('smtp').description('Check the outgoing mail server')

  smtp
    .command('test')
    .description("Send a test message now through the tenant's relay and print the relay's answer")
    .requiredOption('--to <address>', 'recipient', address)
    .action(async (options: { to: string }) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        // Refused with smtp.not-configured (exit 5) when the tenant's mail goes to the mailbox.
        const outcome = await container.outbox.sendTest(await tenant(), options.to, cliActor)
        out.data(
          { to: options.to, ...outcome },
          { columns: ['field', 'value'], rows: fieldRows({ to: options.to, ...outcome }) },
        )
        if (outcome.kind !== 'sent') {
          // `send` never throws: the refusal is an outcome, and the exit code must say so.
          throw new Error(
            `the test message was not sent through ${outcome.endpoint}; ${outcome.kind} failure: ${outcome.reason}`,
          )
        }
      })
    })
}

function registerOutboxCommands(program: Command, globals: () => GlobalOptions): void {
  const outbox = program.command('outbox').description('Inspect, resend and deliver outgoing mail')

  outbox
    .command('list')
    .description('List outgoing messages, newest first, and count them by status')
    .addOption(
      new Option('--status <status>', 'only messages in this status').choices(['queued', 'sent', 'dead']),
    )
    .option('--limit <n>', 'rows (1-1000)', integerIn(1, 1000), 50)
    .action(async (options: { status?: OutboxStatus; limit: number }) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const target = await tenant()
        const messages = await container.outbox.list(target, { status: options.status, limit: options.limit })
        const counts = await container.outbox.counts(target)
        out.data({ messages, counts }, { columns: messageColumns, rows: messages.map(messageRow) })
        if (!out.json)
          process.stdout.write(`\n${counts.queued} queued, ${counts.sent} sent, ${counts.dead} dead\n`)
      })
    })

  outbox
    .command('show')
    .description('Show one message (never its body) and every delivery attempt')
    .argument('<id>', 'message id')
    .action(async (id: string) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const shown = await container.outbox.show(await tenant(), id)
        out.data(shown, { columns: ['field', 'value'], rows: fieldRows(shown.message) })
        if (!out.json)
          process.stdout.write(
            `\n${shown.history.length > 0 ? renderTable(attemptColumns, shown.history) : 'No delivery attempt yet.'}\n`,
          )
      })
    })

  outbox
    .command('resend')
    .description('Queue a dead (or mailbox) message again, with a fresh attempt budget')
    .argument('<id>', 'message id')
    .action(async (id: string) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const message = await container.outbox.resend(await tenant(), id, cliActor)
        out.data(message, { columns: messageColumns, rows: [messageRow(message)] })
        out.info('Queued again; a worker (rekey serve, or rekey outbox work) delivers it.')
      })
    })

  outbox
    .command('work')
    .description('Deliver queued mail of every tenant in the foreground, until SIGINT or SIGTERM')
    .option('--until-empty', 'deliver everything due, then exit')
    .action(async (options: { untilEmpty?: boolean }) => {
      await withContext(globals(), async ({ container, out }) => {
        await work(container, out, options.untilEmpty === true)
      })
    })
}

function registerMailboxCommands(program: Command, globals: () => GlobalOptions): void {
  const mailbox = program
    .command('mailbox')
    .description('Read mail delivered to the built-in mailbox (no SMTP server configured)')

  mailbox
    .command('list')
    .description('List mailbox messages, newest first')
    .option('--limit <n>', 'rows (1-1000)', integerIn(1, 1000), 50)
    .option('--to <address>', 'only messages to this address', address)
    .action(async (options: { limit: number; to?: string }) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const messages = await container.outbox.mailbox(await tenant(), {
          limit: options.limit,
          recipient: options.to,
        })
        const rows = messages.map((message) => ({ ...message, delivered: message.sentAt }))
        out.data({ messages }, { columns: mailboxColumns, rows })
      })
    })

  mailbox
    .command('show')
    .description('Print a mailbox message with its text body (reading is audited: it holds links and codes)')
    .argument('<id>', 'message id')
    .option('--html', 'print the HTML body instead of the text body')
    .action(async (id: string, options: { html?: boolean }) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const message = await container.outbox.readMailbox(await tenant(), id, cliActor)
        if (out.json) {
          out.data(message)
          return
        }
        const body = options.html ? message.html : message.text
        process.stdout.write(
          [
            `To:      ${message.to}`,
            `Subject: ${message.subject}`,
            `Date:    ${message.sentAt ?? message.createdAt}`,
            `Type:    ${message.type} (${message.locale})`,
            '',
            body.replace(/\n$/, ''),
            '',
          ].join('\n'),
        )
      })
    })
}

/** What this process's worker did, from its own counters (every tenant). */
interface Tally {
  attempted: number
  smtp: number
  mailbox: number
  retried: number
  dead: number
}

type Outcomes = Omit<Tally, 'attempted'>

function outcomes(metrics: Metrics): Outcomes {
  return {
    smtp: metrics.outboxSent.value({ transport: 'smtp' }),
    mailbox: metrics.outboxSent.value({ transport: 'mailbox' }),
    retried: metrics.outboxRetried.value(),
    dead: metrics.outboxDead.value(),
  }
}

function tallySince(metrics: Metrics, from: Outcomes, attempted: number): Tally {
  const now = outcomes(metrics)
  return {
    attempted,
    smtp: now.smtp - from.smtp,
    mailbox: now.mailbox - from.mailbox,
    retried: now.retried - from.retried,
    dead: now.dead - from.dead,
  }
}

function describeTally(tally: Tally): string {
  const parts = [
    tally.smtp > 0 ? `${tally.smtp} accepted by the relay` : undefined,
    tally.mailbox > 0 ? `${tally.mailbox} delivered to the built-in mailbox` : undefined,
    tally.retried > 0 ? `${tally.retried} to retry later` : undefined,
    tally.dead > 0 ? `${tally.dead} dead` : undefined,
  ].filter((part) => part !== undefined)
  return `${tally.attempted} ${tally.attempted === 1 ? 'message' : 'messages'}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`
}

/**
 * The delivery worker in the foreground, batch by batch with a line for each: as `rekey serve`
 * runs it, but on its own (for `notifications.worker = false`, or to empty the queue from a
 * script). A stop signal lets the batch in hand finish, so nothing is left leased.
 */
async function work(container: Container, out: Output, untilEmpty: boolean): Promise<void> {
  const { config, metrics } = container
  // The container's logger writes to stdout, which carries this command's answer; the worker's
  // warnings (a message declared dead, a failed batch) go to stderr with the other messages.
  const worker = new OutboxWorker(
    container.store.db,
    config,
    container.clock,
    container.notifier,
    container.deliveryRouter,
    container.audit,
    metrics,
    createLogger('warn', process.stderr).child({ component: 'outbox' }),
  )
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const start = outcomes(metrics)
  let attempted = 0
  if (!untilEmpty) out.info('Delivering queued mail of every tenant; stop with Ctrl-C (SIGINT) or SIGTERM.')
  try {
    while (!stop.signal.aborted) {
      const before = outcomes(metrics)
      let leased = 0
      try {
        leased = await worker.runOnce()
      } catch (error) {
        // The store may be away for a moment: in the foreground, wait and try again.
        if (untilEmpty) throw error
        out.info(`Batch failed, trying again: ${error instanceof Error ? error.message : String(error)}`)
      }
      if (leased > 0) {
        attempted += leased
        out.info(`Batch: ${describeTally(tallySince(metrics, before, leased))}`)
      }
      if (untilEmpty) {
        if (leased === 0) break
        continue
      }
      // A full batch means more are likely due: go on at once, as the server's worker does.
      if (leased < config.notifications.batch_size)
        await sleep(config.notifications.poll_interval_ms, undefined, { signal: stop.signal }).catch(() => {})
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  const tally = tallySince(metrics, start, attempted)
  out.info(`${stop.signal.aborted ? 'Stopped.' : 'Nothing more is due.'} ${describeTally(tally)}.`)
  out.data(tally, { columns: ['attempted', 'smtp', 'mailbox', 'retried', 'dead'], rows: [tally] })
}
