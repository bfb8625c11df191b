import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.ts'
import { configFields } from '../../src/config/fields.ts'
import { loadConfig } from '../../src/config/load.ts'
import { publicUrl } from '../../src/config/semantics.ts'
import { tempDir } from '../support/config.ts'
import { selfSignedPair } from '../support/tls.ts'

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

  it('refuses a default password pattern that is unsafe or undescribed', () => {
    const unsafe = problemsOf(() =>
      load({ REKEY_PASSWORDS_PATTERN: '(a+)+$', REKEY_PASSWORDS_PATTERN_DESCRIPTION: 'letters' }),
    )
    assert.equal(unsafe[0]!.key, 'passwords.pattern')
    const undescribed = problemsOf(() => load({ REKEY_PASSWORDS_PATTERN: '\\d' }))
    assert.equal(undescribed[0]!.key, 'passwords.pattern_description')
    const good = load({ REKEY_PASSWORDS_PATTERN: '\\d', REKEY_PASSWORDS_PATTERN_DESCRIPTION: 'a digit' })
    assert.equal(good.config.passwords.pattern, '\\d')
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

  it('lets the environment override the file for each fixed name', () => {
    const file = [
      '[server]',
      'host = "localhost"',
      'port = 7000',
      'public_url = "https://file.example.com"',
      '[storage]',
      'data_dir = "/tmp/rekey-from-file"',
      'database_url = "postgres://file@db/rekey"',
      '[admin]',
      'initial_password = "from-file-password"',
      '[smtp]',
      'url = "smtp://file-relay:25"',
      '',
    ].join('\n')
    const fromFile = load({}, file).config
    assert.deepEqual(
      [
        fromFile.server.host,
        fromFile.server.port,
        fromFile.server.public_url,
        fromFile.storage.data_dir,
        fromFile.storage.database_url,
        fromFile.admin.initial_password,
        fromFile.smtp.url,
      ],
      [
        'localhost',
        7000,
        'https://file.example.com',
        '/tmp/rekey-from-file',
        'postgres://file@db/rekey',
        'from-file-password',
        'smtp://file-relay:25',
      ],
    )
    const fromEnv = load(
      {
        REKEY_HOST: '127.0.0.2',
        REKEY_PORT: '7001',
        REKEY_PUBLIC_URL: 'https://env.example.com',
        REKEY_DATA_DIR: '/tmp/rekey-from-env',
        DATABASE_URL: 'postgres://env@db/rekey',
        REKEY_ADMIN_PASSWORD: 'from-env-password',
        REKEY_SMTP_URL: 'smtp://env-relay:25',
      },
      file,
    ).config
    assert.deepEqual(
      [
        fromEnv.server.host,
        fromEnv.server.port,
        fromEnv.server.public_url,
        fromEnv.storage.data_dir,
        fromEnv.storage.database_url,
        fromEnv.admin.initial_password,
        fromEnv.smtp.url,
      ],
      [
        '127.0.0.2',
        7001,
        'https://env.example.com',
        '/tmp/rekey-from-env',
        'postgres://env@db/rekey',
        'from-env-password',
        'smtp://env-relay:25',
      ],
    )
  })

  it('resolves a relative data directory against the working directory', () => {
    const cwd = tempDir('rekey-config-')
    assert.equal(
      loadConfig({ env: { REKEY_DATA_DIR: 'state' }, cwd }).config.storage.data_dir,
      join(cwd, 'state'),
    )
  })

  it('treats an empty environment variable as unset', () => {
    const { config } = load({ REKEY_PORT: '', REKEY_HOST: '' }, '[server]\nport = 7000\n')
    assert.equal(config.server.port, 7000)
    assert.equal(config.server.host, '127.0.0.1')
  })

  it('prefers --config over REKEY_CONFIG', () => {
    const dir = tempDir('rekey-config-')
    writeFileSync(join(dir, 'explicit.toml'), '[server]\nport = 6001\n')
    writeFileSync(join(dir, 'from-env.toml'), '[server]\nport = 6002\n')
    const loaded = loadConfig({ path: 'explicit.toml', env: { REKEY_CONFIG: 'from-env.toml' }, cwd: dir })
    assert.equal(loaded.config.server.port, 6001)
    assert.equal(loaded.file, join(dir, 'explicit.toml'))
  })

  it('names the exact file that is not valid TOML, and only that', () => {
    const dir = tempDir('rekey-config-')
    const path = join(dir, 'broken.toml')
    writeFileSync(path, '[server]\nport = = 1\n')
    const problems = problemsOf(() => loadConfig({ path, env: { REKEY_PORT: 'abc' }, cwd: dir }))
    assert.equal(problems.length, 1)
    assert.equal(problems[0]!.key, path)
    assert.match(problems[0]!.reason, /^not valid TOML: /)
  })

  it('puts the key, its source and the reason in the message', () => {
    try {
      load({ REKEY_PORT: 'abc' }, '[server]\nprot = 1\n')
      assert.fail('expected a ConfigError')
    } catch (error) {
      assert.ok(error instanceof ConfigError)
      assert.match(error.message, /^Invalid configuration:\n/)
      assert.match(error.message, /^ {2}- server\.prot \(config file\): unknown key$/m)
      assert.match(error.message, /^ {2}- server\.port \(REKEY_PORT\): must be an integer, got "abc"$/m)
    }
  })

  it('names the variable or the file that asked for a non-loopback address', () => {
    const fromEnv = problemsOf(() => load({ REKEY_HOST: '0.0.0.0' }))
    assert.deepEqual(
      fromEnv.map((problem) => [problem.key, problem.source]),
      [['server.host', 'REKEY_HOST']],
    )
    assert.match(fromEnv[0]!.reason, /^refusing to listen on non-loopback address 0\.0\.0\.0 without TLS/)
    const fromFile = problemsOf(() => load({}, '[server]\nhost = "192.0.2.10"\n'))
    assert.deepEqual(
      fromFile.map((problem) => [problem.key, problem.source]),
      [['server.host', 'config file']],
    )
    for (const host of ['::', '10.0.0.1', 'id.example.com'])
      assert.equal(problemsOf(() => load({ REKEY_HOST: host }))[0]!.key, 'server.host', host)
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1'])
      assert.equal(load({ REKEY_HOST: host }).config.server.host, host)
    assert.equal(load({}, '[server]\nhost = "0.0.0.0"\nbehind_proxy = true\n').config.server.host, '0.0.0.0')
  })

  it('accepts only PostgreSQL URLs for the database', () => {
    assert.equal(
      load({ DATABASE_URL: 'postgresql://u@db/rekey' }).config.storage.database_url,
      'postgresql://u@db/rekey',
    )
    for (const url of ['mysql://u@db/rekey', 'sqlite:///tmp/x.db', 'db.internal:5432'])
      assert.deepEqual(
        problemsOf(() => load({ DATABASE_URL: url })).map((problem) => [problem.key, problem.source]),
        [['storage.database_url', 'DATABASE_URL']],
        url,
      )
  })
})

