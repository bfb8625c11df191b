import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { tempDir } from '../support/config.ts'
import { freePort, type ServeProcess, startServe, waitFor } from '../support/processes.ts'

const running: ServeProcess[] = []
const dirs: string[] = []

async function serve(env: Record<string, string>): Promise<{ process: ServeProcess; url: string }> {
  const port = await freePort()
  const dir = tempDir('rekey-serve-')
  dirs.push(dir)
  const process = startServe({ REKEY_PORT: String(port), REKEY_DATA_DIR: join(dir, 'data'), ...env })
  running.push(process)
  return { process, url: `http://127.0.0.1:${port}` }
}

async function waitReady(url: string): Promise<void> {
  await waitFor(`${url}/readyz`, async () =>
    (await fetch(`${url}/readyz`)).status === 200 ? true : undefined,
  )
}

function login(url: string, username: string, password: string) {
  return fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })
}

after(async () => {
  await Promise.all(running.map((process) => process.stop()))
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('rekey serve', () => {
  it('prints a generated administrator password once, and never accepts admin:admin', async () => {
    const first = await serve({})
    await waitReady(first.url)
    const password = await waitFor(
      'the printed password',
      async () => /Password:\s+(\S+)/.exec(first.process.output())?.[1],
    )
    assert.match(first.process.output(), new RegExp(`URL:\\s+${first.url}`))
    assert.equal((await login(first.url, 'admin', password)).status, 200)
    assert.equal((await login(first.url, 'admin', 'admin')).status, 401)
    await first.process.stop()

    // A second start on the same data directory creates nothing and prints no password.
    const dataDir = join(dirs.at(-1)!, 'data')
    const port = await freePort()
    const second = startServe({ REKEY_PORT: String(port), REKEY_DATA_DIR: dataDir })
    running.push(second)
    await waitReady(`http://127.0.0.1:${port}`)
    assert.doesNotMatch(second.output(), /Password:/)
    assert.equal((await login(`http://127.0.0.1:${port}`, 'admin', password)).status, 200)
    await second.stop()
  })

  it('uses REKEY_ADMIN_PASSWORD and prints no secret', async () => {
    const { process, url } = await serve({
      REKEY_ADMIN_PASSWORD: 'operator-chosen-password',
      REKEY_LOG_LEVEL: 'info',
    })
    await waitReady(url)
    assert.equal((await login(url, 'admin', 'operator-chosen-password')).status, 200)
    assert.equal((await login(url, 'admin', 'wrong-password')).status, 401)
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.doesNotMatch(process.output(), /operator-chosen-password/)
    assert.doesNotMatch(process.output(), /wrong-password/)
    assert.match(process.output(), /REKEY_ADMIN_PASSWORD/)
    await process.stop()
    assert.ok(existsSync(join(dirs.at(-1)!, 'data', 'rekey.db')))
  })

  it('keeps running while the store is unreachable: healthy, not ready, 503 problems', async () => {
    const { process, url } = await serve({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test',
      REKEY_STORAGE_CONNECT_TIMEOUT_MS: '500',
    })
    await waitFor('healthz', async () => ((await fetch(`${url}/healthz`)).status === 200 ? true : undefined))
    const ready = await fetch(`${url}/readyz`)
    assert.equal(ready.status, 503)
    assert.deepEqual(await ready.json(), { status: 'not-ready', store: 'unreachable' })
    const admin = await fetch(`${url}/api/admin/users`, {
      headers: { authorization: `Basic ${Buffer.from('admin:x').toString('base64')}` },
    })
    assert.equal(admin.status, 503)
    assert.equal(admin.headers.get('content-type'), 'application/problem+json; charset=utf-8')
    assert.equal(((await admin.json()) as { code: string }).code, 'store.unavailable')
    const signIn = await login(url, 'admin', 'x')
    assert.equal(signIn.status, 503)
    assert.equal(process.child.exitCode, null, 'still running')
    await waitFor('a retry in the log', async () =>
      /store unreachable; retrying/.test(process.output()) ? true : undefined,
    )
    await process.stop()
  })

  it('refuses to start on bad configuration, naming the key', async () => {
    const { process } = await serve({ REKEY_PORT: 'eighty' })
    assert.equal(await process.exited, 3)
    assert.match(process.output(), /server\.port \(REKEY_PORT\): must be an integer/)
  })

  it('refuses a non-loopback address without TLS', async () => {
    const { process } = await serve({ REKEY_HOST: '0.0.0.0' })
    assert.equal(await process.exited, 3)
    assert.match(process.output(), /refusing to listen on non-loopback address 0\.0\.0\.0 without TLS/)
    assert.match(process.output(), /behind_proxy/)
  })

  it('serves HTTPS when a certificate and key are configured', async (t) => {
    const dir = tempDir('rekey-tls-')
    dirs.push(dir)
    const cert = join(dir, 'cert.pem')
    const key = join(dir, 'key.pem')
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
        ],
        { stdio: 'ignore' },
      )
    } catch {
      t.skip('openssl is not installed')
      return
    }
    const { process, url } = await serve({
      REKEY_TLS_CERT_FILE: cert,
      REKEY_TLS_KEY_FILE: key,
      REKEY_ADMIN_PASSWORD: 'tls-admin-password',
    })
    const httpsUrl = url.replace('http:', 'https:')
    const status = await waitFor(
      'an HTTPS answer',
      () =>
        new Promise<number | undefined>((resolve) => {
          const req = request(`${httpsUrl}/healthz`, { rejectUnauthorized: false }, (res) => {
            res.resume()
            resolve(res.statusCode)
          })
          req.on('error', () => resolve(undefined))
          req.end()
        }),
    )
    assert.equal(status, 200)
    await process.stop()
  })
})
