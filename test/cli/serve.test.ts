import assert from 'node:assert/strict'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { tempDir } from '../support/config.ts'
import {
  exitCodeWithin,
  freePort,
  runCli,
  type ServeProcess,
  startServe,
  waitFor,
} from '../support/processes.ts'
import { selfSignedPair } from '../support/tls.ts'

const running: ServeProcess[] = []
const dirs: string[] = []
const listeners: Server[] = []

interface Started {
  process: ServeProcess
  url: string
  dataDir: string
}

async function serve(env: Record<string, string>, dataDir?: string): Promise<Started> {
  const port = await freePort()
  let data = dataDir
  if (!data) {
    const dir = tempDir('rekey-serve-')
    dirs.push(dir)
    data = join(dir, 'data')
  }
  const process = startServe({ REKEY_PORT: String(port), REKEY_DATA_DIR: data, ...env })
  running.push(process)
  return { process, url: `http://127.0.0.1:${port}`, dataDir: data }
}

async function waitReady({ url, process }: Started): Promise<void> {
  await waitFor(`${url}/readyz`, async () => {
    if (process.child.exitCode !== null)
      throw new Error(`exited with ${process.child.exitCode}:\n${process.output()}`)
    return (await fetch(`${url}/readyz`)).status === 200 ? true : undefined
  })
}

/** Stops a server with SIGTERM and checks that it shut down cleanly. */
async function stopCleanly(process: ServeProcess): Promise<void> {
  process.child.kill('SIGTERM')
  assert.equal(await exitCodeWithin(process, 15_000), 0, process.output())
}

