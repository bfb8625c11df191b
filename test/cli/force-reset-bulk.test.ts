import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { loadConfig } from '../../src/config/load.ts'
import { buildContainer, type Container } from '../../src/container.ts'
import { cliActor } from '../../src/observability/audit.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { runCliInProcess } from '../support/cli-in-process.ts'
import { cliStoreVariants, postgresUrl, withPostgres } from '../support/cli-stores.ts'
import { tempDir } from '../support/config.ts'
import { freePort, runCli, startServe, waitFor } from '../support/processes.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'

for (const variant of cliStoreVariants) {
  describe(`${variant.name}: rekey force-reset (bulk)`, { skip: variant.skip, timeout: 300_000 }, () => {
    const dir = tempDir('rekey-cli-bulk-')
    const schema = `rekey_bulk_cli_${randomBytes(6).toString('hex')}`
    const env: Record<string, string> = {
      REKEY_DATA_DIR: join(dir, 'data'),
      REKEY_ADMIN_PASSWORD: 'cli-bulk-operator-pass-1',
    }
    const ids: Record<string, string> = {}

    /** A container on the same store, to seed and to check without trusting the command's output. */
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
      assert.equal((await runCli(['user', 'list'], env)).code, 0)
      await inspect(async (container) => {
        const tenant = await container.tenants.require('carbon.super')
        for (const name of ['fr-1', 'fr-2', 'fr-3', 'fr-4', 'fr-nomail', 'keep']) {
          const claims: Record<string, string> =
            name === 'fr-nomail' ? {} : { [EMAIL]: `${name}@cli.example` }
          ids[name] = (await container.users.create(tenant, { username: name, claims }, cliActor)).id
        }
      })
    })
    after(async () => {
      if (variant.name === 'postgres')
        await withPostgres((client) => client.query(`drop schema if exists ${schema} cascade`))
      rmSync(dir, { recursive: true, force: true })
    })

    const statusOf = (names: string[]) =>
      inspect(async (container) => {
        const rows = await container.store.db
          .selectFrom('users')
          .select(['username', 'status'])
          .where('username', 'in', names)
          .orderBy('username')
          .execute()
        return Object.fromEntries(rows.map((row) => [row.username, row.status]))
      })

    it('a dry run counts and changes nothing', async () => {
      const result = await runCli(
        ['force-reset', '--filter', 'userName sw "fr-"', '--dry-run', '--json'],
        env,
      )
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(JSON.parse(result.stdout), {
        count: 5,
        mode: 'email-link',
        sample: ['fr-1', 'fr-2', 'fr-3', 'fr-4', 'fr-nomail'],
        withoutEmail: 1,
      })
      assert.deepEqual(Object.values(await statusOf(['fr-1', 'fr-2'])), ['active', 'active'])
    })

    it('forces every user of a filter with progress on stderr, and lists the failures', async () => {
      const result = await runCli(
        [
          'force-reset',
          '--filter',
          'userName sw "fr-"',
          '--mode',
          'email-otp',
          '--batch-size',
          '2',
          '--json',
        ],
        env,
      )
      assert.equal(result.code, 0, result.stderr)
      const job = JSON.parse(result.stdout)
      assert.equal(job.status, 'completed')
      assert.deepEqual([job.total, job.done, job.failed], [5, 4, 1])
      assert.deepEqual(job.failures, [
        { userId: ids['fr-nomail'], userName: 'fr-nomail', reason: 'reset.no-email' },
      ])
      // Not a terminal: plain progress lines, none of them a redrawn bar.
      assert.match(result.stderr, /^job [0-9a-f-]{36}: 5 users, mode email-otp$/m)
      assert.match(result.stderr, /^\[#{30}\] 100% {2}5\/5 {2}forced 4, failed 1, /m)
      assert.doesNotMatch(result.stderr, /\r/)
      assert.deepEqual(await statusOf(['fr-1', 'fr-2', 'fr-3', 'fr-4', 'fr-nomail', 'keep']), {
        'fr-1': 'locked',
        'fr-2': 'locked',
        'fr-3': 'locked',
        'fr-4': 'locked',
        'fr-nomail': 'active',
        keep: 'active',
      })
      const messages = await inspect((container) =>
        container.store.db.selectFrom('outbox_messages').select('recipient').execute(),
      )
      assert.equal(messages.length, 4)
    })

    it('forces the users of an ids file, and prints a table without --json', async () => {
      const file = join(dir, 'ids.txt')
      writeFileSync(file, `# users to reset\n${ids.keep}\n\n`)
      const result = await runCli(['force-reset', '--ids-file', file, '--mode', 'offline-otp'], env)
      assert.equal(result.code, 0, result.stderr)
      assert.match(result.stdout, /^ID\s+STATUS\s+MODE\s+TOTAL\s+DONE\s+FAILED\s+SECONDS$/m)
      assert.match(result.stdout, /\scompleted\s+offline-otp\s+1\s+1\s+0\s/)
      assert.deepEqual(await statusOf(['keep']), { keep: 'locked' })
    })

    it('refuses an invalid filter and a filter that matches nobody, changing nothing', async () => {
      const invalid = await runCli(['force-reset', '--filter', 'userName sw'], env)
      assert.equal(invalid.code, 6, invalid.stderr)
      assert.match(invalid.stderr, /^error: bulk-reset\.invalid-filter: /m)
      assert.doesNotMatch(invalid.stderr, /at .+\.ts:\d+/, 'no stack trace')
      const none = await runCli(['force-reset', '--filter', 'userName eq "nobody"'], env)
      assert.equal(none.code, 5, none.stderr)
      assert.match(none.stderr, /bulk-reset\.no-match/)
      const jobs = await inspect((container) =>
        container.store.db.selectFrom('bulk_reset_jobs').select('id').execute(),
      )
      assert.equal(jobs.length, 2, 'only the two jobs that ran')
    })

    it('rekey serve resumes a job a stopped process left running, with the users it had not forced', async () => {
      // A job whose runner died after its first batch: running, its lease run out.
      const jobId = await inspect(async (container) => {
        const tenant = await container.tenants.require('carbon.super')
        const names = ['srv-1', 'srv-2', 'srv-3']
        for (const name of names)
          await container.users.create(
            tenant,
            { username: name, claims: { [EMAIL]: `${name}@cli.example` } },
            cliActor,
          )
        const created = await container.bulkResets.create(
          tenant,
          { userNames: names, mode: 'email-otp' },
          { actor: cliActor, channel: 'cli' },
        )
        await container.bulkResetRunner
          .withOptions({ batchSize: 1, parallelBatches: 1 })
          .runJob(created.id, async () => {
            await container.store.db
              .updateTable('bulk_reset_jobs')
              .set({ lease_owner: 'a-process-that-died', lease_expires_at: 0 })
              .where('id', '=', created.id)
              .execute()
          })
        return created.id
      })
      const before = await inspect((container) =>
        container.store.db
          .selectFrom('bulk_reset_jobs')
          .selectAll()
          .where('id', '=', jobId)
          .executeTakeFirstOrThrow(),
      )
      assert.deepEqual([before.status, before.done], ['running', 1])
      const port = await freePort()
      const server = startServe({ ...env, REKEY_PORT: String(port) })
      try {
        const finished = await waitFor(
          'the job to complete',
          () =>
            inspect(async (container) => {
              const job = await container.store.db
                .selectFrom('bulk_reset_jobs')
                .selectAll()
                .where('id', '=', jobId)
                .executeTakeFirst()
              return job?.status === 'completed' ? job : undefined
            }),
          60_000,
        )
        assert.equal(finished.done, 3)
        const messages = await inspect((container) =>
          container.store.db
            .selectFrom('outbox_messages')
            .select('recipient')
            .where('recipient', 'like', 'srv-%')
            .execute(),
        )
        assert.equal(messages.length, 3, 'one message per user: none twice')
      } finally {
        await server.stop()
      }
    })
  })
}

