import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli } from '../../test/support/processes.ts'
import { registerCleanup } from '../support/cleanup.ts'
import type { ClientStall, FixedRateRequest, FixedRateResult } from '../support/fixed-rate-lookups.ts'
import { HttpRequestConnection } from '../support/http-request.ts'
import { closedLoop, type LoadResult, type RoundTiming, type Summary, summarize } from '../support/load.ts'
import { withPostgresSchema } from '../support/postgres-schema.ts'
import { cpuDelta, machineBusyMs, type ProcessCpu } from '../support/proc.ts'
import {
  postgresRawStore,
  type RawStore,
  type Seeded,
  seedPostgres,
  seedSqlite,
  sqliteRawStore,
  userName,
} from '../support/scim-store.ts'
import { type RunningServer, startServer } from '../support/server.ts'
import type { Scenario, ScenarioOptions, ScenarioReport, ScenarioRow } from './scenario.ts'

const USERS = 100_000
const PAGE = 100
/** The server's default `storage.pool_size`; the PostgreSQL bound gets as many connections. */
const POOL_SIZE = 10
/** Each round lets every client get a request in flight before its window opens. */
const RAMP_SECONDS = 0.5
const TARGETS = { filterP99Ms: 5, patchPerSecond: 2000 }
/**
 * The offered load at which the filtered GET's latency is judged: far above what provisioning
 * clients send, and below saturation, where a closed loop's latency is queueing (clients ÷
 * rate) rather than the server's answer time. A store that saturates below twice this rate
 * is judged at half the rate it reached in the closed loop instead.
 */
const LATENCY_RATE = 1000
/** Connections of the fixed-rate run: requests due while all are busy wait, and that counts. */
const LATENCY_SLOTS = 16
const ADMIN_PASSWORD = `bench-operator-${randomBytes(8).toString('hex')}`

interface Operation {
  label: string
  /** One request to the server over a keep-alive connection; true when it did what it should. */
  request(connection: HttpRequestConnection): Promise<boolean>
  /** The same work straight on the store. */
  raw(store: RawStore): Promise<boolean>
  /** Also measure latency at a fixed rate below saturation. */
  latencyAtFixedRate?: boolean
}

const randomUser = () => Math.floor(Math.random() * USERS)
/** A random 0-based offset of a full page. */
const randomOffset = () => Math.floor(Math.random() * (USERS - PAGE + 1))

function operations(seeded: Seeded): Operation[] {
  // Each user's forcePasswordReset flips on every PATCH, by the server or the bound, so that
  // every PATCH changes the stored claim (an unchanged one would skip the write).
  const forced = new Uint8Array(USERS)
  const flip = (user: number) => {
    forced[user] = forced[user]! ^ 1
    return forced[user] === 1
  }
  const patchBody = (value: boolean) =>
    JSON.stringify({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        {
          op: 'replace',
          path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:forcePasswordReset',
          value,
        },
      ],
    })
  const pagePath = (offset: number, sorted: boolean) =>
    `/scim2/Users?startIndex=${offset + 1}&count=${PAGE}${sorted ? '&sortBy=userName' : ''}`
  const fullPage = Buffer.from(`"itemsPerPage":${PAGE},`)
  return [
    {
      label: 'GET filter userName eq',
      async request(connection) {
        const filter = encodeURIComponent(`userName eq "${userName(randomUser())}"`)
        const answer = await connection.request('GET', `/scim2/Users?filter=${filter}`)
        return answer.status === 200 && answer.body.includes('"totalResults":1,')
      },
      raw: (store) => store.lookup(userName(randomUser())),
      latencyAtFixedRate: true,
    },
    {
      label: 'PATCH forcePasswordReset',
      async request(connection) {
        const user = randomUser()
        const answer = await connection.request(
          'PATCH',
          `/scim2/Users/${seeded.ids[user]}`,
          patchBody(flip(user)),
        )
        return answer.status === 200
      },
      raw: (store) => {
        const user = randomUser()
        return store.forceReset(seeded.ids[user]!, flip(user), `${userName(user)}@example.com`)
      },
    },
    {
      label: `GET page of ${PAGE}`,
      async request(connection) {
        const answer = await connection.request('GET', pagePath(randomOffset(), false))
        return answer.status === 200 && answer.body.includes(fullPage)
      },
      raw: (store) => store.page(randomOffset(), PAGE, false),
    },
    {
      label: `GET page of ${PAGE} sortBy=userName`,
      async request(connection) {
        const answer = await connection.request('GET', pagePath(randomOffset(), true))
        return answer.status === 200 && answer.body.includes(fullPage)
      },
      raw: (store) => store.page(randomOffset(), PAGE, true),
    },
  ]
}

