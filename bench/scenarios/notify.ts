import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer'
import { bootstrap } from '../../src/bootstrap.ts'
import { loadConfig } from '../../src/config/load.ts'
import type { Config } from '../../src/config/schema.ts'
import { buildContainer, type Container } from '../../src/container.ts'
import { DEFAULT_TENANT } from '../../src/domain/tenant.ts'
import type { NotificationRequest } from '../../src/notifications/notifier.ts'
import { mailOptionsFor } from '../../src/notifications/smtp/message.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { openStore } from '../../src/persistence/database.ts'
import { inTransaction } from '../../src/persistence/executor.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { newId } from '../../src/security/tokens.ts'
import { registerCleanup } from '../support/cleanup.ts'
import { CountingSink } from '../support/counting-sink.ts'
import { withPostgresSchema } from '../support/postgres-schema.ts'
import { machineBusyMs } from '../support/proc.ts'
import type { Scenario, ScenarioOptions, ScenarioReport, ScenarioRow } from './scenario.ts'

const MESSAGES = 10_000
const WARMUP_MESSAGES = 1_000
/** Connections of both pooled transports. */
const POOL_SIZE = 5
/**
 * Messages the raw side keeps handed to its pool: as many as the worker keeps in flight with
 * the default batch size (100, in two batches of 50 handed over at once). Past the pool's five
 * connections, more only wait in its queue.
 */
const RAW_IN_FLIGHT = 100
/** Seeding: messages per transaction, and transactions at a time. */
const SEED_BATCH = 100
const SEED_LANES = 4
const TARGET = 0.8
/** Far beyond any expected round; a round that runs into it has lost messages. */
const ROUND_TIMEOUT_MS = 600_000
const FROM = 'Rekey Bench <no-reply@example.com>'
const TYPE = 'SelfServiceResetCode'

/** The values of message `index`, the same for the outbox and the raw side. */
function messageValues(index: number) {
  return {
    to: `user${String(index).padStart(6, '0')}@example.com`,
    values: {
      'user-name': `Bench User ${index}`,
      'confirmation-code': String(100_000 + ((index * 7919) % 900_000)),
      'expiry-minutes': '15',
    },
  }
}

interface Side {
  messages: number
  seconds: number
  /** Time from handing a message to the pooled transport until the relay's answer, ms. */
  latencies: number[]
  errors: number
  /** CPU of this process (the worker and the store client, or nodemailer alone). */
  selfMs: number
  sinkMs: number | undefined
  /** Busy time of the machine that neither this process nor the sink accounts for. */
  foreignMs: number | undefined
}

/** Runs one side's delivery and charges it the CPU spent meanwhile. */
async function measured(
  sink: CountingSink,
  deliver: () => Promise<Omit<Side, 'selfMs' | 'sinkMs' | 'foreignMs'>>,
): Promise<Side> {
  const sinkBefore = sink.cpu()
  const machineBefore = machineBusyMs()
  const selfBefore = process.cpuUsage()
  const side = await deliver()
  const self = process.cpuUsage(selfBefore)
  const sinkAfter = sink.cpu()
  const machineAfter = machineBusyMs()
  const selfMs = (self.user + self.system) / 1000
  const sinkMs = sinkBefore && sinkAfter ? sinkAfter.totalMs - sinkBefore.totalMs : undefined
  const foreignMs =
    machineBefore !== undefined && machineAfter !== undefined && sinkMs !== undefined
      ? Math.max(0, machineAfter - machineBefore - selfMs - sinkMs)
      : undefined
  return { ...side, selfMs, sinkMs, foreignMs }
}

/** The raw bound: nodemailer's pooled transport sending pre-rendered messages straight to the sink. */
async function rawRound(
  transport: Transporter,
  sink: CountingSink,
  messages: readonly SendMailOptions[],
  count: number,
): Promise<Side> {
  await sink.reset()
  return measured(sink, async () => {
    const latencies: number[] = []
    let errors = 0
    let next = 0
    const reached = sink.reached(count, ROUND_TIMEOUT_MS)
    const started = performance.now()
    const lane = async () => {
      while (next < count) {
        const message = messages[next++ % messages.length]!
        const sent = performance.now()
        try {
          await transport.sendMail(message)
          latencies.push(performance.now() - sent)
        } catch {
          errors++
        }
      }
    }
    await Promise.all(Array.from({ length: RAW_IN_FLIGHT }, lane))
    const complete = errors === 0 && (await reached)
    const seconds = (performance.now() - started) / 1000
    return { messages: count, seconds, latencies, errors: complete ? errors : Math.max(errors, 1) }
  })
}