describe('rekey force-reset: usage errors exit 2 before anything runs', () => {
  const dir = tempDir('rekey-cli-bulk-usage-')
  const notIds = join(dir, 'names.txt')
  writeFileSync(notIds, '3f1c5b8e-2f4a-4c1e-9d7a-0b6f1e2d3c4a\nalex\n')
  const cases: Array<[string[], RegExp]> = [
    [['force-reset'], /name the users: --filter/],
    [
      ['force-reset', '--filter', 'userName pr', '--ids-file', notIds],
      /cannot be used with option '--ids-file/,
    ],
    [
      ['force-reset', '--filter', 'userName pr', '--mode', 'sms'],
      /Allowed choices are email-link, email-otp, offline-otp/,
    ],
    [['force-reset', '--filter', 'userName pr', '--batch-size', '0'], /--batch-size.*integer from 1 to 5000/],
    [['force-reset', '--ids-file', join(dir, 'missing.txt')], /cannot read --ids-file .*no such file/],
    [['force-reset', '--ids-file', notIds], /line 2 is not a user id \(UUID\): "alex"/],
  ]
  after(() => rmSync(dir, { recursive: true, force: true }))
  for (const [args, message] of cases) {
    it(`rekey ${args.join(' ')}`, async () => {
      const answer = await runCliInProcess(args)
      assert.equal(answer.code, 2, answer.err)
      assert.match(answer.err, message)
      assert.equal(answer.out, '')
    })
  }
})
