import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN_PASSWORD } from '../support/config.ts'
import { basicAuth, type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { type Answer, assertProblem, bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const DAY = 86_400_000

for (const kind of storeKinds) {
  describe(`${kind.kind}: admin API — API tokens and bearer values`, { skip: kind.skip }, () => {
    let h: Harness
    const clock = new ManualClock()
    const admin = () => h.adminAuth
    const createToken = (payload: object, auth = admin()): Promise<Answer> =>
      call(h.app, { method: 'POST', url: '/api/admin/tokens', auth, payload })
    const listTokens = async () =>
      (await call(h.app, { method: 'GET', url: '/api/admin/tokens', auth: admin() })).body.tokens

    before(async () => {
      h = await openHarness(kind, { clock })
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: admin(),
        payload: { name: 'token makers', permissions: ['tokens:manage', 'users:read'] },
      })
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: { username: 'rita', password: 'rita-password-1', roles: ['token makers'] },
      })
    })
    after(async () => h?.close())

    it('shows a new token once; lists and stores only what identifies it', async () => {
      const created = await createToken({ name: 'reader bot', scopes: ['users:read'] })
      assert.equal(created.status, 201)
      assert.match(created.body.token, /^rkt_[A-Za-z0-9_-]{43}$/)
      assert.equal(created.headers['cache-control'], 'no-store')
      assert.deepEqual(created.body.scopes, ['users:read'])
      assert.equal(created.body.createdBy, 'admin')
      assert.equal(created.body.revoked, false)
      assert.equal(created.body.expiresAt, null)

      const listed = await listTokens()
      const entry = listed.find((token: { id: string }) => token.id === created.body.id)
      assert.equal(entry.name, 'reader bot')
      assert.equal(entry.token, undefined)
      assert.ok(!JSON.stringify(listed).includes(created.body.token), 'the list never shows a value')
      assert.ok(!JSON.stringify(listed).includes(created.body.token.slice(4, 20)), 'not even a part of it')
      const stored = await h.container.store.db.selectFrom('api_tokens').selectAll().execute()
      assert.ok(!JSON.stringify(stored).includes(created.body.token.slice(4)), 'only a hash is stored')

      const second = await createToken({ name: 'reader bot', scopes: ['users:read'] })
      assert.notEqual(second.body.token, created.body.token)
      assert.notEqual(second.body.id, created.body.id)
    })

    it('authenticates as a Bearer value, held to its scopes', async () => {
      const created = await createToken({ name: 'scoped', scopes: ['users:read'] })
      const token = bearer(created.body.token)
      const listed = await call(h.app, { method: 'GET', url: '/api/admin/users', auth: token })
      assert.equal(listed.status, 200)
      assert.ok(listed.body.users.some((user: { username: string }) => user.username === 'rita'))
      for (const write of [
        {
          method: 'POST',
          url: '/api/admin/users',
          payload: { username: 'by-token', password: 'token-password-1' },
        },
        { method: 'POST', url: '/api/admin/users/rita/lock' },
        { method: 'POST', url: '/api/admin/roles', payload: { name: 'by-token', permissions: [] } },
        { method: 'POST', url: '/api/admin/tokens', payload: { name: 'child' } },
        { method: 'GET', url: '/api/admin/audit' },
      ] as const) {
        assertProblem(await call(h.app, { ...write, auth: token }), 403, 'auth.forbidden')
      }
      const rita = await call(h.app, { method: 'GET', url: '/api/admin/users/rita', auth: admin() })
      assert.equal(rita.body.status, 'active')
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/users/by-token', auth: admin() }),
        404,
        'user.not-found',
      )
      // The token carries its scopes, not its creator's current permissions.
      const wide = await createToken({ name: 'wide', scopes: ['users:read', 'users:write'] })
      assert.equal(
        (
          await call(h.app, {
            method: 'POST',
            url: '/api/admin/users',
            auth: bearer(wide.body.token),
            payload: { username: 'by-token', password: 'token-password-1' },
          })
        ).status,
        201,
      )
      const audit = await call(h.app, {
        method: 'GET',
        url: '/api/admin/audit?action=user.created&limit=1',
        auth: admin(),
      })
      assert.equal(audit.body.events[0].actor, 'token:wide')
    })

    it('records when a token was last used', async () => {
      const created = await createToken({ name: 'used', scopes: ['users:read'] })
      const unused = (await listTokens()).find((token: { id: string }) => token.id === created.body.id)
      assert.equal(unused.lastUsedAt, null)
      clock.advance(5000)
      await call(h.app, { method: 'GET', url: '/api/admin/users', auth: bearer(created.body.token) })
      const used = (await listTokens()).find((token: { id: string }) => token.id === created.body.id)
      assert.equal(used.lastUsedAt, new Date(clock.now()).toISOString())
    })

    it('stops a revoked token at once: 401', async () => {
      const created = await createToken({ name: 'short-lived', scopes: ['users:read'] })
      const token = bearer(created.body.token)
      assert.equal((await call(h.app, { method: 'GET', url: '/api/admin/users', auth: token })).status, 200)
      const revoked = await call(h.app, {
        method: 'DELETE',
        url: `/api/admin/tokens/${created.body.id}`,
        auth: admin(),
      })
      assert.equal(revoked.status, 204)
      const refused = await call(h.app, { method: 'GET', url: '/api/admin/users', auth: token })
      assertProblem(refused, 401, 'auth.failed')
      assert.equal(refused.headers['www-authenticate'], undefined, 'no Basic challenge for a bearer value')
      const entry = (await listTokens()).find((token: { id: string }) => token.id === created.body.id)
      assert.equal(entry.revoked, true)
      assertProblem(
        await call(h.app, {
          method: 'DELETE',
          url: '/api/admin/tokens/00000000-0000-4000-8000-000000000000',
          auth: admin(),
        }),
        404,
        'token.not-found',
      )
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/users', auth: bearer(`${created.body.token}x`) }),
        401,
        'auth.failed',
      )
    })

    it('expires a token after its lifetime', async () => {
      const created = await createToken({ name: 'two days', scopes: ['users:read'], expiresInDays: 2 })
      assert.equal(created.body.expiresAt, new Date(clock.now() + 2 * DAY).toISOString())
      const token = bearer(created.body.token)
      clock.advance(2 * DAY - 1000)
      assert.equal((await call(h.app, { method: 'GET', url: '/api/admin/users', auth: token })).status, 200)
      clock.advance(1000)
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/users', auth: token }),
        401,
        'auth.failed',
      )
    })

    it('never mints a token broader than its creator', async () => {
      const rita = basicAuth('rita', 'rita-password-1')
      const before = (await listTokens()).length
      for (const scopes of [['users:write'], ['users:read', 'audit:read'], ['tenants:manage']]) {
        assertProblem(await createToken({ name: 'escalate', scopes }, rita), 403, 'token.scope-exceeds-grant')
      }
      assert.equal((await listTokens()).length, before, 'no token was made')
      const fallback = await createToken({ name: 'own scopes' }, rita)
      assert.equal(fallback.status, 201)
      assert.deepEqual(
        fallback.body.scopes,
        ['tokens:manage', 'users:read'],
        "by default, the creator's permissions",
      )
      assert.equal(fallback.body.createdBy, 'rita')
      // A token that may manage tokens cannot widen itself either.
      const child = await createToken({ name: 'child', scopes: ['users:write'] }, bearer(fallback.body.token))
      assertProblem(child, 403, 'token.scope-exceeds-grant')
      const narrower = await createToken(
        { name: 'child', scopes: ['users:read'] },
        bearer(fallback.body.token),
      )
      assert.equal(narrower.status, 201)
      assert.equal(narrower.body.createdBy, 'own scopes')
    })

    it('accepts a sign-in session as a bearer value until it ends, never the cookie', async () => {
      const session = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'admin', password: ADMIN_PASSWORD },
      })
      const auth = bearer(session.body.token)
      assert.equal((await call(h.app, { method: 'GET', url: '/api/admin/roles', auth })).status, 200)
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth,
        payload: { username: 'by-session', password: 'session-password-1' },
      })
      assert.equal(created.status, 201)
      // The cookie is not an admin credential (no CSRF surface on the admin API).
      assertProblem(
        await call(h.app, {
          method: 'GET',
          url: '/api/admin/roles',
          headers: { cookie: `rekey_session=${session.body.token}` },
        }),
        401,
        'auth.required',
      )
      await call(h.app, { method: 'POST', url: '/api/auth/logout', auth })
      assertProblem(await call(h.app, { method: 'GET', url: '/api/admin/roles', auth }), 401, 'auth.failed')
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/roles', auth: bearer('rks_forged') }),
        401,
        'auth.failed',
      )
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/roles', auth: 'Digest abc' }),
        401,
        'auth.required',
      )
    })
  })
}