interface Outbox {
  container: Container
  tenant: TenantRow
  /** Send latencies of the current round, recorded around the worker's transport. */
  latencies: number[]
}

/** Empties the outbox between rounds, so that every round starts from the same table. */
async function clearOutbox(outbox: Outbox): Promise<void> {
  const db = outbox.container.store.db
  await db.deleteFrom('outbox_attempts').execute()
  await db.deleteFrom('outbox_messages').execute()
}

/** Queues `count` messages through the notifier, in transactions of SEED_BATCH, as an application would. */
async function seed(outbox: Outbox, round: string, count: number): Promise<number> {
  const started = performance.now()
  const { container, tenant } = outbox
  let next = 0
  const lane = async () => {
    while (next < count) {
      const first = next
      next = Math.min(count, next + SEED_BATCH)
      const last = next
      await inTransaction(container.store.db, async (trx) => {
        for (let index = first; index < last; index++) {
          const request: NotificationRequest = {
            tenant,
            type: TYPE,
            ...messageValues(index),
            idempotencyKey: `bench:${round}:${index}`,
          }
          await container.notifier.enqueue(trx, request)
        }
      })
    }
  }
  await Promise.all(Array.from({ length: SEED_LANES }, lane))
  // What autovacuum does soon after such a load (the local test server runs with it off).
  if (container.store.engine === 'postgres')
    await sql`vacuum analyze outbox_messages, outbox_attempts`.execute(container.store.db)
  return (performance.now() - started) / 1000
}

async function queuedCount(outbox: Outbox): Promise<number> {
  const row = await outbox.container.store.db
    .selectFrom('outbox_messages')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('status', '=', 'queued')
    .executeTakeFirst()
  return Number(row?.count ?? 0)
}

/** The outbox: seeded messages delivered by the real worker and transport, from its start to the sink's last count. */
async function outboxRound(
  outbox: Outbox,
  sink: CountingSink,
  round: string,
  count: number,
): Promise<Side & { seedSeconds: number }> {
  await clearOutbox(outbox)
  const seedSeconds = await seed(outbox, round, count)
  await sink.reset()
  outbox.latencies = []
  const worker = outbox.container.outboxWorker
  const side = await measured(sink, async () => {
    const reached = sink.reached(count, ROUND_TIMEOUT_MS)
    let stopWatching = false
    // Ends the wait early when nothing has been left to deliver for two looks in a row and the
    // sink is still short: lost or dead messages.
    const exhausted = async () => {
      let empty = 0
      while (!stopWatching && empty < 2) {
        await new Promise((resolve) => setTimeout(resolve, 2000))
        empty = !stopWatching && (await queuedCount(outbox)) === 0 ? empty + 1 : 0
      }
      return false
    }
    const started = performance.now()
    worker.start()
    const complete = await Promise.race([reached, exhausted()])
    const seconds = (performance.now() - started) / 1000
    stopWatching = true
    await worker.stop()
    const delivered = complete ? count : await sink.count()
    return { messages: count, seconds, latencies: outbox.latencies, errors: count - delivered }
  })
  const counts = await outbox.container.outbox.counts(outbox.tenant)
  return { ...side, errors: Math.max(side.errors, count - counts.sent), seedSeconds }
}

/** The benchmark's own instance: a container on a fresh store, as `rekey serve` builds it. */
async function openOutbox(config: Config): Promise<Outbox> {
  const container = buildContainer(config, {
    store: openStore(config, { backgroundCheckpoints: true }),
    logger: createLogger('warn'),
  })
  await bootstrap(container)
  const tenant = await container.tenants.require(DEFAULT_TENANT)
  const outbox: Outbox = { container, tenant, latencies: [] }
  // Times each hand-off to the worker's real transport; a wrapper of two clock reads.
  const route = container.deliveryRouter.server()
  if (route.kind !== 'smtp') throw new Error('the benchmark needs the SMTP route')
  const send = route.transport.send.bind(route.transport)
  route.transport.send = async (message) => {
    const started = performance.now()
    const outcome = await send(message)
    outbox.latencies.push(performance.now() - started)
    return outcome
  }
  return outbox
}

/** The messages the raw side sends: rendered by the same templates with the same values. */
async function renderedMessages(outbox: Outbox, count: number): Promise<SendMailOptions[]> {
  const { container, tenant } = outbox
  const { compiled } = await container.templates.forMessage(container.store.db, tenant, TYPE, null)
  const messages: SendMailOptions[] = []
  for (let index = 0; index < count; index++) {
    const { to, values } = messageValues(index)
    const rendered = container.templates.render(compiled, {
      ...values,
      'tenant-domain': tenant.domain,
      'support-email': container.config.notifications.support_email,
    })
    const options = mailOptionsFor({ to, ...rendered, messageId: `${newId()}@rekey` }, FROM)
    if ('invalid' in options) throw new Error(`unusable message: ${options.invalid}`)
    messages.push(options)
  }
  return messages
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!
}

