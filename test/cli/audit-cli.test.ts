import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { loadConfig } from '../../src/config/load.ts'
import { buildContainer, type Container } from '../../src/container.ts'
import { cliActor } from '../../src/observability/audit.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { isolateCliStore, runCliInProcess } from '../support/cli-in-process.ts'
import { cliStoreVariants, postgresUrl, withPostgres } from '../support/cli-stores.ts'
import { tempDir } from '../support/config.ts'
import { type CliResult, runCli } from '../support/processes.ts'

interface Event {
  id: number
  occurredAt: string
  actor: string
  action: string
  target: string | null
  outcome: string
  detail: Record<string, unknown>
  clientAddress: string | null
}

for (const variant of cliStoreVariants) {
  describe(`${variant.name}: rekey audit list`, { skip: variant.skip, timeout: 600_000 }, () => {
    const dir = tempDir('rekey-audit-cli-')
    const schema = `rekey_audit_cli_${randomBytes(6).toString('hex')}`
    const env: Record<string, string> = {
      REKEY_DATA_DIR: join(dir, 'data'),
      REKEY_ADMIN_PASSWORD: 'cli-audit-operator-pass-1',
    }
    let alexId: string
    const cli = (args: string[]): Promise<CliResult> => runCli(args, env)
    const list = async (args: string[] = []): Promise<{ events: Event[]; next: string | null }> => {
      const result = await cli(['--json', 'audit', 'list', ...args])
      assert.equal(result.code, 0, `rekey audit list ${args.join(' ')}: ${result.stderr}`)
      return JSON.parse(result.stdout)
    }

    /** A container on the same store, to seed events without a process per event. */
    async function inspect<T>(work: (container: Container) => Promise<T>): Promise<T> {
      const { config } = loadConfig({
        env: { ...env, REKEY_PASSWORDS_ARGON2_MEMORY_KIB: '1024', REKEY_PASSWORDS_ARGON2_ITERATIONS: '1' },
        cwd: dir,
      })
      const container = buildContainer(config, { logger: createLogger('silent') })
      try {
        return await work(container)
      } finally {
        await container.close()
      }
    }

    before(async () => {
      if (variant.name === 'postgres') {
        await withPostgres((client) => client.query(`create schema ${schema}`))
        env.DATABASE_URL = `${postgresUrl}?options=-c%20search_path%3D${schema}`
      }
      // The first command migrates the store and creates the administrator.
      assert.equal((await cli(['user', 'list'])).code, 0)
      await inspect(async (container) => {
        const tenant = await container.tenants.require('carbon.super')
        alexId = (await container.users.create(tenant, { username: 'alex' }, cliActor)).id
        // More events than one page of the API holds, all in one instant.
        await container.audit.recordMany(
          container.store.db,
          Array.from({ length: 1005 }, (_, index) => ({
            tenantId: tenant.id,
            actor: { kind: 'system' as const, id: null, name: 'system' },
            action: 'notification.dead' as const,
            target: `message-${index}`,
            outcome: 'failure' as const,
            detail: { reason: 'seeded' },
          })),
        )
        await container.users.lock(tenant, 'alex', 'admin', cliActor)
        await container.users.unlock(tenant, 'alex', cliActor)
        await container.audit.record(container.store.db, {
          tenantId: tenant.id,
          actor: { kind: 'anonymous', id: null, name: 'guesser' },
          action: 'login.failed',
          target: alexId,
          outcome: 'failure',
          detail: { reason: 'bad-credentials' },
          client: { address: '203.0.113.9' },
        })
        await container.tenants.create('other.example', undefined, cliActor)
      })
    })
    after(async () => {
      if (variant.name === 'postgres')
        await withPostgres((client) => client.query(`drop schema if exists ${schema} cascade`))
      rmSync(dir, { recursive: true, force: true })
    })

    it('prints a table, newest first, with the client address in the detail', async () => {
      const result = await cli(['audit', 'list', '--limit', '3'])
      assert.equal(result.code, 0, result.stderr)
      const [header, ...rows] = result.stdout.trimEnd().split('\n')
      assert.match(header!, /^TIME\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME\s+DETAIL$/)
      assert.equal(rows.length, 3)
      assert.match(
        rows[0]!,
        new RegExp(
          `^\\S+Z\\s+anonymous:guesser\\s+login\\.failed\\s+${alexId}\\s+failure\\s+client=203\\.0\\.113\\.9 reason=bad-credentials$`,
        ),
      )
      assert.match(rows[1]!, /\scli:cli\s+user\.unlocked\s/)
      assert.match(rows[2]!, /\scli:cli\s+user\.locked\s+\S+\s+success\s+reason=admin sessionsRevoked=0$/)
      assert.match(result.stderr, /More events: add --cursor \d+-\d+/)
    })

    it('filters by action (or prefix), actor, target and outcome', async () => {
      const byPrefix = await list(['--action', 'user.*'])
      assert.deepEqual(
        byPrefix.events.map((event) => event.action),
        ['user.unlocked', 'user.locked', 'user.created', 'user.created'],
      )
      const exact = await list(['--action', 'user.locked'])
      assert.deepEqual(
        exact.events.map((event) => event.target),
        [alexId],
      )
      const byTarget = await list(['--target', alexId, '--actor', 'cli:cli'])
      assert.deepEqual(
        byTarget.events.map((event) => event.action),
        ['user.unlocked', 'user.locked', 'user.created'],
      )
      const failures = await list(['--outcome', 'failure', '--limit', '2'])
      assert.deepEqual(
        failures.events.map((event) => event.action),
        ['login.failed', 'notification.dead'],
      )
      const none = await cli(['audit', 'list', '--actor', 'user:nobody'])
      assert.equal(none.code, 0, none.stderr)
      assert.match(none.stdout.trimEnd(), /^TIME\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME\s+DETAIL$/)
      assert.deepEqual(await list(['--actor', 'user:nobody']), { events: [], next: null })
    })

    it('reads more than a page of the API, and continues where an earlier listing stopped', async () => {
      const long = await list(['--action', 'notification.dead', '--limit', '1003'])
      assert.equal(long.events.length, 1003)
      assert.equal(new Set(long.events.map((event) => event.id)).size, 1003)
      assert.ok(long.next)
      const rest = await list(['--action', 'notification.dead', '--cursor', long.next!])
      assert.equal(rest.events.length, 2)
      assert.equal(rest.next, null)
      const ids = new Set([...long.events, ...rest.events].map((event) => event.id))
      assert.equal(ids.size, 1005, 'every seeded event once')
    })

    it('takes --since and --until as inclusive bounds', async () => {
      const { events } = await list(['--action', 'user.*'])
      const locked = events.find((event) => event.action === 'user.locked')!
      const at = await list([
        '--since',
        locked.occurredAt,
        '--until',
        locked.occurredAt,
        '--action',
        'user.*',
      ])
      assert.ok(at.events.some((event) => event.id === locked.id))
      assert.ok(at.events.every((event) => event.occurredAt === locked.occurredAt))
      const later = await list(['--since', locked.occurredAt])
      assert.ok(later.events.every((event) => event.occurredAt >= locked.occurredAt))
      assert.deepEqual(await list(['--since', '2999-01-01']), { events: [], next: null })
    })

    it('reads the tenant named by --tenant only', async () => {
      const result = await cli(['--tenant', 'other.example', '--json', 'audit', 'list', '--limit', '1000'])
      assert.equal(result.code, 0, result.stderr)
      const { events } = JSON.parse(result.stdout) as { events: Event[] }
      assert.ok(events.some((event) => event.action === 'tenant.created'))
      assert.ok(!result.stdout.includes(alexId))
      assert.ok(!events.some((event) => event.action === 'notification.dead'))
    })
  })
}

describe('rekey audit list: usage errors exit 2 before the store is opened', () => {
  isolateCliStore('rekey-audit-usage-')

  const cases: Array<[string[], RegExp]> = [
    [['--since', 'yesterday'], /--since.*ISO 8601/],
    [['--since', '2026-01-01T10:00:00'], /--since.*with a zone/],
    [['--until', '2026-13-45'], /--until.*ISO 8601/],
    [['--outcome', 'maybe'], /Allowed choices are success, failure/],
    [['--action', 'user.*.forced'], /--action.*prefix such as user\.reset-\*/],
    [['--limit', '0'], /--limit.*integer from 1 to 10000/],
    [['--cursor', 'abc'], /--cursor.*`next` value/],
  ]
  for (const [args, message] of cases) {
    it(`rekey audit list ${args.join(' ')}`, async () => {
      const answer = await runCliInProcess(['audit', 'list', ...args])
      assert.equal(answer.code, 2, answer.err)
      assert.match(answer.err, message)
      assert.equal(answer.out, '')
    })
  }
})
