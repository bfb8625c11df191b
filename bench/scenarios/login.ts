import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { type LoadResult, postLoad } from '../support/load.ts'
import { measureRawArgon2 } from '../support/raw-bound.ts'
import { startServer } from '../support/server.ts'
import type { Scenario, ScenarioOptions, ScenarioRow } from './scenario.ts'

const ADMIN_PASSWORD = `bench-admin-${randomBytes(8).toString('hex')}`
const USERS = 50
const USER_PASSWORD = 'bench-user-password-1'
const owasp = { memoryKib: 19_456, iterations: 2, parallelism: 1 }

async function call(url: string, path: string, body: unknown): Promise<void> {
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

async function withPostgresSchema<T>(
  enabled: boolean,
  run: (databaseUrl: string | undefined) => Promise<T>,
): Promise<T> {
  if (!enabled) return run(undefined)
  const base = process.env.REKEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
  const schema = `rekey_bench_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  try {
    const url = new URL(base)
    url.searchParams.set('options', `-c search_path=${schema}`)
    return await run(url.toString())
  } finally {
    await admin.query(`drop schema ${schema} cascade`)
    await admin.end()
  }
}

async function run(options: ScenarioOptions): Promise<ScenarioRow[]> {
  return withPostgresSchema(options.postgres, async (databaseUrl) => {
    const server = await startServer({
      REKEY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      REKEY_AUTH_LOGIN_RATE_LIMIT_PER_MINUTE: '0',
      REKEY_PASSWORDS_ARGON2_MEMORY_KIB: String(owasp.memoryKib),
      REKEY_PASSWORDS_ARGON2_ITERATIONS: String(owasp.iterations),
      REKEY_PASSWORDS_ARGON2_PARALLELISM: String(owasp.parallelism),
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    })
    try {
      await call(server.url, '/api/admin/roles', { name: 'bench', permissions: ['login'] })
      const names = Array.from({ length: USERS }, (_, index) => `bench-user-${index}`)
      for (const username of names)
        await call(server.url, '/api/admin/users', { username, password: USER_PASSWORD, roles: ['bench'] })

      // The machine's speed drifts (shared hosts): alternate short rounds of the bound and of
      // the server so both see the same conditions, and report the median round's ratio.
      const rounds: Array<{ raw: LoadResult; logins: LoadResult }> = []
      for (let round = 0; round < options.rounds; round++) {
        const raw = await measureRawArgon2(owasp, options.concurrency, options.seconds, options.warmupSeconds)
        const logins = await postLoad({
          url: `${server.url}/api/auth/login`,
          concurrency: options.concurrency,
          seconds: options.seconds,
          warmupSeconds: options.warmupSeconds,
          expectStatus: 200,
          body: (index) => JSON.stringify({ username: names[index % names.length], password: USER_PASSWORD }),
        })
        rounds.push({ raw, logins })
      }
      const ratios = rounds.map((round) => round.logins.perSecond / round.raw.perSecond).sort((a, b) => a - b)
      const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length
      const rawRate = mean(rounds.map((round) => round.raw.perSecond))
      const loginRate = mean(rounds.map((round) => round.logins.perSecond))
      const store = databaseUrl ? 'postgres' : 'sqlite'
      return [
        {
          scenario: `argon2id verify (raw, ${options.concurrency} concurrent, ${options.rounds} rounds)`,
          perSecond: rawRate,
          p50Ms: mean(rounds.map((round) => round.raw.p50Ms)),
          p99Ms: mean(rounds.map((round) => round.raw.p99Ms)),
          errors: 0,
        },
        {
          scenario: `POST /api/auth/login (${store}, ${options.concurrency} clients, ${options.rounds} rounds)`,
          perSecond: loginRate,
          p50Ms: mean(rounds.map((round) => round.logins.p50Ms)),
          p99Ms: mean(rounds.map((round) => round.logins.p99Ms)),
          errors: rounds.reduce((sum, round) => sum + round.logins.errors, 0),
          ratio: ratios[Math.floor(ratios.length / 2)]!,
          target: 0.9,
          note: `round ratios ${ratios.map((ratio) => ratio.toFixed(3)).join(', ')}; the load generator used ${mean(rounds.map((round) => round.logins.clientCpuMsPerRequest ?? 0)).toFixed(2)} ms CPU per sign-in on the same cores`,
        },
      ]
    } finally {
      await server.stop()
    }
  })
}

export const loginScenario: Scenario = {
  name: 'login',
  description:
    'Sign-ins/s through the login API over loopback HTTP vs raw argon2id verifications/s (OWASP parameters)',
  run,
}
