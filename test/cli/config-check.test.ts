import assert from 'node:assert/strict'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { tempDir } from '../support/config.ts'
import { runCli } from '../support/processes.ts'

const dir = tempDir('rekey-config-check-')
const dataDir = join(dir, 'data')
after(() => rmSync(dir, { recursive: true, force: true }))

// Values that must never be printed, each in a key marked secret.
const secrets = {
  REKEY_ADMIN_PASSWORD: 'admin-secret-never-shown',
  DATABASE_URL: 'postgres://rekey:db-secret-never-shown@db.internal:5432/rekey',
  REKEY_SMTP_URL: 'smtp://mailer:smtp-secret-never-shown@relay.internal:587',
  REKEY_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
}

function assertNoSecret(text: string): void {
  for (const needle of ['admin-secret-never-shown', 'db-secret-never-shown', 'smtp-secret-never-shown'])
    assert.ok(!text.includes(needle), `${needle} leaked`)
  assert.ok(!text.includes(secrets.REKEY_SECRET_KEY), 'the secret key leaked')
}

describe('rekey config check', () => {
  it('prints the effective values as a table, secrets as "(set)", without opening a store', async () => {
    const result = await runCli(['config', 'check'], { REKEY_DATA_DIR: dataDir, ...secrets })
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stderr, /Configuration is valid \(defaults and environment\)\./)
    assert.match(result.stdout, /^KEY\s+ENV\s+VALUE$/m)
    assert.match(result.stdout, /^server\.host\s+REKEY_HOST\s+127\.0\.0\.1$/m)
    assert.match(result.stdout, /^server\.port\s+REKEY_PORT\s+8080$/m)
    for (const [key, env] of [
      ['admin.initial_password', 'REKEY_ADMIN_PASSWORD'],
      ['storage.database_url', 'DATABASE_URL'],
      ['smtp.url', 'REKEY_SMTP_URL'],
      ['security.secret_key', 'REKEY_SECRET_KEY'],
    ] as const)
      assert.match(result.stdout, new RegExp(`^${key.replace('.', '\\.')}\\s+${env}\\s+\\(set\\)$`, 'm'))
    assertNoSecret(result.stdout + result.stderr)
    assert.equal(existsSync(dataDir), false, 'checking does not start anything')
  })

  it('prints JSON with --json: file values, environment over the file, secrets as "(set)"', async () => {
    const file = join(dir, 'good.toml')
    writeFileSync(
      file,
      '[server]\nport = 7000\nhost = "0.0.0.0"\nbehind_proxy = true\n[passwords]\nmin_length = 12\n',
    )
    const result = await runCli(['--json', '--config', file, 'config', 'check'], {
      REKEY_DATA_DIR: dataDir,
      REKEY_PORT: '7001',
      ...secrets,
    })
    assert.equal(result.code, 0, result.stderr)
    const answer = JSON.parse(result.stdout) as {
      valid: boolean
      file: string
      values: Record<string, unknown>
    }
    assert.equal(answer.valid, true)
    assert.equal(answer.file, file)
    assert.equal(answer.values['server.port'], 7001)
    assert.equal(answer.values['server.host'], '0.0.0.0')
    assert.equal(answer.values['server.behind_proxy'], true)
    assert.equal(answer.values['passwords.min_length'], 12)
    assert.equal(answer.values['storage.data_dir'], dataDir)
    for (const key of ['admin.initial_password', 'storage.database_url', 'smtp.url', 'security.secret_key'])
      assert.equal(answer.values[key], '(set)', key)
    assertNoSecret(result.stdout + result.stderr)
  })

  it('exits 3 naming every bad key, from the file and from the environment', async () => {
    const file = join(dir, 'typo.toml')
    writeFileSync(file, '[server]\nprot = 1\n[passwords]\nmin_length = "twelve"\n')
    const result = await runCli(['config', 'check'], {
      REKEY_DATA_DIR: dataDir,
      REKEY_CONFIG: file,
      REKEY_LOG_LEVEL: 'loud',
    })
    assert.equal(result.code, 3)
    assert.equal(result.stdout, '')
    assert.match(result.stderr, /server\.prot \(config file\): unknown key/)
    assert.match(result.stderr, /passwords\.min_length \(config file\): must be integer/)
    assert.match(result.stderr, /log\.level \(REKEY_LOG_LEVEL\): must be one of fatal, error, warn/)
  })

  it('exits 3 naming a malformed file', async () => {
    const file = join(dir, 'broken.toml')
    writeFileSync(file, '[server\nport = 1\n')
    const broken = await runCli(['--config', file, 'config', 'check'], { REKEY_DATA_DIR: dataDir })
    assert.equal(broken.code, 3)
    assert.ok(broken.stderr.includes(`${file}: not valid TOML`), broken.stderr)
  })

  it('exits 3 refusing a non-loopback address without TLS, and says how to allow it', async () => {
    const result = await runCli(['config', 'check'], { REKEY_DATA_DIR: dataDir, REKEY_HOST: '0.0.0.0' })
    assert.equal(result.code, 3)
    assert.match(
      result.stderr,
      /server\.host \(REKEY_HOST\): refusing to listen on non-loopback address 0\.0\.0\.0 without TLS/,
    )
    assert.match(result.stderr, /server\.behind_proxy = true/)
  })
})