/** One closed-loop round of requests, one keep-alive connection per client. */
async function serverRound(
  server: RunningServer,
  token: string,
  concurrency: number,
  timing: RoundTiming,
  operation: Operation,
): Promise<LoadResult> {
  const target = new URL(server.url)
  const open = () =>
    HttpRequestConnection.open(target.hostname, Number(target.port), { authorization: `Bearer ${token}` })
  const connections = await Promise.all(Array.from({ length: concurrency }, open))
  try {
    return await closedLoop(concurrency, timing, async (client) => {
      try {
        return await operation.request(connections[client]!)
      } catch (error) {
        connections[client]!.close()
        connections[client] = await open()
        throw error
      }
    })
  } finally {
    for (const connection of connections) connection.close()
  }
}

/**
 * Filtered look-ups at a fixed rate, latency from each due time, from a child process that
 * does nothing else (bench/support/fixed-rate-lookups.ts): an unmeasured warm-up round, then
 * `rounds` measured ones, all from the same process.
 */
async function fixedRateRounds(
  server: RunningServer,
  token: string,
  perSecond: number,
  warmup: RoundTiming,
  timing: RoundTiming,
  rounds: number,
): Promise<FixedRateResult[]> {
  const script = fileURLToPath(new URL('../support/fixed-rate-lookups.ts', import.meta.url))
  const child = fork(script, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const stop = registerCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`fixed-rate client exited with ${code}`))),
  )
  exited.catch(() => {})
  const round = (roundTiming: RoundTiming) => {
    const request: FixedRateRequest = {
      url: server.url,
      token,
      users: USERS,
      perSecond,
      slots: LATENCY_SLOTS,
      timing: roundTiming,
    }
    const answered = new Promise<FixedRateResult>((resolve) =>
      child.once('message', (result) => resolve(result as FixedRateResult)),
    )
    child.send(request)
    return Promise.race([answered, exited])
  }
  try {
    if (warmup.seconds > 0) await round(warmup)
    const results: FixedRateResult[] = []
    for (let index = 0; index < rounds; index++) results.push(await round(timing))
    return results
  } finally {
    await stop()
  }
}

interface Side {
  load: LoadResult
  /** CPU of the server during the side's round. */
  server: ProcessCpu | undefined
  /** CPU of this process (load generator, or the bound's statements and driver). */
  selfMs: number
  /** Busy time of the machine that neither the server nor this process accounts for (PostgreSQL). */
  foreignMs: number | undefined
}

async function measured(server: RunningServer, run: () => Promise<LoadResult>): Promise<Side> {
  const serverBefore = server.cpu()
  const machineBefore = machineBusyMs()
  const selfBefore = process.cpuUsage()
  const load = await run()
  const self = process.cpuUsage(selfBefore)
  const serverCpu = cpuDelta(serverBefore, server.cpu())
  const machineAfter = machineBusyMs()
  const selfMs = (self.user + self.system) / 1000
  const foreignMs =
    machineBefore !== undefined && machineAfter !== undefined && serverCpu
      ? Math.max(0, machineAfter - machineBefore - serverCpu.totalMs - selfMs)
      : undefined
  return { load, server: serverCpu, selfMs, foreignMs }
}

interface OperationResult {
  operation: Operation
  raw: Side[]
  served: Side[]
  warmupErrors: number
  /** The operation at LATENCY_RATE requests/s, for latency (filtered GET only). */
  fixedRate?: Summary & { offered: number; clientStall: ClientStall }
}

async function measureOperation(
  server: RunningServer,
  token: string,
  store: RawStore,
  operation: Operation,
  options: ScenarioOptions,
): Promise<OperationResult> {
  // better-sqlite3 runs each statement to completion on the calling thread: one raw client is
  // all SQLite can use (more would only queue behind it and inflate their latencies).
  const rawConcurrency = options.postgres ? options.concurrency : 1
  // Each round starts from a settled store (RawStore.settle), whichever side wrote before it.
  const rawRound = async (timing: RoundTiming) => {
    await store.settle()
    return measured(server, () => closedLoop(rawConcurrency, timing, () => operation.raw(store)))
  }
  const serverSide = async (timing: RoundTiming) => {
    await store.settle()
    return measured(server, () => serverRound(server, token, options.concurrency, timing, operation))
  }
  const warmup = { rampSeconds: 0, seconds: options.warmupSeconds }
  const rawWarmup = await rawRound(warmup)
  const serverWarmup = await serverSide(warmup)
  // Short rounds alternating bound and server, ABBA, as in the login scenario.
  const timing = { rampSeconds: RAMP_SECONDS, seconds: options.seconds / options.rounds }
  const raw: Side[] = []
  const served: Side[] = []
  for (let index = 0; index < options.rounds; index++) {
    if (index % 2 === 0) {
      raw.push(await rawRound(timing))
      served.push(await serverSide(timing))
    } else {
      served.push(await serverSide(timing))
      raw.push(await rawRound(timing))
    }
  }
  const result = { operation, raw, served, warmupErrors: rawWarmup.load.errors + serverWarmup.load.errors }
  if (!operation.latencyAtFixedRate) return result
  const saturated = summarize(served.map((side) => side.load)).perSecond
  const offered = Math.max(1, Math.min(LATENCY_RATE, Math.floor(saturated / 2)))
  const rounds = await fixedRateRounds(server, token, offered, warmup, timing, options.rounds)
  const clientStall = {
    p99Ms: Math.max(...rounds.map((round) => round.clientStall.p99Ms)),
    maxMs: Math.max(...rounds.map((round) => round.clientStall.maxMs)),
  }
  return { ...result, fixedRate: { ...summarize(rounds), offered, clientStall } }
}

