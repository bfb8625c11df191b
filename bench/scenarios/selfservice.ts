import { randomBytes } from 'node:crypto'
import { availableParallelism, cpus } from 'node:os'
import { loadConfig } from '../../src/config/load.ts'
import { PasswordHasher } from '../../src/security/password-hasher.ts'
import { registerCleanup } from '../support/cleanup.ts'
import { CountingSink } from '../support/counting-sink.ts'
import { summarize } from '../support/load.ts'
import { withPostgresSchema } from '../support/postgres-schema.ts'
import { cpuDelta, machineBusyMs, type ProcessCpu } from '../support/proc.ts'
import type { RawRoundResult, RawStage } from '../support/raw-argon2.ts'
import { RawArgon2Bound } from '../support/raw-bound.ts'
import {
  type FlowPart,
  type FlowRound,
  flowRound,
  historyVerifications,
  MailedCodes,
} from '../support/selfservice-flow.ts'
import { createUsers, UserPool } from '../support/selfservice-users.ts'
import { type RunningServer, startServer } from '../support/server.ts'
import type { Scenario, ScenarioOptions, ScenarioReport, ScenarioRow } from './scenario.ts'

const ADMIN_PASSWORD = `bench-operator-${randomBytes(8).toString('hex')}`
const USER_PASSWORD = `bench-user-${randomBytes(8).toString('hex')}`
/** OWASP's argon2id recommendation, also Rekey's defaults. */
const OWASP = { memoryKib: 19_456, iterations: 2, parallelism: 1 }
const boundThreads = () => Math.max(2, availableParallelism())
const RAMP_SECONDS = 0.5
const MAIL_TIMEOUT_MS = 30_000
/** Users beyond the flows the bound's pace allows, so that every flow gets a fresh one. */
const USER_MARGIN = 1.5
const TARGET = 0.8
/** Every stage, and self-service limits raised so that the benchmark is not throttled. */
const SELFSERVICE_ENV = {
  REKEY_SELFSERVICE_STAGES: 'userQuery,emailValidation,kbaSecurityAnswerVerificationStage,resetStage',
  REKEY_SELFSERVICE_ACCOUNT_MAILS_PER_HOUR: '1000',
  REKEY_SELFSERVICE_ACCOUNT_FAILURES_PER_HOUR: '0',
  REKEY_SELFSERVICE_ADDRESS_FAILURES_PER_HOUR: '0',
  REKEY_AUTH_LOGIN_RATE_LIMIT_PER_MINUTE: '0',
}

/** What a flow costs in argon2, per the server's configuration, for a user reset for the first time. */
interface FlowShape {
  questionsAsked: number
  historyCount: number
  /** The raw side's operation: the argon2 steps of the answers stage, then of the reset stage. */
  stages: RawStage[]
  opsPerFlow: number
}

function shapeOf(env: Record<string, string>): FlowShape {
  const { config } = loadConfig({ env })
  const questionsAsked = config.selfservice.kba_questions_asked
  const historyCount = config.passwords.history_count
  const history = historyVerifications(historyCount, 0)
  const stages: RawStage[] = [
    [{ op: 'verify', parallel: questionsAsked }],
    [
      ...Array.from({ length: history }, () => ({ op: 'verify' as const, parallel: 1 })),
      { op: 'hash', parallel: 1 },
    ],
  ]
  return { questionsAsked, historyCount, stages, opsPerFlow: questionsAsked + history + 1 }
}

interface Round {
  raw: RawRoundResult
  rawCpu: ProcessCpu | undefined
  flows: FlowRound
  server: ProcessCpu | undefined
}

/** Raw argon2 operations per second of flow-shaped operations (`completed` in `seconds`). */
const rawOpsPerSecond = (raw: { completed: number; seconds: number }, shape: FlowShape) =>
  (raw.completed * shape.opsPerFlow) / raw.seconds

