import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { buildContainer } from '../../src/container.ts'
import { buildApp } from '../../src/http/app.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { ADMIN_PASSWORD } from '../support/config.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { assertProblem, bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  return sorted[Math.floor(sorted.length / 2)]!
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: login API`, { skip: kind.skip }, () => {
    let h: Harness
    const login = (payload: object, url = '/api/auth/login') => call(h.app, { method: 'POST', url, payload })

    before(async () => {
      // The real OWASP parameters: the timing test below depends on a real cost.
      h = await openHarness(kind, {
        env: { REKEY_PASSWORDS_ARGON2_MEMORY_KIB: '19456', REKEY_PASSWORDS_ARGON2_ITERATIONS: '2' },
      })
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: h.adminAuth,
        payload: { name: 'member', permissions: ['login'] },
      })
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: h.adminAuth,
        payload: { username: 'Lee', password: 'lee-password-1', roles: ['member'] },
      })
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: h.adminAuth,
        payload: { username: 'norole', password: 'norole-password-1' },
      })
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: h.adminAuth,
        payload: { username: 'nopassword', roles: ['member'] },
      })
    })
    after(async () => h?.close())

    it('opens a session: bearer value, HttpOnly SameSite cookie, no caching', async () => {
      const answer = await login({ username: 'lee', password: 'lee-password-1' })
      assert.equal(answer.status, 200)
      assert.equal(answer.body.tokenType, 'Bearer')
      assert.equal(answer.body.user.username, 'Lee')
      assert.equal(answer.body.user.tenant, 'carbon.super')
      assert.ok(Date.parse(answer.body.expiresAt) > Date.now())
      const cookie = String(answer.headers['set-cookie'])
      assert.match(cookie, new RegExp(`^rekey_session=${answer.body.token};`))
      assert.match(cookie, /HttpOnly/)
      assert.match(cookie, /SameSite=Lax/)
      assert.match(cookie, /Path=\//)
      const expires = /Expires=([^;]+)/.exec(cookie)?.[1]
      assert.equal(Date.parse(expires ?? ''), Math.floor(Date.parse(answer.body.expiresAt) / 1000) * 1000)
      assert.ok(!/Secure/.test(cookie), 'plain HTTP on loopback: no Secure flag, or browsers drop it')
      assert.equal(answer.headers['cache-control'], 'no-store')
      const stored = await h.container.store.db.selectFrom('sessions').select('token_hash').execute()
      assert.ok(!JSON.stringify(stored).includes(answer.body.token), 'only the hash of a session is stored')
    })

    it('reads and ends the session by bearer value and by cookie', async () => {
      const first = await login({ username: 'lee', password: 'lee-password-1' })
      const byBearer = await call(h.app, {
        method: 'GET',
        url: '/api/auth/session',
        auth: bearer(first.body.token),
      })
      assert.equal(byBearer.body.sessionId, first.body.sessionId)
      const byCookie = await call(h.app, {
        method: 'GET',
        url: '/api/auth/session',
        headers: { cookie: `rekey_session=${first.body.token}` },
      })
      assert.equal(byCookie.body.user.id, first.body.user.id)
      const out = await call(h.app, {
        method: 'POST',
        url: '/api/auth/logout',
        headers: { cookie: `rekey_session=${first.body.token}` },
      })
      assert.equal(out.status, 204)
      assert.match(String(out.headers['set-cookie']), /rekey_session=;/)
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/auth/session', auth: bearer(first.body.token) }),
        401,
        'auth.required',
      )
      assertProblem(
        await call(h.app, { method: 'POST', url: '/api/auth/logout', auth: bearer(first.body.token) }),
        401,
        'auth.required',
      )
    })

    it('refuses a user without the login permission only once the password is right', async () => {
      assertProblem(
        await login({ username: 'norole', password: 'norole-password-1' }),
        403,
        'auth.login-not-permitted',
      )
      assertProblem(await login({ username: 'norole', password: 'wrong-password' }), 401, 'auth.failed')
      const sessions = await h.container.store.db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .select('sessions.id')
        .where('users.username_key', '=', 'norole')
        .execute()
      assert.deepEqual(sessions, [], 'no session was opened')
    })

    it('answers an unknown user exactly like a wrong password', async () => {
      const wrong = await login({ username: 'lee', password: 'wrong-password' })
      assertProblem(wrong, 401, 'auth.failed')
      const { date: _date, ...wrongHeaders } = wrong.headers
      for (const username of ['nobody-here', 'a/b/c', 'NOPE/lee', 'nopassword']) {
        const other = await login({ username, password: 'wrong-password' })
        assert.equal(other.status, 401, username)
        assert.deepEqual(other.body, wrong.body, username)
        const { date: _otherDate, ...otherHeaders } = other.headers
        assert.deepEqual(otherHeaders, wrongHeaders, username)
      }
      assert.equal(wrong.body.title, 'Login failed! Please recheck the username and password and try again.')
    })

    it('spends a password verification on unknown users too (no timing oracle)', async () => {
      const time = async (username: string) => {
        const started = process.hrtime.bigint()
        const answer = await login({ username, password: 'wrong-password' })
        const elapsed = Number(process.hrtime.bigint() - started) / 1e6
        assert.equal(answer.status, 401)
        return elapsed
      }
      const wrongPassword: number[] = []
      const unknownUser: number[] = []
      const withoutPassword: number[] = []
      // Interleaved, so a slow moment of the machine hits every kind alike.
      for (let i = 0; i < 15; i++) {
        wrongPassword.push(await time('lee'))
        unknownUser.push(await time(`ghost-${i}`))
        withoutPassword.push(await time('nopassword'))
      }
      const reference = median(wrongPassword)
      for (const [label, samples] of [
        ['unknown user', unknownUser],
        ['user without a password', withoutPassword],
      ] as const) {
        const ratio = median(samples) / reference
        assert.ok(
          ratio >= 0.5 && ratio <= 2,
          `${label} median ${median(samples).toFixed(1)} ms vs wrong-password median ${reference.toFixed(1)} ms`,
        )
      }
    })

    it('signs in to another tenant by body or by URL, and rejects a contradiction', async () => {
      const password = 'tenant-admin-password'
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: 'gamma.example', adminPassword: password },
      })
      const byBody = await login({ username: 'admin', password, tenant: 'gamma.example' })
      assert.equal(byBody.status, 200)
      assert.equal(byBody.body.user.tenant, 'gamma.example')
      const byUrl = await login({ username: 'admin', password }, '/t/gamma.example/api/auth/login')
      assert.equal(byUrl.status, 200)
      const cookie = String(byUrl.headers['set-cookie'])
      assert.match(cookie, /^rekey_session-gamma\.example=/)
      assert.match(cookie, /Path=\/t\/gamma\.example\//)
      assertProblem(
        await login(
          { username: 'admin', password, tenant: 'carbon.super' },
          '/t/gamma.example/api/auth/login',
        ),
        400,
        'request.invalid',
      )
      assertProblem(
        await login({ username: 'admin', password, tenant: 'missing.example' }),
        404,
        'tenant.not-found',
      )
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/auth/session', auth: bearer(byBody.body.token) }),
        401,
        'auth.required',
      )
      assert.equal(
        (
          await call(h.app, {
            method: 'GET',
            url: '/t/gamma.example/api/auth/session',
            auth: bearer(byBody.body.token),
          })
        ).status,
        200,
      )
    })

    it('re-encodes a password with new argon2 parameters at sign-in, keeping changed_at', async () => {
      const read = () =>
        h.container.store.db
          .selectFrom('password_credentials')
          .innerJoin('users', 'users.id', 'password_credentials.user_id')
          .select(['hash', 'changed_at'])
          .where('users.username_key', '=', 'lee')
          .executeTakeFirstOrThrow()
      const before = await read()
      assert.match(before.hash, /m=19456,t=2,p=1/)
      // A second server on the same store, configured with more iterations.
      const upgraded = { ...h.config, passwords: { ...h.config.passwords, argon2_iterations: 3 } }
      const second = buildContainer(upgraded, { store: h.container.store, logger: createLogger('silent') })
      const secondApp = await buildApp(second)
      try {
        const signedIn = await call(secondApp, {
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'lee', password: 'lee-password-1' },
        })
        assert.equal(signedIn.status, 200)
        const after = await read()
        assert.match(after.hash, /^\$argon2id\$v=19\$m=19456,t=3,p=1\$/)
        assert.equal(after.changed_at, before.changed_at, 'the password did not change, only its encoding')
        // Only a correct password re-encodes.
        const wrong = await call(secondApp, {
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'lee', password: 'wrong-password' },
        })
        assert.equal(wrong.status, 401)
        assert.equal((await read()).hash, after.hash)
        const shown = await call(secondApp, { method: 'GET', url: '/api/admin/users/lee', auth: h.adminAuth })
        assert.equal(shown.body.passwordChangedAt, new Date(before.changed_at).toISOString())
      } finally {
        await secondApp.close()
      }
      assert.equal(
        (await login({ username: 'lee', password: 'lee-password-1' })).status,
        200,
        'the first configuration still verifies it',
      )
    })

    it('never signs in admin:admin', async () => {
      assertProblem(await login({ username: 'admin', password: 'admin' }), 401, 'auth.failed')
      assert.equal((await login({ username: 'admin', password: ADMIN_PASSWORD })).status, 200)
    })
  })
}