const total = (sides: readonly Side[], pick: (side: Side) => number) =>
  sides.reduce((sum, side) => sum + pick(side), 0)
const rate = (sides: readonly Side[]) =>
  total(sides, (side) => side.messages) / total(sides, (side) => side.seconds)
const latencies = (sides: readonly Side[]) => sides.flatMap((side) => side.latencies).sort((a, b) => a - b)
/** CPU ms per message, or undefined when /proc did not say. */
const cpuPerMessage = (sides: readonly Side[], pick: (side: Side) => number | undefined) => {
  const values = sides.map(pick)
  if (values.some((value) => value === undefined)) return undefined
  return (values as number[]).reduce((sum, value) => sum + value, 0) / total(sides, (side) => side.messages)
}
const ms = (value: number | undefined) => (value === undefined ? '?' : value.toFixed(3))

function report(
  options: ScenarioOptions,
  raw: Side[],
  outbox: Array<Side & { seedSeconds: number }>,
  warmupErrors: number,
  batchSize: number,
): ScenarioReport {
  const store = options.postgres ? 'postgres' : 'sqlite'
  const row = (label: string, outboxSides: Side[], rawSides: Side[], extraErrors = 0): ScenarioRow => {
    const sorted = latencies(outboxSides)
    return {
      label,
      perSecond: rate(outboxSides),
      boundPerSecond: rate(rawSides),
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      errors:
        total(outboxSides, (side) => side.errors) + total(rawSides, (side) => side.errors) + extraErrors,
    }
  }
  const rows = outbox.map((side, index) => row(`notify (${store}) round ${index + 1}`, [side], [raw[index]!]))
  rows.push(row(`notify (${store}) all rounds`, outbox, raw, warmupErrors))

  const ratio = rate(outbox) / rate(raw)
  const ratios = outbox.map((side, index) => side.messages / side.seconds / rate([raw[index]!]))
  const rawSorted = latencies(raw)
  const seedSeconds = outbox.map((side) => side.seedSeconds)
  const outboxSelf = cpuPerMessage(outbox, (side) => side.selfMs)
  const rawSelf = cpuPerMessage(raw, (side) => side.selfMs)
  const outboxForeign = cpuPerMessage(outbox, (side) => side.foreignMs)
  const rawForeign = cpuPerMessage(raw, (side) => side.foreignMs)
  const notes = [
    `${MESSAGES.toLocaleString('en')} messages per round (${TYPE}, rendered HTML and text); ${options.rounds} rounds per side in ABBA order; each side's time runs from its first hand-off (the worker's start) until the sink has counted every message`,
    `outbox: the real OutboxWorker (batch_size ${batchSize}, its default: two batches of ${Math.ceil(batchSize / 2)} in flight) with the real SmtpTransport (pool_size=${POOL_SIZE}; nodemailer on the mail thread), in this process on the ${options.postgres ? 'PostgreSQL store (pool of 10)' : 'SQLite store (background checkpoints, as rekey serve runs it)'}; queued beforehand through the notifier, ${SEED_BATCH} per transaction, ${SEED_LANES} transactions at a time (not measured): ${Math.min(...seedSeconds).toFixed(1)}–${Math.max(...seedSeconds).toFixed(1)} s per round; the outbox is emptied before each round`,
    `raw: nodemailer's pooled transport (${POOL_SIZE} connections, maxMessages unlimited) in this process, ${RAW_IN_FLIGHT} messages in flight, the same rendered messages straight to the same sink (a separate process that counts and drops)`,
    `ratio per round ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}; latency columns: hand-off to the transport until the relay's 250 (outbox); raw p50 ${percentile(rawSorted, 0.5).toFixed(1)} ms, p99 ${percentile(rawSorted, 0.99).toFixed(1)} ms`,
    `CPU ms per message: outbox ${ms(outboxSelf)} in this process, sink ${ms(cpuPerMessage(outbox, (side) => side.sinkMs))}${options.postgres ? `, other processes (PostgreSQL and anything else) ${ms(outboxForeign)}` : ''}; raw ${ms(rawSelf)} in this process, sink ${ms(cpuPerMessage(raw, (side) => side.sinkMs))}${options.postgres ? `, other processes ${ms(rawForeign)}` : ''}`,
  ]
  if (outboxSelf !== undefined && rawSelf !== undefined) {
    const outboxCpu = outboxSelf + (options.postgres ? (outboxForeign ?? 0) : 0)
    const rawCpu = rawSelf + (options.postgres ? (rawForeign ?? 0) : 0)
    notes.push(
      `CPU ratio (raw CPU per message / outbox CPU per message${options.postgres ? ', PostgreSQL included' : ''}, sink excluded): ${(rawCpu / outboxCpu).toFixed(3)}`,
    )
  }
  const sides = [...outbox, ...raw]
  const foreign = sides.every((side) => side.foreignMs !== undefined)
    ? total(sides, (side) => side.foreignMs!) / (total(sides, (side) => side.seconds) * 1000 * cpus().length)
    : undefined
  if (foreign !== undefined)
    notes.push(
      `other processes${options.postgres ? ', PostgreSQL included,' : ''} kept about ${(foreign * 100).toFixed(1)} % of the machine's cores busy during the rounds${!options.postgres && foreign > 0.05 ? ': the machine was not quiet, figures are less reliable' : ''}`,
    )
  notes.push(
    `target: outbox >= ${TARGET} × raw: ${rate(outbox).toFixed(0)}/s against ${rate(raw).toFixed(0)}/s, ratio ${ratio.toFixed(3)}: ${ratio >= TARGET ? 'met' : 'NOT met'}`,
    'errors count every message not accepted by the sink, or not recorded as sent, warm-up included',
  )
  return { rateTitle: 'outbox msgs/s', boundTitle: 'raw msgs/s', target: TARGET, rows, notes }
}