async function measure(
  server: RunningServer,
  sink: CountingSink,
  shape: FlowShape,
  options: ScenarioOptions,
) {
  const bound = await RawArgon2Bound.start(OWASP, {
    ...server.env,
    UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(boundThreads()),
  })
  const stopBound = registerCleanup(() => bound.stop())
  try {
    // The bound's warm-up also tells how many flows the run may complete: users for all of them.
    const warmup = { rampSeconds: 0, seconds: Math.max(1, options.warmupSeconds) }
    const probe = await bound.round(options.concurrency, warmup, shape.stages)
    const flowSeconds = options.warmupSeconds + options.rounds * (RAMP_SECONDS + 1) + options.seconds
    const userCount =
      Math.ceil(USER_MARGIN * probe.perSecond * flowSeconds) + options.concurrency * (options.rounds + 2)
    const setUpStarted = performance.now()
    const passwordHash = await new PasswordHasher(OWASP).hash(USER_PASSWORD)
    const { users, answers } = await createUsers({
      url: server.url,
      adminPassword: ADMIN_PASSWORD,
      prefix: 'bench-user-',
      count: userCount,
      password: USER_PASSWORD,
      passwordHash,
      lanes: options.concurrency,
    })
    const setUpSeconds = (performance.now() - setUpStarted) / 1000
    const pool = new UserPool(users)
    const codes = new MailedCodes(sink)
    const round = (timing: { rampSeconds: number; seconds: number }) =>
      flowRound({
        url: server.url,
        concurrency: options.concurrency,
        timing,
        pool,
        codes,
        answers,
        historyCount: shape.historyCount,
        mailTimeoutMs: MAIL_TIMEOUT_MS,
      })
    const warmupFlows =
      options.warmupSeconds > 0 ? await round({ rampSeconds: 0, seconds: options.warmupSeconds }) : undefined

    const timing = { rampSeconds: RAMP_SECONDS, seconds: options.seconds / options.rounds }
    const rounds: Round[] = []
    const ours = () => {
      const parts = [server.cpu()?.totalMs, bound.cpu()?.totalMs, sink.cpu()?.totalMs]
      if (parts.some((part) => part === undefined)) return undefined
      const self = process.cpuUsage()
      return (parts as number[]).reduce((sum, part) => sum + part, 0) + (self.user + self.system) / 1000
    }
    const machineBefore = machineBusyMs()
    const oursBefore = ours()
    const sinkBefore = sink.cpu()
    const startedAt = performance.now()
    for (let index = 0; index < options.rounds; index++) {
      const measureFlows = async () => {
        const before = server.cpu()
        const flows = await round(timing)
        return { flows, server: cpuDelta(before, server.cpu()) }
      }
      const measureRaw = async () => {
        const before = bound.cpu()
        const raw = await bound.round(options.concurrency, timing, shape.stages)
        return { raw, rawCpu: cpuDelta(before, bound.cpu()) }
      }
      if (index % 2 === 0) {
        const raw = await measureRaw()
        rounds.push({ ...raw, ...(await measureFlows()) })
      } else {
        const flows = await measureFlows()
        rounds.push({ ...(await measureRaw()), ...flows })
      }
    }
    const machineAfter = machineBusyMs()
    const oursAfter = ours()
    const elapsedMs = performance.now() - startedAt
    const foreignShare =
      machineBefore !== undefined &&
      machineAfter !== undefined &&
      oursBefore !== undefined &&
      oursAfter !== undefined
        ? Math.max(0, machineAfter - machineBefore - (oursAfter - oursBefore)) / (elapsedMs * cpus().length)
        : undefined
    const sinkMs = cpuDelta(sinkBefore, sink.cpu())?.totalMs
    return report(options, shape, rounds, {
      warmup: warmupFlows,
      users: userCount,
      reused: pool.reused,
      setUpSeconds,
      foreignShare,
      sinkMs,
    })
  } finally {
    await stopBound()
  }
}

const percentile = (values: readonly number[], fraction: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!
}
const ms = (value: number) => `${value.toFixed(1)} ms`