const perOperation = (sides: Side[], pick: (side: Side) => number | undefined) => {
  const operations = sides.reduce((sum, side) => sum + side.load.operations, 0)
  const values = sides.map(pick)
  if (operations === 0 || values.some((value) => value === undefined)) return undefined
  return (values as number[]).reduce((sum, value) => sum + value, 0) / operations
}
const ms = (value: number | undefined) => (value === undefined ? '?' : value.toFixed(3))

function report(
  options: ScenarioOptions,
  results: OperationResult[],
  setup: { seedSeconds: number },
): ScenarioReport {
  const store = options.postgres ? 'postgres' : 'sqlite'
  const rows: ScenarioRow[] = []
  const notes = [
    `${USERS.toLocaleString('en')} users seeded in ${setup.seedSeconds.toFixed(1)} s; ${options.concurrency} concurrent clients; ${options.rounds} rounds of ${(options.seconds / options.rounds).toFixed(1)} s per side and operation; bearer API token (users:read, users:write, reset:force)`,
    options.postgres
      ? `bound: the same statements straight on the store from the benchmark process (pg, a pool of ${POOL_SIZE} like the server's, ${options.concurrency} concurrent operations); no HTTP, authentication, parsing or rendering`
      : "bound: the same statements straight on the store from the benchmark process (better-sqlite3 on the server's file, one synchronous client, as the server has one connection); no HTTP, authentication, parsing or rendering",
  ]
  for (const result of results) {
    const served = summarize(result.served.map((side) => side.load))
    const raw = summarize(result.raw.map((side) => side.load))
    rows.push({
      label: `${result.operation.label} (${store})`,
      perSecond: served.perSecond,
      boundPerSecond: raw.perSecond,
      p50Ms: served.p50Ms,
      p99Ms: served.p99Ms,
      errors: served.errors + raw.errors + result.warmupErrors,
    })
    if (result.fixedRate)
      rows.push({
        label: `${result.operation.label} at ${result.fixedRate.offered}/s (${store})`,
        perSecond: result.fixedRate.perSecond,
        boundPerSecond: 0,
        p50Ms: result.fixedRate.p50Ms,
        p99Ms: result.fixedRate.p99Ms,
        errors: result.fixedRate.errors,
      })
    const ratios = result.served.map(
      (side, index) => side.load.perSecond / (result.raw[index]!.load.perSecond || 1),
    )
    const cpu = [
      `server ${ms(perOperation(result.served, (side) => side.server?.totalMs))} (event loop ${ms(perOperation(result.served, (side) => side.server?.mainMs))})`,
      `load generator ${ms(perOperation(result.served, (side) => side.selfMs))}`,
      ...(options.postgres
        ? [
            `other processes (PostgreSQL and anything else running) ${ms(perOperation(result.served, (side) => side.foreignMs))}`,
          ]
        : []),
    ]
    const rawCpu = [
      `benchmark process ${ms(perOperation(result.raw, (side) => side.selfMs))}`,
      ...(options.postgres
        ? [
            `other processes (PostgreSQL and anything else running) ${ms(perOperation(result.raw, (side) => side.foreignMs))}`,
          ]
        : []),
    ]
    // With the cores saturated, rates follow CPU: on SQLite (the bound's CPU is all in this
    // process) the CPU ratio holds when other work on the machine makes the rates drift.
    const serverCpu = perOperation(result.served, (side) => side.server?.totalMs)
    const generatorCpu = perOperation(result.served, (side) => side.selfMs)
    const boundCpu = perOperation(result.raw, (side) => side.selfMs)
    const cpuRatio =
      !options.postgres && serverCpu !== undefined && generatorCpu !== undefined && boundCpu !== undefined
        ? `; CPU ratio (bound CPU per raw operation / server and load generator CPU per request) ${(boundCpu / (serverCpu + generatorCpu)).toFixed(3)}`
        : ''
    notes.push(
      `${result.operation.label}: ratio per round ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}${cpuRatio}; raw p50 ${raw.p50Ms.toFixed(2)} ms, p99 ${raw.p99Ms.toFixed(2)} ms; CPU ms per request: ${cpu.join(', ')}; per raw operation: ${rawCpu.join(', ')}`,
    )
  }
  const filterResult = results.find((result) => result.fixedRate)
  const filter = filterResult?.fixedRate
  if (filter)
    notes.push(
      `${filterResult.operation.label} at ${filter.offered}/s: the load generator's own event loop ran late by up to ${filter.clientStall.maxMs.toFixed(1)} ms (p99 of a round ${filter.clientStall.p99Ms.toFixed(1)} ms at worst); latency counts from due times, so such stalls of the measuring process show in the percentiles too`,
    )
  const patch = rows.find((row) => row.label.startsWith('PATCH'))
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met')
  if (filter && patch)
    notes.push(
      `targets (SQLite, ${USERS.toLocaleString('en')} users): filtered GET p99 < ${TARGETS.filterP99Ms} ms at ${filter.offered} requests/s: ${filter.p99Ms.toFixed(1)} ms, ${options.postgres ? 'for reference' : verdict(filter.p99Ms < TARGETS.filterP99Ms)}; PATCH >= ${TARGETS.patchPerSecond}/s: ${patch.perSecond.toFixed(0)}/s, ${options.postgres ? 'for reference' : verdict(patch.perSecond >= TARGETS.patchPerSecond)}`,
    )
  const busy = results.flatMap((result) => result.served.concat(result.raw))
  const foreign = busy.every((side) => side.foreignMs !== undefined)
    ? busy.reduce((sum, side) => sum + side.foreignMs!, 0) /
      (busy.reduce((sum, side) => sum + (side.load.seconds + RAMP_SECONDS) * 1000, 0) * cpus().length)
    : undefined
  if (foreign !== undefined)
    notes.push(
      `other processes${options.postgres ? ', PostgreSQL included,' : ''} kept about ${(foreign * 100).toFixed(1)} % of the machine's cores busy during the rounds${!options.postgres && foreign > 0.05 ? ': the machine was not quiet, figures are less reliable' : ''}`,
    )
  notes.push('errors count every non-2xx answer, unexpected body or failed raw operation, warm-up included')
  return { rateTitle: 'requests/s', boundTitle: 'raw store ops/s', target: 0.9, rows, notes }
}