async function measure(outbox: Outbox, sink: CountingSink, options: ScenarioOptions) {
  const messages = await renderedMessages(outbox, MESSAGES)
  const transport = nodemailer.createTransport({
    pool: true,
    host: '127.0.0.1',
    port: sink.port,
    maxConnections: POOL_SIZE,
    maxMessages: Number.POSITIVE_INFINITY,
  })
  const closeTransport = registerCleanup(async () => transport.close())
  try {
    let warmupErrors = 0
    if (options.warmupSeconds > 0) {
      warmupErrors += (await rawRound(transport, sink, messages, WARMUP_MESSAGES)).errors
      warmupErrors += (await outboxRound(outbox, sink, 'warmup', WARMUP_MESSAGES)).errors
    }
    // Shared machines change speed from one second to the next: rounds alternate raw and
    // outbox (ABBA, so a steady drift favours neither).
    const raw: Side[] = []
    const delivered: Array<Side & { seedSeconds: number }> = []
    for (let index = 0; index < options.rounds; index++) {
      if (index % 2 === 0) {
        raw.push(await rawRound(transport, sink, messages, MESSAGES))
        delivered.push(await outboxRound(outbox, sink, `round${index}`, MESSAGES))
      } else {
        delivered.push(await outboxRound(outbox, sink, `round${index}`, MESSAGES))
        raw.push(await rawRound(transport, sink, messages, MESSAGES))
      }
    }
    return report(options, raw, delivered, warmupErrors, outbox.container.config.notifications.batch_size)
  } finally {
    await closeTransport()
  }
}

async function run(options: ScenarioOptions): Promise<ScenarioReport> {
  const deliver = async (databaseUrl?: string) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'rekey-bench-notify-'))
    const removeData = registerCleanup(() => rm(dataDir, { recursive: true, force: true }))
    try {
      const sink = await CountingSink.start()
      try {
        const { config } = loadConfig({
          cwd: dataDir,
          env: {
            REKEY_DATA_DIR: dataDir,
            REKEY_LOG_LEVEL: 'warn',
            REKEY_ADMIN_PASSWORD: `bench-operator-${randomBytes(8).toString('hex')}`,
            REKEY_SMTP_URL: sink.url({ pool_size: String(POOL_SIZE) }),
            REKEY_SMTP_FROM: FROM,
            REKEY_NOTIFICATIONS_SUPPORT_EMAIL: 'support@example.com',
            ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
          },
        })
        const outbox = await openOutbox(config)
        const close = registerCleanup(() => outbox.container.close())
        try {
          return await measure(outbox, sink, options)
        } finally {
          await close()
        }
      } finally {
        await sink.stop()
      }
    } finally {
      await removeData()
    }
  }
  return options.postgres ? withPostgresSchema(deliver) : deliver()
}

export const notifyScenario: Scenario = {
  name: 'notify',
  description:
    '10,000 queued notifications through the outbox worker to a loopback SMTP sink vs nodemailer sending them straight, same run',
  run,
}