describe('TLS configuration', () => {
  it('needs both a certificate and a key, naming the one that is missing', () => {
    const dir = tempDir('rekey-config-tls-')
    const present = join(dir, 'present.pem')
    writeFileSync(present, 'x')
    const certOnly = problemsOf(() => load({ REKEY_TLS_CERT_FILE: present }))
    assert.deepEqual(
      certOnly.map((problem) => [problem.key, problem.reason]),
      [['server.tls_key_file', 'TLS needs both tls_cert_file and tls_key_file']],
    )
    const keyOnly = problemsOf(() => load({}, `[server]\ntls_key_file = "${present}"\n`))
    assert.deepEqual(
      keyOnly.map((problem) => [problem.key, problem.reason]),
      [['server.tls_cert_file', 'TLS needs both tls_cert_file and tls_key_file']],
    )
    const missing = problemsOf(() =>
      load({ REKEY_TLS_CERT_FILE: join(dir, 'nope.pem'), REKEY_TLS_KEY_FILE: present }),
    )
    assert.deepEqual(
      missing.map((problem) => [problem.key, problem.source]),
      [['server.tls_cert_file', 'REKEY_TLS_CERT_FILE']],
    )
    assert.match(missing[0]!.reason, /file not found: .*nope\.pem/)
  })

  it('checks that the files hold a certificate and its key', (t) => {
    const dir = tempDir('rekey-config-tls-')
    const one = selfSignedPair(dir, 'one')
    const other = selfSignedPair(dir, 'other')
    if ('skip' in one || 'skip' in other) {
      t.skip('skip' in one ? one.skip : 'skip' in other ? other.skip : '')
      return
    }
    const garbage = join(dir, 'garbage.pem')
    writeFileSync(garbage, 'not a certificate\n')
    const tls = (cert: string, key: string, host = '127.0.0.1') =>
      load({ REKEY_TLS_CERT_FILE: cert, REKEY_TLS_KEY_FILE: key, REKEY_HOST: host })

    // A usable pair turns HTTPS on, which also allows a non-loopback address.
    const { config } = tls(one.cert, one.key, '0.0.0.0')
    assert.equal(publicUrl(config), 'https://0.0.0.0:8080')

    assert.deepEqual(
      problemsOf(() => tls(garbage, one.key)).map((problem) => [problem.key, problem.reason]),
      [['server.tls_cert_file', 'is not a PEM certificate']],
    )
    assert.deepEqual(
      problemsOf(() => tls(one.cert, garbage)).map((problem) => [problem.key, problem.reason]),
      [['server.tls_key_file', 'is not an unencrypted PEM private key']],
    )
    // The key given as the certificate, the certificate as the key.
    assert.deepEqual(
      problemsOf(() => tls(one.key, one.cert)).map((problem) => problem.key),
      ['server.tls_cert_file', 'server.tls_key_file'],
    )
    const mismatched = problemsOf(() => tls(one.cert, other.key))
    assert.deepEqual(
      mismatched.map((problem) => [problem.key, problem.source, problem.reason]),
      [['server.tls_key_file', 'REKEY_TLS_KEY_FILE', 'does not match the certificate in tls_cert_file']],
    )
    const directory = join(dir, 'a-directory')
    mkdirSync(directory)
    const unreadable = problemsOf(() => tls(directory, one.key))
    assert.equal(unreadable[0]!.key, 'server.tls_cert_file')
    assert.match(unreadable[0]!.reason, /^cannot be read: /)
  })

  it('resolves relative certificate paths against the working directory', (t) => {
    const cwd = tempDir('rekey-config-tls-')
    const pair = selfSignedPair(cwd)
    if ('skip' in pair) {
      t.skip(pair.skip)
      return
    }
    const { config } = loadConfig({
      env: { REKEY_TLS_CERT_FILE: 'server-cert.pem', REKEY_TLS_KEY_FILE: 'server-key.pem' },
      cwd,
    })
    assert.equal(config.server.tls_cert_file, pair.cert)
    assert.equal(config.server.tls_key_file, pair.key)
  })
})