function report(
  options: ScenarioOptions,
  shape: FlowShape,
  rounds: Round[],
  run: {
    warmup: FlowRound | undefined
    users: number
    reused: number
    setUpSeconds: number
    foreignShare: number | undefined
    sinkMs: number | undefined
  },
): ScenarioReport {
  const store = options.postgres ? 'postgres' : 'sqlite'
  const completedFlows = (subset: Round[]) => subset.reduce((sum, round) => sum + round.flows.completed, 0)
  const opsPerFlow = (subset: Round[]) =>
    subset.reduce((sum, round) => sum + round.flows.argon2Ops, 0) / Math.max(1, completedFlows(subset))
  const row = (label: string, subset: Round[], extraErrors = 0): ScenarioRow => {
    const flows = summarize(subset.map((round) => round.flows))
    const raw = summarize(subset.map((round) => round.raw))
    // The bound: raw argon2 operations per second over what the measured flows needed each.
    const perFlow = completedFlows(subset) > 0 ? opsPerFlow(subset) : shape.opsPerFlow
    return {
      label,
      perSecond: flows.perSecond,
      boundPerSecond: rawOpsPerSecond(raw, shape) / perFlow,
      p50Ms: flows.p50Ms,
      p99Ms: flows.p99Ms,
      errors: flows.errors + extraErrors,
    }
  }
  const rows = rounds.map((round, index) => row(`selfservice (${store}) round ${index + 1}`, [round]))
  rows.push(row(`selfservice (${store}) all rounds`, rounds, run.warmup?.errors ?? 0))

  const part = (name: FlowPart) => rounds.flatMap((round) => round.flows.parts[name])
  const rawStage = (index: number) => rounds.flatMap((round) => round.raw.stageLatencies?.[index] ?? [])
  const history = historyVerifications(shape.historyCount, 0)
  const added = (name: FlowPart, rawIndex: number | undefined, work: string) => {
    const p50 = percentile(part(name), 0.5)
    const raw = rawIndex === undefined ? 0 : percentile(rawStage(rawIndex), 0.5)
    return `${name}: p50 ${ms(p50)} − raw p50 ${ms(raw)} (${work}) = ${ms(p50 - raw)} added; p99 ${ms(percentile(part(name), 0.99))}`
  }
  const raw = summarize(rounds.map((round) => round.raw))
  const flows = summarize(rounds.map((round) => round.flows))
  const notes = [
    `${options.concurrency} concurrent flows and raw operations; ${options.rounds} rounds of ${(options.seconds / options.rounds).toFixed(1)} s per side; argon2id m=${OWASP.memoryKib} KiB t=${OWASP.iterations} p=${OWASP.parallelism}; a flow is 4 requests (query, code, answers, new password) and the wait for its mail`,
    `argon2 counted per flow: ${shape.questionsAsked} verification(s) of the security answers asked (kba_questions_asked, verified at once), ${history} verification(s) of the password history (history_count ${shape.historyCount} checks the current password and the replaced ones, up to ${shape.historyCount}, one after the other; a user reset for the first time has only its current one), 1 hash of the new password = ${shape.opsPerFlow}; mail, code and token checks are HMACs, not counted`,
    `bound flows/s = raw argon2 ops/s ÷ argon2 ops per measured flow (${opsPerFlow(rounds).toFixed(2)}); raw side: ${options.concurrency} clients each running a flow's argon2 steps in order (${rawOpsPerSecond(raw, shape).toFixed(1)} raw ops/s over all rounds)`,
    `${run.users} users (an email address, answers to the questions asked; set up in ${run.setUpSeconds.toFixed(1)} s, not measured); ${run.reused === 0 ? 'every flow reset a user of its own, never reset before' : `${run.reused} flows reused a user (its longer history counted per flow)`}`,
    "added latency per stage: the request's p50 minus the raw p50 of the stage's argon2 work in the raw side's flows, same concurrency (saturated, both queue for the hash threads, the raw side more since its clients never leave argon2; --concurrency 1 shows what a lone flow adds):",
    `  ${added('userQuery', undefined, 'no argon2')}`,
    `  mail (delivery, not a stage: from the query's answer until the sink has read the code): p50 ${ms(percentile(part('mail'), 0.5))}, p99 ${ms(percentile(part('mail'), 0.99))}`,
    `  ${added('emailValidation', undefined, 'no argon2')}`,
    `  ${added('kbaSecurityAnswerVerificationStage', 0, `${shape.questionsAsked} verification(s)`)}`,
    `  ${added('resetStage', 1, `${history} history verification(s), then 1 hash`)}`,
    `latency columns: a whole flow, mail wait included; load generator CPU ${flows.cpuMsPerOperation.toFixed(2)} ms per flow; errors count every flow that did not end with success, warm-up included`,
  ]
  const serverCpu = rounds.map((round) => round.server)
  const rawCpu = rounds.map((round) => round.rawCpu)
  if (serverCpu.every((entry) => entry !== undefined) && rawCpu.every((entry) => entry !== undefined)) {
    const done = rounds.reduce((sum, round) => sum + round.flows.operations, 0)
    const rawOps = rounds.reduce((sum, round) => sum + round.raw.operations, 0) * shape.opsPerFlow
    const total = serverCpu.reduce((sum, entry) => sum + entry.totalMs, 0)
    const main = serverCpu.reduce((sum, entry) => sum + entry.mainMs, 0)
    const bound = rawCpu.reduce((sum, entry) => sum + entry.totalMs, 0)
    notes.push(
      `CPU per flow: server ${(total / done).toFixed(2)} ms (event loop ${(main / done).toFixed(2)} ms)${run.sinkMs !== undefined ? `, SMTP sink ${(run.sinkMs / done).toFixed(2)} ms (two messages: the code and the password-changed notice)` : ''}; bound ${(bound / rawOps).toFixed(2)} ms per raw argon2 operation`,
    )
  }
  if (run.foreignShare !== undefined) {
    const share = `${(run.foreignShare * 100).toFixed(1)} %`
    notes.push(
      options.postgres
        ? `other processes, PostgreSQL included, kept ${share} of the machine's cores busy during the rounds`
        : `other processes kept ${share} of the machine's cores busy during the rounds${run.foreignShare > 0.05 ? ': the machine was not quiet, figures are less reliable' : ''}`,
    )
  }
  const firstError = [run.warmup, ...rounds.map((round) => round.flows)].find(
    (round) => round?.firstError,
  )?.firstError
  if (firstError) notes.push(`first error: ${firstError}`)
  return { rateTitle: 'flows/s', boundTitle: 'bound flows/s', target: TARGET, rows, notes }
}

