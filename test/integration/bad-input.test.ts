import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Harness, openHarness } from '../support/harness.ts'
import { assertProblem, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

for (const kind of storeKinds) {
  describe(`${kind.kind}: bad input is answered, never half-applied`, { skip: kind.skip }, () => {
    let h: Harness
    const admin = () => h.adminAuth
    const userCount = async () =>
      Number(
        (
          await h.container.store.db
            .selectFrom('users')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )

    before(async () => {
      h = await openHarness(kind, {
        env: { REKEY_BODY_LIMIT_BYTES: '2048', REKEY_AUTH_LOGIN_RATE_LIMIT_PER_MINUTE: '5' },
      })
    })
    after(async () => h?.close())

    it('invalid JSON → 400 request.malformed-json', async () => {
      const answer = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        headers: { 'content-type': 'application/json' },
        payload: '{"username": "x",',
      })
      assertProblem(answer, 400, 'request.malformed-json')
    })

    it('wrong types and unknown properties → 400 request.invalid with pointers', async () => {
      const wrongType = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: { username: 5, password: 'long-enough-1' },
      })
      assertProblem(wrongType, 400, 'request.invalid')
      assert.ok(
        wrongType.body.errors.some((error: { pointer: string }) => error.pointer === '/body/username'),
      )
      const unknown = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: { username: 'x', password: 'long-enough-1', isAdmin: true },
      })
      assertProblem(unknown, 400, 'request.invalid')
      assert.ok(unknown.body.errors.some((error: { pointer: string }) => error.pointer === '/body/isAdmin'))
      const badQuery = await call(h.app, { method: 'GET', url: '/api/admin/users?limit=0', auth: admin() })
      assertProblem(badQuery, 400, 'request.invalid')
      const badLogin = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: ['admin'], password: 'x' },
      })
      assertProblem(badLogin, 400, 'request.invalid')
      const badClaims = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: { username: 'claims', password: 'long-enough-1', claims: { 'not a uri': 'v' } },
      })
      assertProblem(badClaims, 400, 'request.invalid')
      assert.equal(
        await call(h.app, { method: 'GET', url: '/api/admin/users/claims', auth: admin() }).then(
          (a) => a.status,
        ),
        404,
      )
    })

    it('oversize body → 413 request.too-large', async () => {
      const answer = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: { username: 'big', password: 'x'.repeat(4096) },
      })
      assertProblem(answer, 413, 'request.too-large')
    })

    it('wrong content type → 415', async () => {
      const answer = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        headers: { 'content-type': 'application/xml' },
        payload: '<user/>',
      })
      assertProblem(answer, 415, 'request.unsupported-media-type')
    })

    it('duplicate user name (any case) → 409 and still one user', async () => {
      const first = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: { username: 'Dana', password: 'dana-password-1' },
      })
      assert.equal(first.status, 201)
      const before = await userCount()
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/users',
          auth: admin(),
          payload: { username: 'DANA', password: 'dana-password-2' },
        }),
        409,
        'user.exists',
      )
      assert.equal(await userCount(), before)
      const renamed = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: { username: 'erin', password: 'erin-password-1' },
      })
      assertProblem(
        await call(h.app, {
          method: 'PATCH',
          url: `/api/admin/users/${renamed.body.id}`,
          auth: admin(),
          payload: { username: 'dana' },
        }),
        409,
        'user.exists',
      )
    })

    it('weak password, invalid name or unknown role → no user row at all', async () => {
      const before = await userCount()
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/users',
          auth: admin(),
          payload: { username: 'weak', password: 'short' },
        }),
        400,
        'password.weak',
      )
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/users',
          auth: admin(),
          payload: { username: 'a/b/c', password: 'long-enough-1' },
        }),
        400,
        'user.invalid-name',
      )
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/users',
          auth: admin(),
          payload: { username: 'roleless', password: 'long-enough-1', roles: ['no-such-role'] },
        }),
        404,
        'role.not-found',
      )
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/users',
          auth: admin(),
          payload: { username: 'both', password: 'long-enough-1', passwordHash: '$2b$04$abc' },
        }),
        400,
        'request.invalid',
      )
      assert.equal(await userCount(), before)
      const weakSet = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users/dana/password',
        auth: admin(),
        payload: { password: 'short' },
      })
      assertProblem(weakSet, 400, 'password.weak')
      assert.equal(
        (
          await call(h.app, {
            method: 'POST',
            url: '/api/auth/login',
            payload: { username: 'admin', password: 'Admin-Password-For-Tests-1' },
          })
        ).status,
        200,
      )
    })

    it('unknown routes, tenants and resources → 404 problem+json', async () => {
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/nothing-here', auth: admin() }),
        404,
        'route.not-found',
      )
      assertProblem(
        await call(h.app, { method: 'GET', url: '/t/unknown.example/api/admin/users', auth: admin() }),
        404,
        'tenant.not-found',
      )
      assertProblem(
        await call(h.app, {
          method: 'GET',
          url: '/api/admin/users/00000000-0000-0000-0000-000000000000',
          auth: admin(),
        }),
        404,
        'user.not-found',
      )
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/roles/nope/members',
          auth: admin(),
          payload: { users: ['dana'] },
        }),
        404,
        'role.not-found',
      )
    })

    it('limits sign-in attempts per client address', async () => {
      const attempts = []
      for (let i = 0; i < 7; i++)
        attempts.push(
          await call(h.app, {
            method: 'POST',
            url: '/api/auth/login',
            payload: { username: 'dana', password: 'wrong' },
          }),
        )
      const limited = attempts.filter((answer) => answer.status === 429)
      assert.ok(limited.length >= 1, 'the sixth attempt within a minute is refused')
      assertProblem(limited[0]!, 429, 'auth.rate-limited')
    })
  })
}
