import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { loadConfig } from '../../src/config/load.ts'
import { buildContainer, type Container } from '../../src/container.ts'
import { AppError } from '../../src/errors/app-error.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { cliStoreVariants, postgresUrl, withPostgres } from '../support/cli-stores.ts'
import { tempDir } from '../support/config.ts'
import { type CliResult, runCli } from '../support/processes.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'
const DN = 'http://wso2.org/claims/dn'

const variants = cliStoreVariants

// One scenario per store, in order: each step builds on the previous ones, as an operator's
// session at the command line would. Every step is a real `rekey` process.
for (const variant of variants) {
  describe(`${variant.name}: the rekey command line`, { skip: variant.skip, timeout: 600_000 }, () => {
    const dir = tempDir('rekey-cli-')
    const schema = `rekey_cli_${randomBytes(6).toString('hex')}`
    // No REKEY_ADMIN_PASSWORD: the first command creates the administrator with a generated one.
    const env: Record<string, string> = { REKEY_DATA_DIR: join(dir, 'data') }
    let firstRun = true
    let defaultAdminPassword = ''

    /** Runs `rekey …`; after the first command, none may print an administrator password. */
    async function cli(args: string[], input?: string): Promise<CliResult> {
      const result = await runCli(args, env, input)
      if (!firstRun) assert.doesNotMatch(result.stderr, /Password:/, `rekey ${args.join(' ')}`)
      firstRun = false
      return result
    }

    before(async () => {
      if (variant.name === 'postgres') {
        await withPostgres((client) => client.query(`create schema ${schema}`))
        // The schema is chosen by the URL alone, as an operator would: libpq's `options`.
        env.DATABASE_URL = `${postgresUrl}?options=-c%20search_path%3D${schema}`
      }
    })
    after(async () => {
      if (variant.name === 'postgres')
        await withPostgres((client) => client.query(`drop schema if exists ${schema} cascade`))
      rmSync(dir, { recursive: true, force: true })
    })

    /** A container on the same store, to check what the commands did without trusting their output. */
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

    async function signIn(tenantDomain: string, username: string, password: string) {
      return inspect(async (container) => {
        const tenant = await container.tenants.require(tenantDomain)
        return container.login.login({
          tenant,
          username,
          password,
          client: { address: null, userAgent: null },
        })
      })
    }

    async function refused(tenantDomain: string, username: string, password: string) {
      await assert.rejects(
        signIn(tenantDomain, username, password),
        (error) => error instanceof AppError && error.code === 'auth.failed',
      )
    }

    it('migrates a new store, printing the generated administrator password once', async () => {
      const result = await cli(['--json', 'migrate'])
      assert.equal(result.code, 0, result.stderr)
      // stdout stays parseable: the password goes to stderr.
      assert.deepEqual(JSON.parse(result.stdout).migrations, [
        '001-foundation',
        '002-scim',
        '003-notifications',
        '004-forced-reset',
        '005-password-history',
        '006-bulk-reset',
        '007-audit-client',
        '008-selfservice',
        '009-audit-filters',
        '010-link-code-index',
        '011-users-fillfactor',
        '012-bulk-targets-without-job-key',
        '013-reset-rows-without-foreign-keys',
        '014-group-external-ids',
        '015-template-snapshots',
        '016-sqlite-ids-without-autoincrement',
        '017-link-selectors',
      ])
      const password = /Password:\s+(\S+)/.exec(result.stderr)?.[1]
      assert.ok(password, result.stderr)
      assert.match(password, /^[A-Za-z0-9]{24}$/)
      assert.equal(result.stderr.split(password).length - 1, 1, 'printed once')
      defaultAdminPassword = password
      await signIn('carbon.super', 'admin', password)
      await refused('carbon.super', 'admin', 'admin')
      if (variant.name === 'postgres') {
        const tables = await withPostgres(
          async (client) =>
            (
              await client.query<{ table_name: string }>(
                'select table_name from information_schema.tables where table_schema = $1',
                [schema],
              )
            ).rows,
        )
        const names = tables.map((row) => row.table_name)
        assert.ok(names.includes('rekey_migrations') && names.includes('users'), names.join(','))
      }
    })

    it('creates roles and users with claims and roles, that the login use case honours', async () => {
      const role = await cli(['role', 'create', 'test role', '--permission', 'login'])
      assert.equal(role.code, 0, role.stderr)
      assert.match(role.stdout, /^NAME\s+PERMISSIONS\s+BUILTIN$/m)
      assert.match(role.stdout, /^test role\s+login\s+false$/m)
      const user = await cli(
        [
          '--json',
          'user',
          'create',
          'alex',
          '--password-stdin',
          '--claim',
          `${EMAIL}=alex@example.com`,
          '--claim',
          `${DN}=cn=alex,ou=people`,
          '--role',
          'test role',
        ],
        'Tidal-Orchid-81\n',
      )
      assert.equal(user.code, 0, user.stderr)
      const created = JSON.parse(user.stdout)
      assert.match(created.id, /^[0-9a-f-]{36}$/)
      assert.equal(created.username, 'alex')
      assert.equal(created.claims[EMAIL], 'alex@example.com')
      assert.equal(created.claims[DN], 'cn=alex,ou=people', 'a claim value may contain "="')
      assert.ok(!user.stdout.includes('Tidal-Orchid-81'))

      const shown = await cli(['--json', 'user', 'show', 'alex'])
      assert.deepEqual(JSON.parse(shown.stdout).roles, ['test role'])
      const shownById = await cli(['user', 'show', created.id])
      assert.match(shownById.stdout, /^FIELD\s+VALUE$/m)
      assert.match(shownById.stdout, /^username\s+alex$/m)
      assert.match(
        shownById.stdout,
        new RegExp(`^${EMAIL.replaceAll('.', '\\.')}\\s+alex@example\\.com$`, 'm'),
      )

      const table = await cli(['user', 'list'])
      assert.match(table.stdout, /^ID\s+USERNAME\s+STATUS/)
      assert.match(table.stdout, /\sadmin\s+active/)
      assert.match(table.stdout, /\salex\s+active/)
      // The trailing newline from standard input is not part of the password.
      const session = await signIn('carbon.super', 'alex', 'Tidal-Orchid-81')
      assert.match(session.token, /^rks_/)
    })

    it('assigns a role to a user created without one; without it, sign-in is not permitted', async () => {
      const created = await cli(['user', 'create', 'PRIMARY/blake', '--password-stdin'], 'Granite-Heron-51')
      assert.equal(created.code, 0, created.stderr)
      await assert.rejects(
        signIn('carbon.super', 'blake', 'Granite-Heron-51'),
        (error) => error instanceof AppError && error.code === 'auth.login-not-permitted',
      )
      const assign = await cli(['--json', 'role', 'assign', 'test role', 'blake'])
      assert.equal(assign.code, 0, assign.stderr)
      const answer = JSON.parse(assign.stdout)
      assert.equal(answer.role, 'test role')
      assert.deepEqual(answer.members.map((member: { username: string }) => member.username).sort(), [
        'alex',
        'blake',
      ])
      await signIn('carbon.super', 'blake', 'Granite-Heron-51')
    })

    it('sets passwords from standard input, locks and unlocks', async () => {
      const set = await cli(['user', 'set-password', 'alex', '--password-stdin'], 'Tidal-Orchid-82\r\n')
      assert.equal(set.code, 0, set.stderr)
      await refused('carbon.super', 'alex', 'Tidal-Orchid-81')
      await signIn('carbon.super', 'alex', 'Tidal-Orchid-82')

      const locked = await cli(['--json', 'user', 'lock', 'alex', '--reason', 'stolen-laptop'])
      assert.equal(locked.code, 0, locked.stderr)
      assert.equal(JSON.parse(locked.stdout).status, 'locked')
      assert.equal(JSON.parse(locked.stdout).lockReason, 'stolen-laptop')
      await refused('carbon.super', 'alex', 'Tidal-Orchid-82')

      const unlocked = await cli(['user', 'unlock', 'alex'])
      assert.equal(unlocked.code, 0, unlocked.stderr)
      assert.match(unlocked.stdout, /\salex\s+active/)
      await signIn('carbon.super', 'alex', 'Tidal-Orchid-82')
    })

    it('grants permissions and lists roles', async () => {
      const granted = await cli(['role', 'grant', 'test role', 'users:read', 'login'])
      assert.equal(granted.code, 0, granted.stderr)
      const roles = JSON.parse((await cli(['--json', 'role', 'list'])).stdout).roles
      assert.deepEqual(roles.find((role: { name: string }) => role.name === 'test role').permissions, [
        'login',
        'users:read',
      ])
      assert.ok(
        roles.some((role: { builtin: boolean }) => role.builtin),
        'the administrator role is listed',
      )
    })

    it('prints an API token once; lists never show it; revoke ends it', async () => {
      const created = await cli(['token', 'create', '--name', 'ci', '--scope', 'users:read'])
      assert.equal(created.code, 0, created.stderr)
      // Only the token on stdout, so `TOKEN=$(rekey token create …)` works.
      const token = created.stdout.trim()
      assert.match(token, /^rkt_[A-Za-z0-9_-]{43}$/)
      assert.match(created.stderr, /shown once/)
      assert.ok(!created.stderr.includes(token))

      const json = await cli(['--json', 'token', 'create', '--name', 'deploy', '--expires-in-days', '30'])
      assert.equal(json.code, 0, json.stderr)
      const second = JSON.parse(json.stdout)
      assert.match(second.token, /^rkt_/)
      const days = (Date.parse(second.expiresAt) - Date.parse(second.createdAt)) / 86_400_000
      assert.equal(days, 30)
      assert.ok(second.scopes.includes('users:write'), 'default scope: every administrator permission')

      const listed = await cli(['--json', 'token', 'list'])
      const table = await cli(['token', 'list'])
      for (const output of [listed.stdout, table.stdout]) {
        assert.ok(!output.includes(token) && !output.includes(second.token), 'token values are never listed')
        assert.ok(!output.includes(token.slice(4, 20)), 'not even in part')
      }
      const entries = JSON.parse(listed.stdout).tokens as Array<{
        id: string
        name: string
        scopes: string[]
      }>
      const entry = entries.find((candidate) => candidate.name === 'ci')!
      assert.deepEqual(entry.scopes, ['users:read'])
      assert.match(table.stdout, new RegExp(`^${entry.id}\\s+ci\\s+users:read\\s`, 'm'))
      await inspect(async (container) => {
        const tenant = await container.tenants.require('carbon.super')
        assert.ok(await container.tokens.authenticate(tenant, token))
        assert.ok(await container.tokens.authenticate(tenant, second.token))
      })

      const revoked = await cli(['token', 'revoke', entry.id])
      assert.equal(revoked.code, 0, revoked.stderr)
      await inspect(async (container) => {
        const tenant = await container.tenants.require('carbon.super')
        assert.equal(await container.tokens.authenticate(tenant, token), undefined)
        assert.ok(await container.tokens.authenticate(tenant, second.token), 'the other token still works')
      })
    })

    it('creates tenants and acts on them with --tenant', async () => {
      const created = await cli(['--json', 'tenant', 'create', 'example.com', '--display-name', 'Example'])
      assert.equal(created.code, 0, created.stderr)
      const answer = JSON.parse(created.stdout)
      assert.equal(answer.domain, 'example.com')
      assert.equal(answer.adminUsername, 'admin')
      assert.match(answer.adminPassword, /^[A-Za-z0-9]{24}$/)
      assert.ok(!created.stderr.includes(answer.adminPassword), 'printed once: in the JSON answer only')
      assert.notEqual(answer.adminPassword, defaultAdminPassword)
      await signIn('example.com', 'admin', answer.adminPassword)

      const list = JSON.parse((await cli(['--json', 'tenant', 'list'])).stdout)
      assert.deepEqual(
        list.tenants.map((tenant: { domain: string }) => tenant.domain),
        ['carbon.super', 'example.com'],
      )
      const alex = await cli(
        ['--tenant', 'example.com', 'user', 'create', 'alex', '--password-stdin'],
        'other-password-1',
      )
      assert.equal(alex.code, 0, alex.stderr)
      const users = JSON.parse((await cli(['--json', '--tenant', 'example.com', 'user', 'list'])).stdout)
      assert.deepEqual(
        users.users.map((user: { username: string }) => user.username),
        ['admin', 'alex'],
      )
      // The two tenants' alex are different users.
      await refused('example.com', 'alex', 'Tidal-Orchid-82')
      await refused('carbon.super', 'alex', 'other-password-1')

      const human = await cli(['tenant', 'create', 'second.example'])
      assert.equal(human.code, 0, human.stderr)
      assert.match(human.stdout, /^DOMAIN\s+DISPLAYNAME\s+STATUS/)
      const printed = /admin \/ ([A-Za-z0-9]{24})/.exec(human.stderr)?.[1]
      assert.ok(printed, human.stderr)
      assert.equal((human.stdout + human.stderr).split(printed).length - 1, 1, 'printed once')
      await signIn('second.example', 'admin', printed)

      const chosen = await cli(
        ['--json', 'tenant', 'create', 'third.example', '--admin-password-stdin'],
        'Third-Operator-Pass-1\n',
      )
      assert.equal(chosen.code, 0, chosen.stderr)
      assert.equal(JSON.parse(chosen.stdout).adminPassword, undefined, 'nothing generated, nothing printed')
      assert.ok(!(chosen.stdout + chosen.stderr).includes('Third-Operator-Pass-1'))
      await signIn('third.example', 'admin', 'Third-Operator-Pass-1')
    })

    it('exits with the documented codes', async () => {
      const duplicate = await cli(['user', 'create', 'ALEX', '--password-stdin'], 'long-enough-1')
      assert.equal(duplicate.code, 5, `duplicate user: conflict\n${duplicate.stderr}`)
      assert.match(duplicate.stderr, /user\.exists/)
      assert.equal((await cli(['tenant', 'create', 'example.com'])).code, 5, 'duplicate tenant: conflict')
      const weak = await cli(['user', 'create', 'weakling', '--password-stdin'], 'short')
      assert.equal(weak.code, 6, 'weak password: rejected')
      assert.match(weak.stderr, /password\.weak/)
      const missing = await cli(['user', 'show', 'nobody'])
      assert.equal(missing.code, 4, 'not found')
      assert.match(missing.stderr, /user\.not-found/)
      assert.equal((await cli(['role', 'assign', 'no such role', 'alex'])).code, 4, 'unknown role')
      assert.equal((await cli(['--tenant', 'missing.example', 'user', 'list'])).code, 4, 'unknown tenant')
      const usage = await cli(['frobnicate'])
      assert.equal(usage.code, 2, 'unknown command: usage')
      assert.match(usage.stderr, /unknown command 'frobnicate'/)
      assert.equal((await cli(['user', 'create'])).code, 2, 'missing argument: usage')
      const config = await runCli(['user', 'list'], { ...env, REKEY_PORT: 'x' })
      assert.equal(config.code, 3, 'bad configuration')
      assert.match(config.stderr, /server\.port \(REKEY_PORT\): must be an integer/)
      await inspect(async (container) => {
        const tenant = await container.tenants.require('carbon.super')
        const { users } = await container.users.list(tenant, { limit: 100, offset: 0 })
        assert.ok(!users.some((user) => user.username === 'weakling'), 'a refused create leaves nothing')
      })
    })

    it('deletes users', async () => {
      const deleted = await cli(['user', 'delete', 'alex'])
      assert.equal(deleted.code, 0, deleted.stderr)
      assert.equal((await cli(['user', 'show', 'alex'])).code, 4)
      await refused('carbon.super', 'alex', 'Tidal-Orchid-82')
      // The other tenant's alex is untouched: the password is still verified (then refused for
      // want of a role with the login permission).
      await assert.rejects(
        signIn('example.com', 'alex', 'other-password-1'),
        (error) => error instanceof AppError && error.code === 'auth.login-not-permitted',
      )
    })
  })
}

describe('the rekey command line with an unreachable store', () => {
  it('exits 7 naming the store, without its password', async () => {
    const dir = tempDir('rekey-cli-unreachable-')
    const result = await runCli(['user', 'list'], {
      REKEY_DATA_DIR: join(dir, 'data'),
      DATABASE_URL: 'postgres://postgres:store-secret@127.0.0.1:1/test',
      REKEY_STORAGE_CONNECT_TIMEOUT_MS: '500',
    })
    rmSync(dir, { recursive: true, force: true })
    assert.equal(result.code, 7, result.stderr)
    assert.match(
      result.stderr,
      /store\.unavailable: The store postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test/,
    )
    assert.ok(!result.stderr.includes('store-secret'))
  })
})
