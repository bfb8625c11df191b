import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.ts'
import { configFields } from '../../src/config/fields.ts'
import { loadConfig } from '../../src/config/load.ts'
import { publicUrl } from '../../src/config/semantics.ts'
import { tempDir } from '../support/config.ts'

function load(env: Record<string, string> = {}, file?: string) {
  const cwd = tempDir('rekey-config-')
  if (file !== undefined) writeFileSync(join(cwd, 'rekey.toml'), file)
  return loadConfig({ env, cwd })
}

function problemsOf(run: () => unknown): Array<{ key: string; source?: string; reason: string }> {
  try {
    run()
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error))
    return error.problems
  }
  assert.fail('expected a ConfigError')
}

describe('configuration', () => {
  it('has working defaults', () => {
    const { config, file } = load()
    assert.equal(file, undefined)
    assert.equal(config.server.host, '127.0.0.1')
    assert.equal(config.server.port, 8080)
    assert.equal(config.storage.database_url, '')
    assert.match(config.storage.data_dir, /\/data$/)
    assert.deepEqual(
      [
        config.passwords.argon2_memory_kib,
        config.passwords.argon2_iterations,
        config.passwords.argon2_parallelism,
      ],
      [19_456, 2, 1],
    )
    assert.equal(publicUrl(config), 'http://127.0.0.1:8080')
  })

  it('takes the fixed environment names', () => {
    const { config } = load({
      REKEY_HOST: 'localhost',
      REKEY_PORT: '9090',
      REKEY_PUBLIC_URL: 'https://id.example.com/',
      REKEY_DATA_DIR: '/tmp/rekey-elsewhere',
      DATABASE_URL: 'postgres://u:p@db:5432/rekey',
      REKEY_ADMIN_PASSWORD: 'from-env-password',
      REKEY_SMTP_URL: 'smtp://relay:25',
    })
    assert.equal(config.server.host, 'localhost')
    assert.equal(config.server.port, 9090)
    assert.equal(publicUrl(config), 'https://id.example.com')
    assert.equal(config.storage.data_dir, '/tmp/rekey-elsewhere')
    assert.equal(config.storage.database_url, 'postgres://u:p@db:5432/rekey')
    assert.equal(config.admin.initial_password, 'from-env-password')
    assert.equal(config.smtp.url, 'smtp://relay:25')
  })

  it('lets every key be overridden from the environment, with unique names', () => {
    const names = configFields.map((field) => field.env)
    assert.equal(new Set(names).size, names.length)
    assert.ok(
      configFields.every((field) => field.description.length > 10),
      'every key is documented',
    )
  })

  it('layers defaults < file < environment', () => {
    const file = '[server]\nport = 7000\nhost = "localhost"\n[passwords]\nmin_length = 12\n'
    assert.equal(load({}, file).config.server.port, 7000)
    assert.equal(load({}, file).config.passwords.min_length, 12)
    const { config } = load({ REKEY_PORT: '7001' }, file)
    assert.equal(config.server.port, 7001)
    assert.equal(config.server.host, 'localhost')
  })

  it('reads the file named by --config or REKEY_CONFIG', () => {
    const dir = tempDir('rekey-config-')
    const path = join(dir, 'custom.toml')
    writeFileSync(path, '[server]\nport = 6000\n')
    assert.equal(loadConfig({ path, env: {}, cwd: dir }).config.server.port, 6000)
    assert.equal(loadConfig({ env: { REKEY_CONFIG: path }, cwd: dir }).config.server.port, 6000)
    const missing = problemsOf(() => loadConfig({ path: join(dir, 'missing.toml'), env: {}, cwd: dir }))
    assert.match(missing[0]!.reason, /not found/)
  })

  it('names an unknown key', () => {
    const problems = problemsOf(() => load({}, '[server]\nprot = 1\n[nonsense]\nx = 1\n'))
    assert.deepEqual(problems.map((problem) => [problem.key, problem.reason]).sort(), [
      ['nonsense', 'unknown key'],
      ['server.prot', 'unknown key'],
    ])
  })

  it('names the key and the source of a wrong type', () => {
    const fromFile = problemsOf(() => load({}, '[server]\nport = "x"\n'))
    assert.equal(fromFile[0]!.key, 'server.port')
    assert.equal(fromFile[0]!.source, 'config file')
    const fromEnv = problemsOf(() => load({ REKEY_PORT: 'abc' }))
    assert.deepEqual(fromEnv[0], {
      key: 'server.port',
      source: 'REKEY_PORT',
      reason: 'must be an integer, got "abc"',
    })
    const outOfRange = problemsOf(() => load({ REKEY_PORT: '70000' }))
    assert.equal(outOfRange[0]!.key, 'server.port')
    const badBoolean = problemsOf(() => load({ REKEY_BEHIND_PROXY: 'maybe' }))
    assert.equal(badBoolean[0]!.source, 'REKEY_BEHIND_PROXY')
    const badEnum = problemsOf(() => load({ REKEY_LOG_LEVEL: 'loud' }))
    assert.match(badEnum[0]!.reason, /one of fatal, error/)
  })

  it('names the file when the TOML is malformed', () => {
    const problems = problemsOf(() => load({}, '[server\nport = 1'))
    assert.match(problems[0]!.key, /rekey\.toml$/)
    assert.match(problems[0]!.reason, /not valid TOML/)
  })

  it('refuses a non-loopback address without TLS unless behind a proxy', () => {
    const problems = problemsOf(() => load({ REKEY_HOST: '0.0.0.0' }))
    assert.equal(problems[0]!.key, 'server.host')
    assert.match(problems[0]!.reason, /without TLS.*behind_proxy/)
    assert.equal(load({ REKEY_HOST: '0.0.0.0', REKEY_BEHIND_PROXY: 'true' }).config.server.behind_proxy, true)
  })

  it('checks rules that span keys', () => {
    assert.equal(
      problemsOf(() => load({ REKEY_TLS_CERT_FILE: '/etc/hostname' }))[0]!.key,
      'server.tls_cert_file',
    )
    assert.equal(problemsOf(() => load({ DATABASE_URL: 'mysql://x' }))[0]!.key, 'storage.database_url')
    assert.equal(problemsOf(() => load({ REKEY_PUBLIC_URL: 'ftp://x' }))[0]!.key, 'server.public_url')
    assert.equal(problemsOf(() => load({ REKEY_SECRET_KEY: 'c2hvcnQ=' }))[0]!.key, 'security.secret_key')
    assert.equal(
      problemsOf(() => load({ REKEY_PASSWORDS_MIN_LENGTH: '200', REKEY_PASSWORDS_MAX_LENGTH: '100' }))[0]!
        .key,
      'passwords.min_length',
    )
  })

  it('reports every problem at once', () => {
    const problems = problemsOf(() =>
      load({ REKEY_PORT: 'x', REKEY_LOG_LEVEL: 'loud' }, '[server]\nprot = 1\n'),
    )
    assert.equal(problems.length, 3)
  })
})
