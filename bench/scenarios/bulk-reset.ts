import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { bootstrap } from '../../src/bootstrap.ts'
import { loadConfig } from '../../src/config/load.ts'
import { buildContainer, type Container } from '../../src/container.ts'
import { buildApp } from '../../src/http/app.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { openStore } from '../../src/persistence/database.ts'
import { rawMailRound, renderedResetMessages } from '../support/bulk-mail.ts'
import { registerCleanup } from '../support/cleanup.ts'
import { CountingSink } from '../support/counting-sink.ts'
import { withPostgresSchema } from '../support/postgres-schema.ts'
import { seedPostgres, seedSqlite, userName } from '../support/scim-store.ts'
import type { Scenario, ScenarioOptions, ScenarioReport, ScenarioRow } from './scenario.ts'

const USERS = 100_000
const FILTER = 'emails.value ew "@example.com"'
const TARGETS = { commitSeconds: 10, mailRatio: 0.8 }
/** Connections of both pooled transports. */
const POOL_SIZE = 5
/** Users whose emailed one-time password signs them in afterwards (picked at random). */
const SIGN_INS = 200
const FROM = 'Rekey Bench <no-reply@example.com>'
const ADMIN_PASSWORD = `bench-operator-${randomBytes(8).toString('hex')}`
/** Far beyond any expected run; a run that reaches it has lost messages. */
const TIMEOUT_MS = 900_000

interface Instance {
  container: Container
  url: string
  /** One-time passwords of the sampled users, as their mail carried them to the relay. */
  otps: Map<string, string>
  /** Hand-off to the transport until the relay's answer, per message, ms. */
  sendMs: number[]
  close(): Promise<void>
}

/** The server as `rekey serve` runs it (outbox worker and bulk runner started), listening on 127.0.0.1. */
async function startInstance(dataDir: string, sink: CountingSink, databaseUrl?: string): Promise<Instance> {
  const { config } = loadConfig({
    cwd: dataDir,
    env: {
      REKEY_DATA_DIR: dataDir,
      REKEY_LOG_LEVEL: 'warn',
      REKEY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      REKEY_SMTP_URL: sink.url({ pool_size: String(POOL_SIZE) }),
      REKEY_SMTP_FROM: FROM,
      REKEY_NOTIFICATIONS_SUPPORT_EMAIL: 'support@example.com',
      REKEY_AUTH_LOGIN_RATE_LIMIT_PER_MINUTE: '0',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
  })
  const container = buildContainer(config, {
    store: openStore(config, { backgroundCheckpoints: true }),
    logger: createLogger('warn'),
  })
  await bootstrap(container)
  const app = await buildApp(container)
  const close = registerCleanup(async () => {
    await app.close()
    await container.close()
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const instance: Instance = {
    container,
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    otps: new Map(),
    sendMs: [],
    close,
  }
  // The benchmark's own instruments around the real transport: the time of each hand-off, and
  // the code of the few sampled users (a regex on their messages only).
  const route = container.deliveryRouter.server()
  if (route.kind !== 'smtp') throw new Error('the benchmark needs the SMTP route')
  const send = route.transport.send.bind(route.transport)
  const sampled = new Set(sample(SIGN_INS).map((index) => `${userName(index)}@example.com`))
  route.transport.send = async (message) => {
    const started = performance.now()
    const outcome = await send(message)
    instance.sendMs.push(performance.now() - started)
    const to = String(message.to)
    if (sampled.has(to)) {
      const otp = /^ {4}([A-Z2-9]{8})$/m.exec(message.text ?? '')?.[1]
      if (otp) instance.otps.set(to.slice(0, to.indexOf('@')), otp)
    }
    return outcome
  }
  return instance
}

function sample(count: number): number[] {
  const picked = new Set<number>()
  while (picked.size < count) picked.add(Math.floor(Math.random() * USERS))
  return [...picked]
}

async function adminPost(instance: Instance, path: string, body: object) {
  const answer = await fetch(`${instance.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`,
    },
    body: JSON.stringify(body),
  })
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> }
}

interface BulkRun {
  /** From the request until the job's last batch committed. */
  commitSeconds: number
  /** From the request until the relay accepted the last message. */
  mailSeconds: number
  jobDone: number
  errors: number
  notes: string[]
}