async function run(options: ScenarioOptions): Promise<ScenarioReport> {
  const sink = await CountingSink.start({ readCodes: true })
  try {
    const serve = async (databaseUrl?: string) => {
      const env: Record<string, string> = {
        REKEY_ADMIN_PASSWORD: ADMIN_PASSWORD,
        REKEY_PASSWORDS_ARGON2_MEMORY_KIB: String(OWASP.memoryKib),
        REKEY_PASSWORDS_ARGON2_ITERATIONS: String(OWASP.iterations),
        REKEY_PASSWORDS_ARGON2_PARALLELISM: String(OWASP.parallelism),
        REKEY_SMTP_URL: sink.url(),
        REKEY_SMTP_FROM: 'Rekey Bench <no-reply@example.com>',
        ...SELFSERVICE_ENV,
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      }
      const shape = shapeOf(env)
      const server = await startServer(env)
      try {
        return await measure(server, sink, shape, options)
      } finally {
        await server.stop()
      }
    }
    return await (options.postgres ? withPostgresSchema(serve) : serve())
  } finally {
    await sink.stop()
  }
}

export const selfserviceScenario: Scenario = {
  name: 'selfservice',
  description:
    'complete self-service resets/s (query, mailed code, security answers, new password) over loopback HTTP vs raw argon2id ops/s ÷ ops per flow, same run',
  run,
}