function login(url: string, username: string, password: string) {
  return fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

after(async () => {
  await Promise.all(running.map((process) => process.stop()))
  for (const listener of listeners) listener.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('rekey serve', { timeout: 120_000 }, () => {
  it('prints a generated administrator password once, and never accepts admin:admin', async () => {
    const first = await serve({})
    await waitReady(first)
    const password = await waitFor(
      'the printed password',
      async () => /Password:\s+(\S+)/.exec(first.process.output())?.[1],
    )
    assert.match(password, /^[A-Za-z0-9]{24}$/)
    assert.equal(first.process.output().split(password).length - 1, 1, 'printed once')
    assert.match(first.process.output(), new RegExp(`URL:\\s+${first.url}\\n`))
    assert.match(first.process.output(), /User name: admin\n/)
    assert.equal((await login(first.url, 'admin', password)).status, 200)
    assert.equal((await login(first.url, 'admin', 'admin')).status, 401)
    const adminAdmin = await fetch(`${first.url}/api/admin/users`, {
      headers: { authorization: basic('admin', 'admin') },
    })
    assert.equal(adminAdmin.status, 401)
    await stopCleanly(first.process)

    // A second start on the same data directory creates nothing and prints no password.
    const second = await serve({}, first.dataDir)
    await waitReady(second)
    assert.equal((await login(second.url, 'admin', password)).status, 200)
    await stopCleanly(second.process)
    assert.doesNotMatch(second.process.output(), /Password:/)
    assert.ok(!second.process.output().includes(password))
  })

  it('uses REKEY_ADMIN_PASSWORD and prints no secret; CLI tokens work against the running server', async () => {
    const started = await serve({ REKEY_ADMIN_PASSWORD: 'operator-chosen-password', REKEY_LOG_LEVEL: 'info' })
    const { process, url, dataDir } = started
    await waitReady(started)
    assert.equal((await login(url, 'admin', 'operator-chosen-password')).status, 200)
    assert.equal((await login(url, 'admin', 'wrong-password')).status, 401)
    assert.equal((await login(url, 'admin', 'admin')).status, 401)

    // The CLI works on the store of a running server (SQLite in WAL mode): a token it creates
    // is a Bearer credential the server accepts, within the token's scope, until revoked.
    const cliEnv = { REKEY_DATA_DIR: dataDir }
    const created = await runCli(
      ['--json', 'token', 'create', '--name', 'ops', '--scope', 'users:read'],
      cliEnv,
    )
    assert.equal(created.code, 0, created.stderr)
    const { token, id } = JSON.parse(created.stdout) as { token: string; id: string }
    const users = await fetch(`${url}/api/admin/users`, { headers: { authorization: `Bearer ${token}` } })
    assert.equal(users.status, 200)
    const listed = (await users.json()) as { users: Array<{ username: string }> }
    assert.deepEqual(
      listed.users.map((user) => user.username),
      ['admin'],
    )
    const write = await fetch(`${url}/api/admin/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'casey', password: 'casey-password-1' }),
    })
    assert.equal(write.status, 403, 'outside the token scope')
    assert.equal(((await write.json()) as { code: string }).code, 'auth.forbidden')
    assert.equal((await runCli(['token', 'revoke', id], cliEnv)).code, 0)
    const revoked = await fetch(`${url}/api/admin/users`, { headers: { authorization: `Bearer ${token}` } })
    assert.equal(revoked.status, 401)

    await stopCleanly(process)
    for (const secret of ['operator-chosen-password', 'wrong-password', token])
      assert.ok(!process.output().includes(secret), `${secret.slice(0, 8)}… must not be printed`)
    assert.doesNotMatch(process.output(), /Password:/)
    assert.match(process.output(), /"msg":"administrator \\"admin\\" created with REKEY_ADMIN_PASSWORD"/)
    assert.ok(existsSync(join(dataDir, 'rekey.db')))
  })

  it('keeps running while the store is unreachable: healthy, not ready, 503 problems', async () => {
    const started = await serve({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test',
      REKEY_STORAGE_CONNECT_TIMEOUT_MS: '500',
    })
    const { process, url } = started
    await waitFor('healthz', async () => ((await fetch(`${url}/healthz`)).status === 200 ? true : undefined))
    const ready = await fetch(`${url}/readyz`)
    assert.equal(ready.status, 503)
    assert.deepEqual(await ready.json(), { status: 'not-ready', store: 'unreachable' })
    const admin = await fetch(`${url}/api/admin/users`, { headers: { authorization: basic('admin', 'x') } })
    assert.equal(admin.status, 503)
    assert.equal(admin.headers.get('content-type'), 'application/problem+json; charset=utf-8')
    const problem = (await admin.json()) as { code: string; status: number }
    assert.equal(problem.code, 'store.unavailable')
    assert.equal(problem.status, 503)
    const signIn = await login(url, 'admin', 'x')
    assert.equal(signIn.status, 503)
    assert.equal(((await signIn.json()) as { code: string }).code, 'store.unavailable')
    await waitFor('a second retry in the log', async () =>
      /"attempt":2[,}].*store unreachable; retrying/.test(process.output()) ? true : undefined,
    )
    assert.equal(process.child.exitCode, null, 'still running')
    assert.equal((await fetch(`${url}/healthz`)).status, 200)
    // Stopping while it waits for the store is a clean stop.
    await stopCleanly(process)
  })

  it('refuses to start on bad configuration, naming each key', async () => {
    const dir = tempDir('rekey-serve-config-')
    dirs.push(dir)
    const file = join(dir, 'rekey.toml')
    writeFileSync(file, '[server]\nprot = 1\n')
    const { process } = await serve({ REKEY_CONFIG: file, REKEY_PORT: 'eighty' })
    assert.equal(await exitCodeWithin(process), 3)
    assert.match(process.output(), /server\.prot \(config file\): unknown key/)
    assert.match(process.output(), /server\.port \(REKEY_PORT\): must be an integer/)
  })

  it('refuses a non-loopback address without TLS, saying so', async () => {
    const { process } = await serve({ REKEY_HOST: '0.0.0.0' })
    assert.equal(await exitCodeWithin(process), 3)
    assert.match(
      process.output(),
      /server\.host \(REKEY_HOST\): refusing to listen on non-loopback address 0\.0\.0\.0 without TLS/,
    )
    assert.match(process.output(), /behind_proxy/)
  })

  it('exits when its port is taken, instead of hanging', async () => {
    const taken = createServer()
    listeners.push(taken)
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, '127.0.0.1', () => resolve((taken.address() as { port: number }).port)),
    )
    const { process } = await serve({ REKEY_PORT: String(port), REKEY_ADMIN_PASSWORD: 'port-test-password' })
    assert.equal(await exitCodeWithin(process), 1)
    assert.match(process.output(), new RegExp(`EADDRINUSE.*127\\.0\\.0\\.1:${port}`))
  })

  it('serves HTTPS when a certificate and key are configured', async (t) => {
    const dir = tempDir('rekey-tls-')
    dirs.push(dir)
    const pair = selfSignedPair(dir)
    if ('skip' in pair) {
      t.skip(pair.skip)
      return
    }
    const started = await serve({
      REKEY_TLS_CERT_FILE: pair.cert,
      REKEY_TLS_KEY_FILE: pair.key,
      REKEY_ADMIN_PASSWORD: 'tls-operator-password',
    })
    const httpsUrl = started.url.replace('http:', 'https:')
    const get = (path: string) =>
      new Promise<number | undefined>((resolve) => {
        const req = request(`${httpsUrl}${path}`, { rejectUnauthorized: false, timeout: 5000 }, (res) => {
          res.resume()
          resolve(res.statusCode)
        })
        req.on('error', () => resolve(undefined))
        req.end()
      })
    assert.equal(await waitFor('an HTTPS answer', () => get('/healthz')), 200)
    assert.equal(
      await waitFor('readiness over HTTPS', async () => ((await get('/readyz')) === 200 ? 200 : undefined)),
      200,
    )
    // Nothing is served in clear on that port.
    await assert.rejects(fetch(`${started.url}/healthz`, { signal: AbortSignal.timeout(5000) }))
    await stopCleanly(started.process)
  })

  it('refuses an unusable certificate, naming the key', async () => {
    const dir = tempDir('rekey-tls-')
    dirs.push(dir)
    const garbage = join(dir, 'garbage.pem')
    writeFileSync(garbage, 'not a certificate\n')
    const { process } = await serve({ REKEY_TLS_CERT_FILE: garbage, REKEY_TLS_KEY_FILE: garbage })
    assert.equal(await exitCodeWithin(process), 3)
    assert.match(process.output(), /server\.tls_cert_file \(REKEY_TLS_CERT_FILE\): is not a PEM certificate/)
    assert.match(
      process.output(),
      /server\.tls_key_file \(REKEY_TLS_KEY_FILE\): is not an unencrypted PEM private key/,
    )
  })
})
