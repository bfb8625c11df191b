import { randomBytes } from 'node:crypto'
import { availableParallelism, cpus } from 'node:os'
import { registerCleanup } from '../support/cleanup.ts'
import { type LoadResult, postRound, type RoundTiming, summarize } from '../support/load.ts'
import { withPostgresSchema } from '../support/postgres-schema.ts'
import { cpuDelta, machineBusyMs, type ProcessCpu } from '../support/proc.ts'
import { RawArgon2Bound } from '../support/raw-bound.ts'
import { type RunningServer, startServer } from '../support/server.ts'
import type { Scenario, ScenarioOptions, ScenarioReport, ScenarioRow } from './scenario.ts'

const ADMIN_PASSWORD = `bench-operator-${randomBytes(8).toString('hex')}`
const USERS = 50
const USER_PASSWORD = 'bench-user-password-1'
/** OWASP's argon2id recommendation, also Rekey's defaults. */
const OWASP = { memoryKib: 19_456, iterations: 2, parallelism: 1 }
/** Hash threads of the bound when UV_THREADPOOL_SIZE is not set: one per core. */
const boundThreads = () => Math.max(2, availableParallelism())
/** Each round lets every client get a request in flight before its window opens. */
const RAMP_SECONDS = 0.5

async function adminPost(url: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`,
    },
    body: JSON.stringify(body),
  })
  if (response.status >= 300) throw new Error(`${path}: ${response.status} ${await response.text()}`)
}

interface Round {
  raw: LoadResult
  /** CPU of the bound's process during its round. */
  rawCpu: ProcessCpu | undefined
  logins: LoadResult
  /** CPU of the server during its round. */
  server: ProcessCpu | undefined
}

async function measure(server: RunningServer, options: ScenarioOptions): Promise<ScenarioReport> {
  const names = Array.from({ length: USERS }, (_, index) => `bench-user-${index}`)
  await adminPost(server.url, '/api/admin/roles', { name: 'bench', permissions: ['login'] })
  for (const username of names)
    await adminPost(server.url, '/api/admin/users', { username, password: USER_PASSWORD, roles: ['bench'] })

  // The bound is the best the hash alone achieves on these cores: argon2id is bound by cores and
  // memory bandwidth, and one hashing thread per core beats libuv's default of four (more
  // threads only evict each other's caches). An explicit UV_THREADPOOL_SIZE applies to both.
  const bound = await RawArgon2Bound.start(OWASP, {
    ...server.env,
    UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(boundThreads()),
  })
  const stopBound = registerCleanup(() => bound.stop())
  try {
    const loginRound = (timing: RoundTiming) =>
      postRound({
        url: `${server.url}/api/auth/login`,
        concurrency: options.concurrency,
        timing,
        expectStatus: 200,
        body: (index) => JSON.stringify({ username: names[index % names.length], password: USER_PASSWORD }),
      })
    const warmup = { rampSeconds: 0, seconds: options.warmupSeconds }
    await bound.round(options.concurrency, warmup)
    const warmupLogins = await loginRound(warmup)

    // Shared machines change speed from one second to the next. Short rounds, alternating
    // bound and server (ABBA, so a steady drift favours neither), see the same conditions.
    const timing = { rampSeconds: RAMP_SECONDS, seconds: options.seconds / options.rounds }
    const rounds: Round[] = []
    const ours = () => {
      const serverCpu = server.cpu()?.totalMs
      const boundCpu = bound.cpu()?.totalMs
      const self = process.cpuUsage()
      if (serverCpu === undefined || boundCpu === undefined) return undefined
      return serverCpu + boundCpu + (self.user + self.system) / 1000
    }
    const machineBefore = machineBusyMs()
    const oursBefore = ours()
    const startedAt = performance.now()
    for (let index = 0; index < options.rounds; index++) {
      const measureLogins = async () => {
        const before = server.cpu()
        const logins = await loginRound(timing)
        return { logins, server: cpuDelta(before, server.cpu()) }
      }
      const measureRaw = async () => {
        const before = bound.cpu()
        const raw = await bound.round(options.concurrency, timing)
        return { raw, rawCpu: cpuDelta(before, bound.cpu()) }
      }
      if (index % 2 === 0) {
        const raw = await measureRaw()
        rounds.push({ ...raw, ...(await measureLogins()) })
      } else {
        const logins = await measureLogins()
        rounds.push({ ...(await measureRaw()), ...logins })
      }
    }
    const machineAfter = machineBusyMs()
    const oursAfter = ours()
    const elapsedMs = performance.now() - startedAt
    // Busy time of the machine that none of the benchmark's three processes accounts for: other
    // work competing for the same cores (PostgreSQL, when used, counts here too).
    const foreignShare =
      machineBefore !== undefined &&
      machineAfter !== undefined &&
      oursBefore !== undefined &&
      oursAfter !== undefined
        ? Math.max(0, machineAfter - machineBefore - (oursAfter - oursBefore)) / (elapsedMs * cpus().length)
        : undefined
    return report(options, rounds, warmupLogins.errors, foreignShare)
  } finally {
    await stopBound()
  }
}

function report(
  options: ScenarioOptions,
  rounds: Round[],
  warmupErrors: number,
  foreignShare: number | undefined,
): ScenarioReport {
  const row = (label: string, subset: Round[], extraErrors = 0): ScenarioRow => {
    const logins = summarize(subset.map((round) => round.logins))
    const raw = summarize(subset.map((round) => round.raw))
    return {
      label,
      perSecond: logins.perSecond,
      boundPerSecond: raw.perSecond,
      p50Ms: logins.p50Ms,
      p99Ms: logins.p99Ms,
      errors: logins.errors + extraErrors,
    }
  }
  const store = options.postgres ? 'postgres' : 'sqlite'
  const rows = rounds.map((round, index) => row(`login (${store}) round ${index + 1}`, [round]))
  rows.push(row(`login (${store}) all rounds`, rounds, warmupErrors))

  const raw = summarize(rounds.map((round) => round.raw))
  const logins = summarize(rounds.map((round) => round.logins))
  const notes = [
    `${options.concurrency} concurrent clients and verifications; ${options.rounds} rounds of ${(options.seconds / options.rounds).toFixed(1)} s per side; argon2id m=${OWASP.memoryKib} KiB t=${OWASP.iterations} p=${OWASP.parallelism}`,
    process.env.UV_THREADPOOL_SIZE
      ? `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE} for the server and the bound`
      : `the bound hashes on ${boundThreads()} threads (one per core); the server sizes its own thread pool`,
    `raw verification latency p50 ${raw.p50Ms.toFixed(1)} ms, p99 ${raw.p99Ms.toFixed(1)} ms; errors count every non-200 answer, warm-up included`,
    `load generator CPU: ${logins.cpuMsPerOperation.toFixed(2)} ms per sign-in (it shares the cores with the server)`,
  ]
  const serverCpu = rounds.map((round) => round.server)
  const rawCpu = rounds.map((round) => round.rawCpu)
  if (serverCpu.every((entry) => entry !== undefined) && rawCpu.every((entry) => entry !== undefined)) {
    const answered = rounds.reduce((sum, round) => sum + round.logins.operations, 0)
    const verified = rounds.reduce((sum, round) => sum + round.raw.operations, 0)
    const main = serverCpu.reduce((sum, entry) => sum + entry.mainMs, 0)
    const total = serverCpu.reduce((sum, entry) => sum + entry.totalMs, 0)
    const raw = rawCpu.reduce((sum, entry) => sum + entry.totalMs, 0)
    notes.push(
      `CPU per operation: server ${(total / answered).toFixed(2)} ms per sign-in (event loop ${(main / answered).toFixed(2)} ms), bound ${(raw / verified).toFixed(2)} ms per raw verification`,
    )
  }
  if (foreignShare !== undefined) {
    const share = `${(foreignShare * 100).toFixed(1)} %`
    notes.push(
      options.postgres
        ? `other processes, PostgreSQL included, kept ${share} of the machine's cores busy during the rounds`
        : `other processes kept ${share} of the machine's cores busy during the rounds${foreignShare > 0.05 ? ': the machine was not quiet, figures are less reliable' : ''}`,
    )
  }
  return { rateTitle: 'logins/s', boundTitle: 'raw verifications/s', target: 0.9, rows, notes }
}

async function run(options: ScenarioOptions): Promise<ScenarioReport> {
  const serve = async (databaseUrl?: string) => {
    const server = await startServer({
      REKEY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      REKEY_AUTH_LOGIN_RATE_LIMIT_PER_MINUTE: '0',
      REKEY_PASSWORDS_ARGON2_MEMORY_KIB: String(OWASP.memoryKib),
      REKEY_PASSWORDS_ARGON2_ITERATIONS: String(OWASP.iterations),
      REKEY_PASSWORDS_ARGON2_PARALLELISM: String(OWASP.parallelism),
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    })
    try {
      return await measure(server, options)
    } finally {
      await server.stop()
    }
  }
  return options.postgres ? withPostgresSchema(serve) : serve()
}

export const loginScenario: Scenario = {
  name: 'login',
  description:
    'sign-ins/s through POST /api/auth/login over loopback HTTP vs raw argon2id verifications/s, same run, same cores',
  run,
}
