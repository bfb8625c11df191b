import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN_PASSWORD } from '../support/config.ts'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { bearer, call } from '../support/http.ts'
import { sqliteKind } from '../support/stores.ts'

describe('logs at the most verbose level never carry a secret', () => {
  let h: Harness
  const lines: string[] = []

  before(async () => {
    h = await openHarness(sqliteKind, { logDestination: { write: (line) => lines.push(line) } })
  })
  after(async () => h?.close())

  it('keeps passwords, session values, tokens and Basic credentials out of every line', async () => {
    const secrets = [
      ADMIN_PASSWORD,
      'user-secret-password-1',
      'user-secret-password-2',
      'wrong-secret-password',
    ]
    await call(h.app, {
      method: 'POST',
      url: '/api/admin/roles',
      auth: h.adminAuth,
      payload: { name: 'member', permissions: ['login'] },
    })
    await call(h.app, {
      method: 'POST',
      url: '/api/admin/users?note=user-secret-password-1',
      auth: h.adminAuth,
      payload: { username: 'kim', password: 'user-secret-password-1', roles: ['member'] },
    })
    const session = await call(h.app, {
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'kim', password: 'user-secret-password-1' },
    })
    await call(h.app, {
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'kim', password: 'wrong-secret-password' },
    })
    await call(h.app, {
      method: 'POST',
      url: '/api/admin/users/kim/password',
      auth: h.adminAuth,
      payload: { password: 'user-secret-password-2' },
    })
    const token = await call(h.app, {
      method: 'POST',
      url: '/api/admin/tokens',
      auth: h.adminAuth,
      payload: { name: 'logged?' },
    })
    await call(h.app, { method: 'GET', url: '/api/admin/users', auth: bearer(token.body.token) })
    await call(h.app, {
      method: 'GET',
      url: '/api/auth/session',
      headers: { cookie: `rekey_session=${session.body.token}` },
    })
    await call(h.app, {
      method: 'GET',
      url: '/api/admin/users',
      auth: basicAuth('kim', 'wrong-secret-password'),
    })
    await call(h.app, {
      method: 'POST',
      url: '/api/admin/users',
      auth: h.adminAuth,
      headers: { 'content-type': 'application/json' },
      payload: '{"password": "user-secret-password-1",',
    })

    secrets.push(session.body.token, token.body.token, h.adminAuth.slice('Basic '.length))
    assert.ok(lines.length > 10, 'requests were logged')
    const log = lines.join('')
    for (const secret of secrets)
      assert.ok(!log.includes(secret), `a log line contains ${secret.slice(0, 6)}…`)
  })
})