async function run(options: ScenarioOptions): Promise<ScenarioReport> {
  const serve = async (databaseUrl?: string) => {
    // One data directory for the CLI and the server: the SQLite file, and the secret key.
    const dataDir = await mkdtemp(join(tmpdir(), 'rekey-bench-scim-'))
    const removeData = registerCleanup(() => rm(dataDir, { recursive: true, force: true }))
    try {
      const env = {
        REKEY_DATA_DIR: dataDir,
        REKEY_ADMIN_PASSWORD: ADMIN_PASSWORD,
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      }
      // The CLI migrates the new store, creates the default tenant and its administrator.
      const created = await runCli(
        [
          '--json',
          'token',
          'create',
          '--name',
          'bench',
          '--scope',
          'users:read',
          '--scope',
          'users:write',
          '--scope',
          'reset:force',
        ],
        env,
      )
      if (created.code !== 0) throw new Error(`rekey token create: ${created.code} ${created.stderr}`)
      const token = (JSON.parse(created.stdout) as { token: string }).token

      const seedStart = performance.now()
      const seeded = databaseUrl ? await seedPostgres(databaseUrl, USERS) : seedSqlite(dataDir, USERS)
      const seedSeconds = (performance.now() - seedStart) / 1000

      const server = await startServer(env)
      try {
        const store = databaseUrl
          ? postgresRawStore(databaseUrl, seeded.tenantId, PAGE, POOL_SIZE)
          : sqliteRawStore(dataDir, seeded.tenantId, PAGE)
        const closeStore = registerCleanup(() => store.close())
        try {
          const results: OperationResult[] = []
          for (const operation of operations(seeded))
            results.push(await measureOperation(server, token, store, operation, options))
          return report(options, results, { seedSeconds })
        } finally {
          await closeStore()
        }
      } finally {
        await server.stop()
      }
    } finally {
      await removeData()
    }
  }
  return options.postgres ? withPostgresSchema(serve) : serve()
}

export const scimScenario: Scenario = {
  name: 'scim',
  description:
    'SCIM /scim2/Users at 100,000 users: filtered GET, PATCH, pages, over loopback HTTP vs the same statements straight on the store',
  run,
}
