import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { loadConfig } from '../../src/config/load.ts'
import { buildContainer } from '../../src/container.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { tempDir } from '../support/config.ts'
import { runCli } from '../support/processes.ts'

const postgresUrl = process.env.REKEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const EMAIL = 'http://wso2.org/claims/emailaddress'

const variants = [
  { name: 'sqlite', skip: false as string | false },
  {
    name: 'postgres',
    skip:
      process.env.REKEY_TEST_POSTGRES === 'skip'
        ? 'PostgreSQL is not reachable here'
        : (false as string | false),
  },
]

for (const variant of variants) {
  describe(`${variant.name}: the rekey command line`, { skip: variant.skip }, () => {
    const dir = tempDir('rekey-cli-')
    const schema = `rekey_cli_${randomBytes(6).toString('hex')}`
    const env: Record<string, string> = {
      REKEY_DATA_DIR: join(dir, 'data'),
      REKEY_ADMIN_PASSWORD: 'cli-admin-password-1',
    }
    const cli = (args: string[], input?: string) => runCli(args, env, input)

    before(async () => {
      if (variant.name === 'postgres') {
        const client = new pg.Client({ connectionString: postgresUrl })
        await client.connect()
        await client.query(`create schema ${schema}`)
        await client.end()
        const url = new URL(postgresUrl)
        url.searchParams.set('options', `-c search_path=${schema}`)
        env.DATABASE_URL = url.toString()
      }
    })
    after(async () => {
      if (variant.name === 'postgres') {
        const client = new pg.Client({ connectionString: postgresUrl })
        await client.connect()
        await client.query(`drop schema if exists ${schema} cascade`)
        await client.end()
      }
      rmSync(dir, { recursive: true, force: true })
    })

    /** A container on the same store, to check what the commands did without trusting their output. */
    async function inspect<T>(
      work: (container: ReturnType<typeof buildContainer>) => Promise<T>,
    ): Promise<T> {
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

    it('applies migrations and reports them', async () => {
      const result = await cli(['--json', 'migrate'])
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(JSON.parse(result.stdout).migrations, ['001-foundation'])
    })

    it('creates users, roles and assignments that the login use case honours', async () => {
      const role = await cli(['role', 'create', 'test role', '--permission', 'login'])
      assert.equal(role.code, 0, role.stderr)
      assert.match(role.stdout, /test role\s+login/)
      const user = await cli(
        ['--json', 'user', 'create', 'alex', '--password-stdin', '--claim', `${EMAIL}=alex@example.com`],
        'alex-password-1\n',
      )
      assert.equal(user.code, 0, user.stderr)
      const created = JSON.parse(user.stdout)
      assert.equal(created.claims[EMAIL], 'alex@example.com')
      const assign = await cli(['role', 'assign', 'test role', 'alex'])
      assert.equal(assign.code, 0, assign.stderr)
      const shown = JSON.parse((await cli(['--json', 'user', 'show', 'alex'])).stdout)
      assert.deepEqual(shown.roles, ['test role'])
      const table = await cli(['user', 'list'])
      assert.match(table.stdout, /^ID\s+USERNAME\s+STATUS/)
      assert.match(table.stdout, /alex\s+active/)
      await inspect(async (container) => {
        const tenant = await container.tenants.require('carbon.super')
        const session = await container.login.login({
          tenant,
          username: 'alex',
          password: 'alex-password-1',
          client: { address: null, userAgent: null },
        })
        assert.match(session.token, /^rks_/)
      })
    })

    it('sets passwords from standard input, locks and unlocks', async () => {
      assert.equal(
        (await cli(['user', 'set-password', 'alex', '--password-stdin'], 'alex-password-2')).code,
        0,
      )
      const locked = await cli(['--json', 'user', 'lock', 'alex', '--reason', 'stolen-laptop'])
      assert.equal(JSON.parse(locked.stdout).lockReason, 'stolen-laptop')
      await inspect(async (container) => {
        const tenant = await container.tenants.require('carbon.super')
        await assert.rejects(
          container.login.login({
            tenant,
            username: 'alex',
            password: 'alex-password-2',
            client: { address: null, userAgent: null },
          }),
        )
      })
      assert.equal(JSON.parse((await cli(['--json', 'user', 'unlock', 'alex'])).stdout).status, 'active')
      await inspect(async (container) => {
        const tenant = await container.tenants.require('carbon.super')
        await container.login.login({
          tenant,
          username: 'alex',
          password: 'alex-password-2',
          client: { address: null, userAgent: null },
        })
      })
    })

    it('grants permissions and lists roles', async () => {
      assert.equal((await cli(['role', 'grant', 'test role', 'users:read'])).code, 0)
      const roles = JSON.parse((await cli(['--json', 'role', 'list'])).stdout).roles
      assert.deepEqual(roles.find((role: { name: string }) => role.name === 'test role').permissions, [
        'login',
        'users:read',
      ])
    })

    it('prints an API token once; lists never show it; revoke ends it', async () => {
      const created = await cli(['token', 'create', '--name', 'ci', '--scope', 'users:read'])
      assert.equal(created.code, 0, created.stderr)
      const token = created.stdout.trim()
      assert.match(token, /^rkt_[A-Za-z0-9_-]{43}$/)
      const listed = await cli(['--json', 'token', 'list'])
      assert.ok(!listed.stdout.includes(token))
      const [entry] = JSON.parse(listed.stdout).tokens
      assert.deepEqual(entry.scopes, ['users:read'])
      await inspect(async (container) => {
        const tenant = await container.tenants.require('carbon.super')
        assert.ok(await container.tokens.authenticate(tenant, token))
      })
      assert.equal((await cli(['token', 'revoke', entry.id])).code, 0)
      await inspect(async (container) => {
        const tenant = await container.tenants.require('carbon.super')
        assert.equal(await container.tokens.authenticate(tenant, token), undefined)
      })
    })

    it('creates tenants and acts on them with --tenant', async () => {
      const created = await cli(['--json', 'tenant', 'create', 'example.com'])
      assert.equal(created.code, 0, created.stderr)
      const answer = JSON.parse(created.stdout)
      assert.equal(answer.domain, 'example.com')
      assert.match(answer.adminPassword, /^[A-Za-z0-9]{24}$/)
      const list = JSON.parse((await cli(['--json', 'tenant', 'list'])).stdout)
      assert.deepEqual(
        list.tenants.map((tenant: { domain: string }) => tenant.domain),
        ['carbon.super', 'example.com'],
      )
      assert.equal(
        (
          await cli(
            ['--tenant', 'example.com', 'user', 'create', 'alex', '--password-stdin'],
            'other-password-1',
          )
        ).code,
        0,
      )
      const users = JSON.parse((await cli(['--json', '--tenant', 'example.com', 'user', 'list'])).stdout)
      assert.deepEqual(
        users.users.map((user: { username: string }) => user.username),
        ['admin', 'alex'],
      )
      await inspect(async (container) => {
        const tenant = await container.tenants.require('example.com')
        const session = await container.login.login({
          tenant,
          username: 'admin',
          password: answer.adminPassword,
          client: { address: null, userAgent: null },
        })
        assert.equal(session.user.tenant, 'example.com')
      })
      const human = await cli(['tenant', 'create', 'second.example'])
      assert.match(human.stderr, /admin \/ [A-Za-z0-9]{24}/)
    })

    it('exits with the documented codes', async () => {
      assert.equal(
        (await cli(['user', 'create', 'ALEX', '--password-stdin'], 'long-enough-1')).code,
        5,
        'duplicate: conflict',
      )
      const weak = await cli(['user', 'create', 'weakling', '--password-stdin'], 'short')
      assert.equal(weak.code, 6, 'weak password: rejected')
      assert.match(weak.stderr, /password\.weak/)
      assert.equal((await cli(['user', 'show', 'nobody'])).code, 4, 'not found')
      assert.equal((await cli(['--tenant', 'missing.example', 'user', 'list'])).code, 4, 'unknown tenant')
      assert.equal((await cli(['frobnicate'])).code, 2, 'unknown command: usage')
      assert.equal((await cli(['user', 'create'])).code, 2, 'missing argument: usage')
      assert.equal((await runCli(['user', 'list'], { ...env, REKEY_PORT: 'x' })).code, 3, 'bad configuration')
    })

    it('deletes users', async () => {
      assert.equal((await cli(['user', 'delete', 'alex'])).code, 0)
      assert.equal((await cli(['user', 'show', 'alex'])).code, 4)
    })
  })
}

describe('the rekey command line without a store', () => {
  it('answers --help on every command and --version', async () => {
    const dir = tempDir('rekey-cli-help-')
    const env = { REKEY_DATA_DIR: join(dir, 'data') }
    const version = await runCli(['--version'], env)
    assert.equal(version.code, 0)
    assert.match(version.stdout, /^\d+\.\d+\.\d+/)
    for (const command of [
      [],
      ['serve'],
      ['user'],
      ['user', 'create'],
      ['role', 'assign'],
      ['token', 'create'],
      ['tenant', 'create'],
      ['config', 'check'],
    ]) {
      const help = await runCli([...command, '--help'], env)
      assert.equal(help.code, 0, `rekey ${command.join(' ')} --help`)
      assert.match(help.stdout, /Usage: rekey/)
    }
    rmSync(dir, { recursive: true, force: true })
  })

  it('checks configuration without starting', async () => {
    const dir = tempDir('rekey-cli-config-')
    const good = await runCli(['config', 'check'], {
      REKEY_DATA_DIR: join(dir, 'data'),
      REKEY_ADMIN_PASSWORD: 'secret-never-shown',
    })
    assert.equal(good.code, 0, good.stderr)
    assert.match(good.stdout, /admin\.initial_password\s+REKEY_ADMIN_PASSWORD\s+\(set\)/)
    assert.ok(!good.stdout.includes('secret-never-shown'))
    const bad = await runCli(['config', 'check'], { REKEY_DATA_DIR: join(dir, 'data'), REKEY_PORT: 'eighty' })
    assert.equal(bad.code, 3)
    assert.match(bad.stderr, /server\.port \(REKEY_PORT\): must be an integer/)
    rmSync(dir, { recursive: true, force: true })
  })
})
