import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { InjectOptions } from 'fastify'
import { ADMIN_PASSWORD } from '../support/config.ts'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { type Answer, assertProblem, bearer, call } from '../support/http.ts'
import { snapshotStore } from '../support/store-snapshot.ts'
import { storeKinds } from '../support/stores.ts'

const BODY_LIMIT = 2048

for (const kind of storeKinds) {
  describe(`${kind.kind}: bad input is answered, never half-applied`, { skip: kind.skip }, () => {
    let h: Harness
    let danaId: string
    const admin = () => h.adminAuth

    /** Sends a request that must be refused with the given problem and change nothing at all. */
    async function refused(
      request: InjectOptions & { auth?: string },
      status: number,
      code: string,
    ): Promise<Answer> {
      const before = await snapshotStore(h.container.store.db)
      const answer = await call(h.app, { auth: admin(), ...request })
      assertProblem(answer, status, code)
      assert.deepEqual(await snapshotStore(h.container.store.db), before, `${request.method} ${request.url}`)
      return answer
    }
    const raw = (method: 'POST' | 'PATCH', url: string, contentType: string, payload: string) =>
      ({ method, url, headers: { 'content-type': contentType }, payload }) as const

    before(async () => {
      h = await openHarness(kind, { env: { REKEY_BODY_LIMIT_BYTES: String(BODY_LIMIT) } })
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: admin(),
        payload: { name: 'member', permissions: ['login'] },
      })
      const dana = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: { username: 'Dana', password: 'dana-password-1', roles: ['member'] },
      })
      assert.equal(dana.status, 201)
      danaId = dana.body.id
    })
    after(async () => h?.close())

    it('invalid JSON → 400 request.malformed-json', async () => {
      for (const [method, url] of [
        ['POST', '/api/admin/users'],
        ['PATCH', `/api/admin/users/${danaId}`],
        ['POST', '/api/admin/roles'],
        ['POST', '/api/admin/tokens'],
        ['POST', `/api/admin/users/${danaId}/password`],
        ['POST', '/api/admin/roles/member/members'],
        ['POST', '/api/auth/login'],
      ] as const) {
        await refused(
          raw(method, url, 'application/json', '{"username": "x",'),
          400,
          'request.malformed-json',
        )
      }
      await refused(raw('POST', '/api/admin/users', 'application/json', ''), 400, 'request.malformed-json')
      await refused(
        raw('POST', '/api/admin/users', 'application/json; charset=utf-8', "{'username': 'x'}"),
        400,
        'request.malformed-json',
      )
    })

    it('JSON that is not an object → 400 request.invalid', async () => {
      for (const payload of ['[]', '"dana"', '42', 'null', 'true']) {
        await refused(raw('POST', '/api/admin/users', 'application/json', payload), 400, 'request.invalid')
      }
    })

    it('wrong types → 400 request.invalid with a pointer to each field', async () => {
      const wrongType = await refused(
        { method: 'POST', url: '/api/admin/users', payload: { username: 5, password: 'long-enough-1' } },
        400,
        'request.invalid',
      )
      assert.ok(
        wrongType.body.errors.some((error: { pointer: string }) => error.pointer === '/body/username'),
        JSON.stringify(wrongType.body.errors),
      )
      for (const payload of [
        { username: 'typed', password: 12345678901 },
        { username: 'typed', password: 'long-enough-1', claims: { 'http://wso2.org/claims/age': 42 } },
        { username: 'typed', password: 'long-enough-1', claims: ['http://wso2.org/claims/age'] },
        { username: 'typed', password: 'long-enough-1', roles: 'member' },
        { username: '', password: 'long-enough-1' },
        { username: 'x'.repeat(321), password: 'long-enough-1' },
      ]) {
        await refused({ method: 'POST', url: '/api/admin/users', payload }, 400, 'request.invalid')
      }
      await refused(
        { method: 'PATCH', url: `/api/admin/users/${danaId}`, payload: { claims: { 'urn:x:a': 1 } } },
        400,
        'request.invalid',
      )
      await refused(
        { method: 'PATCH', url: `/api/admin/users/${danaId}`, payload: {} },
        400,
        'request.invalid',
      )
      await refused(
        { method: 'POST', url: '/api/admin/roles', payload: { name: 'typed', permissions: 'login' } },
        400,
        'request.invalid',
      )
      await refused(
        { method: 'POST', url: '/api/admin/tokens', payload: { name: 'typed', expiresInDays: 'soon' } },
        400,
        'request.invalid',
      )
      await refused(
        {
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: ['dana'], password: 'dana-password-1' },
        },
        400,
        'request.invalid',
      )
      await refused(
        { method: 'POST', url: '/api/auth/login', payload: { username: 'dana', password: 5 } },
        400,
        'request.invalid',
      )
    })

    it('a claim key that is not a URI → 400 request.invalid, on create and on change', async () => {
      await refused(
        {
          method: 'POST',
          url: '/api/admin/users',
          payload: { username: 'claims', password: 'long-enough-1', claims: { 'not a uri': 'v' } },
        },
        400,
        'request.invalid',
      )
      await refused(
        {
          method: 'PATCH',
          url: `/api/admin/users/${danaId}`,
          payload: { claims: { 'urn:x:fine': 'kept?', 'not a uri': 'v' } },
        },
        400,
        'request.invalid',
      )
    })

    it('unknown properties → 400 request.invalid naming the property', async () => {
      const unknown = await refused(
        {
          method: 'POST',
          url: '/api/admin/users',
          payload: { username: 'extra', password: 'long-enough-1', isAdmin: true },
        },
        400,
        'request.invalid',
      )
      assert.ok(unknown.body.errors.some((error: { pointer: string }) => error.pointer === '/body/isAdmin'))
      for (const [method, url, payload] of [
        ['PATCH', `/api/admin/users/${danaId}`, { status: 'active' }],
        ['POST', `/api/admin/users/${danaId}/password`, { password: 'dana-password-9', notify: true }],
        ['POST', '/api/admin/roles', { name: 'extra', permissions: [], builtin: true }],
        ['PATCH', '/api/admin/roles/member', { builtin: true }],
        ['POST', '/api/admin/roles/member/members', { users: ['dana'], all: true }],
        ['POST', '/api/admin/tokens', { name: 'extra', tenant: 'carbon.super' }],
        ['POST', '/api/admin/user-stores', { domain: 'EXTRA', readOnly: true }],
        ['POST', '/api/admin/tenants', { domain: 'x.example', adminPassword: 'x-password-12', plan: 'gold' }],
        ['POST', '/api/auth/login', { username: 'dana', password: 'dana-password-1', remember: true }],
      ] as const) {
        await refused({ method, url, payload }, 400, 'request.invalid')
      }
      await refused({ method: 'GET', url: '/api/admin/users?limit=0' }, 400, 'request.invalid')
      await refused({ method: 'GET', url: '/api/admin/users?limit=many' }, 400, 'request.invalid')
      await refused({ method: 'GET', url: '/api/admin/users?sort=name' }, 400, 'request.invalid')
      await refused({ method: 'GET', url: '/api/admin/audit?before=yesterday' }, 400, 'request.invalid')
      await refused(
        { method: 'DELETE', url: `/api/admin/users/${danaId}/sessions/not-a-uuid` },
        400,
        'request.invalid',
      )
    })

    it('oversize body → 413 request.too-large', async () => {
      const big = 'x'.repeat(BODY_LIMIT * 2)
      await refused(
        { method: 'POST', url: '/api/admin/users', payload: { username: 'big', password: big } },
        413,
        'request.too-large',
      )
      await refused(
        { method: 'PATCH', url: `/api/admin/users/${danaId}`, payload: { claims: { 'urn:x:big': big } } },
        413,
        'request.too-large',
      )
      await refused(
        { method: 'POST', url: '/api/auth/login', payload: { username: 'dana', password: big } },
        413,
        'request.too-large',
      )
    })

    it('form posts and other non-JSON bodies on the admin API → 415, nothing done', async () => {
      await refused(
        raw(
          'POST',
          '/api/admin/users',
          'application/x-www-form-urlencoded',
          'username=formed&password=formed-password-1',
        ),
        415,
        'request.unsupported-media-type',
      )
      await refused(
        raw('POST', '/api/admin/users', 'text/plain', '{"username":"plain","password":"plain-password-1"}'),
        415,
        'request.unsupported-media-type',
      )
      await refused(
        raw('POST', '/api/admin/users', 'application/xml', '<user/>'),
        415,
        'request.unsupported-media-type',
      )
      await refused(
        raw('POST', '/api/admin/users', 'multipart/form-data; boundary=x', '--x--'),
        415,
        'request.unsupported-media-type',
      )
      // A body-less action sent as a cross-site form (which always carries a form content type).
      await refused(
        raw('POST', `/api/admin/users/${danaId}/lock`, 'application/x-www-form-urlencoded', ''),
        415,
        'request.unsupported-media-type',
      )
      await refused(
        raw('POST', `/api/admin/users/${danaId}/lock`, 'text/plain', ''),
        415,
        'request.unsupported-media-type',
      )
      // Without a body and without a content type, the action works (curl -X POST …/lock).
      const locked = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${danaId}/lock`,
        auth: admin(),
      })
      assert.equal(locked.body.status, 'locked')
      const unlocked = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${danaId}/unlock`,
        auth: admin(),
      })
      assert.equal(unlocked.body.status, 'active')
    })

    it('unknown tenant → 404 tenant.not-found, before and regardless of credentials', async () => {
      for (const auth of [admin(), basicAuth('admin', 'wrong'), undefined]) {
        await refused(
          { method: 'GET', url: '/t/nope.example/api/admin/users', ...(auth ? { auth } : { auth: '' }) },
          404,
          'tenant.not-found',
        )
      }
      await refused(
        {
          method: 'POST',
          url: '/t/nope.example/api/admin/users',
          payload: { username: 'lost', password: 'lost-password-1' },
        },
        404,
        'tenant.not-found',
      )
      await refused(
        {
          method: 'POST',
          url: '/t/nope.example/api/auth/login',
          payload: { username: 'dana', password: 'dana-password-1' },
        },
        404,
        'tenant.not-found',
      )
      await refused(
        {
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'dana', password: 'dana-password-1', tenant: 'nope.example' },
        },
        404,
        'tenant.not-found',
      )
    })

    it('duplicate user name, in any case → 409 user.exists and still one user', async () => {
      for (const username of ['DANA', 'dana', 'PRIMARY/Dana']) {
        await refused(
          { method: 'POST', url: '/api/admin/users', payload: { username, password: 'dana-password-2' } },
          409,
          'user.exists',
        )
      }
      const users = await h.container.store.db
        .selectFrom('users')
        .select('username')
        .where('username_key', '=', 'dana')
        .execute()
      assert.deepEqual(users, [{ username: 'Dana' }])
      const erin = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: { username: 'erin', password: 'erin-password-1' },
      })
      await refused(
        { method: 'PATCH', url: `/api/admin/users/${erin.body.id}`, payload: { username: 'dAnA' } },
        409,
        'user.exists',
      )
      // The control: a valid change of the same user is applied.
      const renamed = await call(h.app, {
        method: 'PATCH',
        url: `/api/admin/users/${erin.body.id}`,
        auth: admin(),
        payload: { username: 'Erin' },
      })
      assert.equal(renamed.body.username, 'Erin')
    })

    it('weak passwords → 400 password.weak, no user and no changed password', async () => {
      for (const password of ['short', ' '.repeat(3)]) {
        await refused(
          { method: 'POST', url: '/api/admin/users', payload: { username: 'weak', password } },
          400,
          'password.weak',
        )
      }
      await refused(
        { method: 'POST', url: '/api/admin/users/dana/password', payload: { password: 'short' } },
        400,
        'password.weak',
      )
      const signIn = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'dana', password: 'dana-password-1' },
      })
      assert.equal(signIn.status, 200, 'the old password still works')
    })

    it('unknown role, user store or hash format on create → no user row at all', async () => {
      await refused(
        {
          method: 'POST',
          url: '/api/admin/users',
          payload: { username: 'roleless', password: 'long-enough-1', roles: ['member', 'no-such-role'] },
        },
        404,
        'role.not-found',
      )
      await refused(
        {
          method: 'POST',
          url: '/api/admin/users',
          payload: { username: 'NOPE/x', password: 'long-enough-1' },
        },
        404,
        'userstore.not-found',
      )
      await refused(
        {
          method: 'POST',
          url: '/api/admin/users',
          payload: { username: 'a/b/c', password: 'long-enough-1' },
        },
        400,
        'user.invalid-name',
      )
      await refused(
        { method: 'POST', url: '/api/admin/users', payload: { username: 'md5', passwordHash: '{MD5}abc' } },
        400,
        'password.unsupported-hash',
      )
      await refused(
        {
          method: 'POST',
          url: '/api/admin/users',
          payload: { username: 'both', password: 'long-enough-1', passwordHash: '$2b$04$abc' },
        },
        400,
        'request.invalid',
      )
    })

    it('refused role, membership and token changes leave everything as it was', async () => {
      await refused(
        { method: 'POST', url: '/api/admin/roles', payload: { name: 'bad', permissions: ['login', 'root'] } },
        400,
        'request.invalid',
      )
      await refused(
        { method: 'POST', url: '/api/admin/roles', payload: { name: 'MEMBER', permissions: [] } },
        409,
        'role.exists',
      )
      await refused(
        { method: 'POST', url: '/api/admin/roles', payload: { name: 'bad/name', permissions: [] } },
        400,
        'role.invalid-name',
      )
      await refused(
        { method: 'POST', url: '/api/admin/roles/member/members', payload: { users: ['erin', 'ghost'] } },
        404,
        'user.not-found',
      )
      await refused(
        { method: 'POST', url: '/api/admin/roles/nope/members', payload: { users: ['dana'] } },
        404,
        'role.not-found',
      )
      await refused(
        {
          method: 'POST',
          url: '/api/admin/tokens',
          payload: { name: 'bad', scopes: ['users:read', 'root'] },
        },
        400,
        'request.invalid',
      )
      await refused({ method: 'DELETE', url: '/api/admin/tokens/not-a-token' }, 404, 'token.not-found')
    })

    it('unknown routes and resources → 404 problem+json', async () => {
      await refused({ method: 'GET', url: '/api/admin/nothing-here' }, 404, 'route.not-found')
      await refused({ method: 'GET', url: '/nothing-here', auth: '' }, 404, 'route.not-found')
      await refused({ method: 'PUT', url: '/api/admin/users', payload: {} }, 404, 'route.not-found')
      await refused({ method: 'DELETE', url: '/api/admin/roles' }, 404, 'route.not-found')
      await refused(
        { method: 'GET', url: '/api/admin/users/00000000-0000-0000-0000-000000000000' },
        404,
        'user.not-found',
      )
      await refused({ method: 'DELETE', url: '/api/admin/users/ghost' }, 404, 'user.not-found')
      await refused(
        { method: 'POST', url: '/api/admin/users/ghost/password', payload: { password: 'ghost-password-1' } },
        404,
        'user.not-found',
      )
      await refused({ method: 'GET', url: '/api/admin/roles/ghosts' }, 404, 'role.not-found')
      await refused(
        { method: 'DELETE', url: `/api/admin/users/${danaId}/sessions/00000000-0000-4000-8000-000000000000` },
        404,
        'session.not-found',
      )
    })

    it('malformed credentials → 401, never 500', async () => {
      for (const [auth, code] of [
        ['Basic', 'auth.required'],
        ['Basic !!!not-base64!!!', 'auth.required'],
        [`Basic ${Buffer.from('no-colon').toString('base64')}`, 'auth.required'],
        [`Basic ${Buffer.from(':empty-user').toString('base64')}`, 'auth.required'],
        ['Negotiate abc', 'auth.required'],
        ['Bearer', 'auth.required'],
        [bearer('rkt_'), 'auth.failed'],
        [bearer('rks_x'), 'auth.failed'],
        [bearer('something-else'), 'auth.failed'],
        [basicAuth('admin', `${ADMIN_PASSWORD}x`), 'auth.failed'],
        [basicAuth('nobody', ADMIN_PASSWORD), 'auth.failed'],
      ] as const) {
        await refused({ method: 'GET', url: '/api/admin/users', auth }, 401, code)
      }
      assert.equal(
        (
          await call(h.app, {
            method: 'POST',
            url: '/api/auth/login',
            payload: { username: 'admin', password: ADMIN_PASSWORD },
          })
        ).status,
        200,
      )
    })
  })

  describe(`${kind.kind}: sign-in attempts are limited`, { skip: kind.skip }, () => {
    let h: Harness
    before(async () => {
      h = await openHarness(kind, { env: { REKEY_AUTH_LOGIN_RATE_LIMIT_PER_MINUTE: '5' } })
    })
    after(async () => h?.close())

    it('refuses the sixth attempt within a minute from one address with 429', async () => {
      const attempt = (remoteAddress: string) =>
        call(h.app, {
          method: 'POST',
          url: '/api/auth/login',
          remoteAddress,
          payload: { username: 'admin', password: 'wrong' },
        })
      const statuses = []
      for (let i = 0; i < 6; i++) statuses.push((await attempt('192.0.2.10')).status)
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429])
      assertProblem(await attempt('192.0.2.10'), 429, 'auth.rate-limited')
      assert.equal((await attempt('192.0.2.11')).status, 401, 'another address is not limited')
    })
  })
}