/** One filter, every user, email-otp: the job's commit time and the mail's delivery time. */
async function forceAll(instance: Instance, sink: CountingSink): Promise<BulkRun> {
  const { container } = instance
  await sink.reset()
  const delivered = sink.reached(USERS, TIMEOUT_MS)
  const dry = await adminPost(instance, '/api/admin/force-password-reset', { filter: FILTER, dryRun: true })
  if (dry.body.count !== USERS) throw new Error(`the filter selects ${dry.body.count} users`)
  const started = performance.now()
  const created = await adminPost(instance, '/api/admin/force-password-reset', {
    filter: FILTER,
    mode: 'email-otp',
  })
  if (created.status !== 202) throw new Error(`bulk reset refused: ${JSON.stringify(created.body)}`)
  const requestSeconds = (performance.now() - started) / 1000
  const jobId = String(created.body.jobId)
  let job: { status: string; done: number; failed: number } | undefined
  for (;;) {
    job = await container.store.db
      .selectFrom('bulk_reset_jobs')
      .select(['status', 'done', 'failed'])
      .where('id', '=', jobId)
      .executeTakeFirst()
    if (!job || (job.status !== 'running' && job.status !== 'queued')) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const commitSeconds = (performance.now() - started) / 1000
  const atCommit = await sink.count()
  const complete = await delivered
  const mailSeconds = (performance.now() - started) / 1000
  const sent = complete ? USERS : await sink.count()
  return {
    commitSeconds,
    mailSeconds,
    jobDone: job?.done ?? 0,
    errors: USERS - (job?.done ?? 0) + (USERS - sent) + (job?.status === 'completed' ? 0 : 1),
    notes: [
      `job ${job?.status}: ${job?.done} users forced, ${job?.failed} failed; ${atCommit.toLocaleString('en')} messages delivered by then; the request (filter checked, ${USERS.toLocaleString('en')} targets recorded, job queued) took ${requestSeconds.toFixed(2)} s of the commit time`,
    ],
  }
}

/** Each sampled user signs in with the emailed one-time password through the login API. */
async function signIns(instance: Instance, concurrency: number) {
  const entries = [...instance.otps]
  const latencies: number[] = []
  let errors = SIGN_INS - entries.length
  let next = 0
  const started = performance.now()
  const lane = async () => {
    while (next < entries.length) {
      const [username, otp] = entries[next++]!
      const sent = performance.now()
      const answer = await fetch(`${instance.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: otp }),
      })
      const body = (await answer.json()) as { requiredAction?: string }
      latencies.push(performance.now() - sent)
      if (answer.status !== 200 || body.requiredAction !== 'set-password') errors++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
  return { latencies, errors, seconds: (performance.now() - started) / 1000 }
}

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!
}

async function measure(
  options: ScenarioOptions,
  dataDir: string,
  databaseUrl?: string,
): Promise<ScenarioReport> {
  const sink = await CountingSink.start()
  try {
    const instance = await startInstance(dataDir, sink, databaseUrl)
    try {
      return await measureOn(instance, sink, options, dataDir, databaseUrl)
    } finally {
      await instance.close()
    }
  } finally {
    await sink.stop()
  }
}

async function measureOn(
  instance: Instance,
  sink: CountingSink,
  options: ScenarioOptions,
  dataDir: string,
  databaseUrl?: string,
): Promise<ScenarioReport> {
  const store = options.postgres ? 'postgres' : 'sqlite'
  const { container } = instance
  const seedStarted = performance.now()
  if (databaseUrl) await seedPostgres(databaseUrl, USERS)
  else seedSqlite(dataDir, USERS)
  const seedSeconds = (performance.now() - seedStarted) / 1000
  const messages = await renderedResetMessages(container, USERS / 4, FROM)
  // Raw halves before and after: a machine that speeds up or slows down favours neither side.
  const rawBefore = await rawMailRound(sink, messages, POOL_SIZE)
  container.outboxWorker.start()
  container.bulkResetRunner.start()
  const bulk = await forceAll(instance, sink)
  await container.outboxWorker.stop()
  await container.bulkResetRunner.stop()
  const rawAfter = await rawMailRound(sink, messages, POOL_SIZE)
  if (store === 'postgres') await sql`vacuum analyze`.execute(container.store.db)
  const signIn = await signIns(instance, options.concurrency)

  const rawRate = (rawBefore.messages + rawAfter.messages) / (rawBefore.seconds + rawAfter.seconds)
  const mailRate = USERS / bulk.mailSeconds
  const ratio = mailRate / rawRate
  const rows: ScenarioRow[] = [
    {
      label: `bulk-reset (${store}) commit`,
      perSecond: USERS / bulk.commitSeconds,
      boundPerSecond: 0,
      p50Ms: 0,
      p99Ms: 0,
      errors: bulk.errors,
    },
    {
      label: `bulk-reset (${store}) mail`,
      perSecond: mailRate,
      boundPerSecond: rawRate,
      p50Ms: percentile(instance.sendMs, 0.5),
      p99Ms: percentile(instance.sendMs, 0.99),
      errors: rawBefore.errors + rawAfter.errors,
    },
    {
      label: `bulk-reset (${store}) OTP sign-in`,
      perSecond: signIn.latencies.length / signIn.seconds,
      boundPerSecond: 0,
      p50Ms: percentile(signIn.latencies, 0.5),
      p99Ms: percentile(signIn.latencies, 0.99),
      errors: signIn.errors,
    },
  ]
  const argon2 = container.config.passwords
  return {
    rateTitle: 'per s',
    boundTitle: 'raw per s',
    target: TARGETS.mailRatio,
    rows,
    notes: [
      `${USERS.toLocaleString('en')} users seeded with email addresses by direct multi-row inserts (${seedSeconds.toFixed(1)} s, not measured), then forced by one filter (${FILTER}) in email-otp mode through POST /api/admin/force-password-reset, with the outbox worker and the bulk runner running as rekey serve runs them`,
      `commit: ${bulk.commitSeconds.toFixed(2)} s from the request until every user was committed as pending (target <= ${TARGETS.commitSeconds} s: ${bulk.commitSeconds <= TARGETS.commitSeconds ? 'met' : 'NOT met'}); ${bulk.notes.join('; ')}`,
      `mail: ${bulk.mailSeconds.toFixed(1)} s from the request until the sink accepted the last of ${USERS.toLocaleString('en')} messages (outbox worker, pooled SmtpTransport with ${POOL_SIZE} connections); raw: nodemailer's pooled transport (${POOL_SIZE} connections) sending the same rendered messages straight to the same sink, ${messages.length.toLocaleString('en')} before and as many after the bulk run: ${rawBefore.seconds.toFixed(1)} s and ${rawAfter.seconds.toFixed(1)} s`,
      `target: mail >= ${TARGETS.mailRatio} x raw: ${mailRate.toFixed(0)}/s against ${rawRate.toFixed(0)}/s, ratio ${ratio.toFixed(3)}: ${ratio >= TARGETS.mailRatio ? 'met' : 'NOT met'}`,
      `OTP sign-in: ${instance.otps.size} pending users picked at random sign in with their emailed one-time password (POST /api/auth/login, ${options.concurrency} at a time); each costs one argon2id verification of the typed value first (m=${argon2.argon2_memory_kib} KiB, t=${argon2.argon2_iterations}), as every sign-in does`,
      'errors: users not forced, messages the sink did not count, sign-ins not answered 200 with requiredAction set-password',
    ],
  }
}

async function run(options: ScenarioOptions): Promise<ScenarioReport> {
  const inDirectory = async (databaseUrl?: string) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'rekey-bench-bulk-'))
    const removeData = registerCleanup(() => rm(dataDir, { recursive: true, force: true }))
    try {
      return await measure(options, dataDir, databaseUrl)
    } finally {
      await removeData()
    }
  }
  return options.postgres ? withPostgresSchema(inDirectory) : inDirectory()
}

export const bulkResetScenario: Scenario = {
  name: 'bulk-reset',
  description:
    '100,000 users forced by one filter (email-otp): commit time, mail delivery vs raw nodemailer to a loopback sink, OTP sign-in latency',
  run,
}
