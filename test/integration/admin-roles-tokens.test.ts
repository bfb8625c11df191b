import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { assertProblem, bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

for (const kind of storeKinds) {
  describe(`${kind.kind}: admin API — roles and tokens`, { skip: kind.skip }, () => {
    let h: Harness
    const admin = () => h.adminAuth

    before(async () => {
      h = await openHarness(kind)
      for (const username of ['rita', 'sam']) {
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/users',
          auth: admin(),
          payload: { username, password: `${username}-password-1` },
        })
      }
    })
    after(async () => h?.close())

    it('creates roles, refuses unknown permissions and duplicates', async () => {
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: admin(),
        payload: { name: 'Help Desk', permissions: ['users:read', 'reset:force'] },
      })
      assert.equal(created.status, 201)
      assert.deepEqual(created.body.permissions, ['reset:force', 'users:read'])
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/roles',
          auth: admin(),
          payload: { name: 'help desk', permissions: [] },
        }),
        409,
        'role.exists',
      )
      const unknown = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: admin(),
        payload: { name: 'bad', permissions: ['root'] },
      })
      assertProblem(unknown, 400, 'request.invalid')
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/roles/bad', auth: admin() }),
        404,
        'role.not-found',
      )
    })

    it('assigns members by id and by user name, all or nothing', async () => {
      const rita = await call(h.app, { method: 'GET', url: '/api/admin/users/rita', auth: admin() })
      const assigned = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles/help%20desk/members',
        auth: admin(),
        payload: { users: [rita.body.id, 'SAM'] },
      })
      assert.equal(assigned.status, 200)
      assert.deepEqual(
        assigned.body.members.map((member: { username: string }) => member.username),
        ['rita', 'sam'],
      )
      const partial = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: admin(),
        payload: { name: 'Empty', permissions: ['login'] },
      })
      assert.equal(partial.status, 201)
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/roles/Empty/members',
          auth: admin(),
          payload: { users: ['rita', 'ghost'] },
        }),
        404,
        'user.not-found',
      )
      assert.deepEqual(
        (await call(h.app, { method: 'GET', url: '/api/admin/roles/Empty/members', auth: admin() })).body
          .members,
        [],
      )
      const shown = await call(h.app, { method: 'GET', url: '/api/admin/users/rita', auth: admin() })
      assert.deepEqual(shown.body.roles, ['Help Desk'])
    })

    it('grants login through a role and takes it away again', async () => {
      const login = () =>
        call(h.app, {
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'sam', password: 'sam-password-1' },
        })
      assertProblem(await login(), 403, 'auth.login-not-permitted')
      const updated = await call(h.app, {
        method: 'PATCH',
        url: '/api/admin/roles/Help%20Desk',
        auth: admin(),
        payload: { permissions: ['users:read', 'reset:force', 'login'] },
      })
      assert.equal(updated.status, 200)
      assert.equal((await login()).status, 200)
      assert.equal(
        (
          await call(h.app, {
            method: 'DELETE',
            url: '/api/admin/roles/Help%20Desk/members/sam',
            auth: admin(),
          })
        ).status,
        204,
      )
      assertProblem(await login(), 403, 'auth.login-not-permitted')
    })

    it('protects the built-in admin role', async () => {
      assertProblem(
        await call(h.app, { method: 'DELETE', url: '/api/admin/roles/admin', auth: admin() }),
        409,
        'role.builtin',
      )
      assertProblem(
        await call(h.app, {
          method: 'PATCH',
          url: '/api/admin/roles/admin',
          auth: admin(),
          payload: { permissions: ['login'] },
        }),
        409,
        'role.builtin',
      )
      assertProblem(
        await call(h.app, { method: 'DELETE', url: '/api/admin/roles/admin/members/admin', auth: admin() }),
        409,
        'role.last-administrator',
      )
      const viaToken = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: admin(),
        payload: { name: 'cleanup' },
      })
      const lastAdmin = await call(h.app, {
        method: 'DELETE',
        url: '/api/admin/users/admin',
        auth: bearer(viaToken.body.token),
      })
      assertProblem(lastAdmin, 409, 'role.last-administrator')
      const roles = await call(h.app, { method: 'GET', url: '/api/admin/roles', auth: admin() })
      const builtin = roles.body.roles.find((role: { name: string }) => role.name === 'admin')
      assert.equal(builtin.builtin, true)
      assert.ok(builtin.permissions.includes('tenants:manage'))
    })

    it('renames and deletes ordinary roles', async () => {
      const renamed = await call(h.app, {
        method: 'PATCH',
        url: '/api/admin/roles/Empty',
        auth: admin(),
        payload: { name: 'Unused' },
      })
      assert.equal(renamed.body.name, 'Unused')
      assert.equal(
        (await call(h.app, { method: 'DELETE', url: '/api/admin/roles/Unused', auth: admin() })).status,
        204,
      )
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/roles/Unused', auth: admin() }),
        404,
        'role.not-found',
      )
    })

    it('creates scoped API tokens shown once and stored hashed', async () => {
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: admin(),
        payload: { name: 'reader bot', scopes: ['users:read'] },
      })
      assert.equal(created.status, 201)
      assert.match(created.body.token, /^rkt_[A-Za-z0-9_-]{43}$/)
      assert.equal(created.headers['cache-control'], 'no-store')
      const listed = await call(h.app, { method: 'GET', url: '/api/admin/tokens', auth: admin() })
      assert.ok(!JSON.stringify(listed.body).includes(created.body.token))
      const stored = await h.container.store.db.selectFrom('api_tokens').selectAll().execute()
      assert.ok(!JSON.stringify(stored).includes(created.body.token), 'only a hash is stored')

      const token = bearer(created.body.token)
      assert.equal((await call(h.app, { method: 'GET', url: '/api/admin/users', auth: token })).status, 200)
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/users',
          auth: token,
          payload: { username: 'by-token', password: 'token-password-1' },
        }),
        403,
        'auth.forbidden',
      )
      const audit = await call(h.app, {
        method: 'GET',
        url: '/api/admin/audit?action=token.created',
        auth: admin(),
      })
      assert.equal(audit.body.events[0].detail.name, 'reader bot')

      assert.equal(
        (await call(h.app, { method: 'DELETE', url: `/api/admin/tokens/${created.body.id}`, auth: admin() }))
          .status,
        204,
      )
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/users', auth: token }),
        401,
        'auth.failed',
      )
      assertProblem(
        await call(h.app, { method: 'DELETE', url: `/api/admin/tokens/${created.body.id}x`, auth: admin() }),
        404,
        'token.not-found',
      )
    })

    it('never mints a token broader than its creator', async () => {
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: admin(),
        payload: { name: 'token makers', permissions: ['tokens:manage', 'users:read'] },
      })
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles/token%20makers/members',
        auth: admin(),
        payload: { users: ['rita'] },
      })
      const rita = basicAuth('rita', 'rita-password-1')
      const broad = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: rita,
        payload: { name: 'escalate', scopes: ['users:write'] },
      })
      assertProblem(broad, 403, 'token.scope-exceeds-grant')
      const fallback = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: rita,
        payload: { name: 'own scopes' },
      })
      assert.equal(fallback.status, 201)
      assert.deepEqual(fallback.body.scopes, ['login', 'reset:force', 'tokens:manage', 'users:read'])
    })

    it('accepts a sign-in session as a bearer value', async () => {
      const session = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'admin', password: 'Admin-Password-For-Tests-1' },
      })
      assert.equal(
        (await call(h.app, { method: 'GET', url: '/api/admin/roles', auth: bearer(session.body.token) }))
          .status,
        200,
      )
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
