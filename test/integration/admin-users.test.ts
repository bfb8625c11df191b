import assert from 'node:assert/strict'
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import bcrypt from 'bcryptjs'
import { type Harness, openHarness } from '../support/harness.ts'
import { type Answer, assertProblem, bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'

for (const kind of storeKinds) {
  describe(`${kind.kind}: admin API — users`, { skip: kind.skip }, () => {
    let h: Harness
    const admin = () => h.adminAuth
    const login = (username: string, password: string): Promise<Answer> =>
      call(h.app, { method: 'POST', url: '/api/auth/login', payload: { username, password } })

    before(async () => {
      h = await openHarness(kind)
      const role = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: admin(),
        payload: { name: 'member', permissions: ['login'] },
      })
      assert.equal(role.status, 201)
    })
    after(async () => h?.close())

    it('creates a user with claims and answers 201 with its id and location', async () => {
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: {
          username: 'alex',
          password: 'alex-password-1',
          claims: { [EMAIL]: 'alex@example.com' },
          roles: ['member'],
        },
      })
      assert.equal(created.status, 201)
      assert.match(created.body.id, /^[0-9a-f-]{36}$/)
      assert.equal(created.headers.location, `/api/admin/users/${created.body.id}`)
      assert.equal(created.body.claims[EMAIL], 'alex@example.com')
      assert.deepEqual(created.body.roles, ['member'])
      assert.equal(created.body.password, undefined)
      assert.ok(!JSON.stringify(created.body).includes('argon2'), 'no hash in the answer')
      assert.equal((await login('alex', 'alex-password-1')).status, 200)
    })

    it('reads a user by id and by user name, case-insensitively', async () => {
      const byName = await call(h.app, { method: 'GET', url: '/api/admin/users/ALEX', auth: admin() })
      assert.equal(byName.status, 200)
      const byId = await call(h.app, {
        method: 'GET',
        url: `/api/admin/users/${byName.body.id}`,
        auth: admin(),
      })
      assert.deepEqual(byId.body, byName.body)
    })

    it('lists with paging and a user name prefix', async () => {
      for (const name of ['page-1', 'page-2', 'page-3']) {
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/users',
          auth: admin(),
          payload: { username: name, password: 'page-password-1' },
        })
      }
      const first = await call(h.app, {
        method: 'GET',
        url: '/api/admin/users?username=page-&limit=2',
        auth: admin(),
      })
      assert.equal(first.status, 200)
      assert.equal(first.body.total, 3)
      assert.deepEqual(
        first.body.users.map((user: { username: string }) => user.username),
        ['page-1', 'page-2'],
      )
      const second = await call(h.app, {
        method: 'GET',
        url: '/api/admin/users?username=page-&limit=2&offset=2',
        auth: admin(),
      })
      assert.deepEqual(
        second.body.users.map((user: { username: string }) => user.username),
        ['page-3'],
      )
      assert.equal(second.body.total, 3)
      assert.equal(second.body.offset, 2)
      const upper = await call(h.app, {
        method: 'GET',
        url: '/api/admin/users?username=PAGE-',
        auth: admin(),
      })
      assert.equal(upper.body.total, 3, 'the prefix is case-insensitive')
      const none = await call(h.app, { method: 'GET', url: '/api/admin/users?username=zzz', auth: admin() })
      assert.deepEqual([none.body.users, none.body.total], [[], 0])
      const all = await call(h.app, { method: 'GET', url: '/api/admin/users', auth: admin() })
      assert.equal(all.body.limit, 50)
      assert.equal(all.body.total, all.body.users.length)
      assert.ok(all.body.users.every((user: { password?: unknown }) => user.password === undefined))
    })

    it('changes and removes claims with PATCH', async () => {
      const patched = await call(h.app, {
        method: 'PATCH',
        url: '/api/admin/users/alex',
        auth: admin(),
        payload: { claims: { [EMAIL]: null, 'http://wso2.org/claims/givenname': 'Alex' } },
      })
      assert.equal(patched.status, 200)
      assert.deepEqual(patched.body.claims, { 'http://wso2.org/claims/givenname': 'Alex' })
      assert.equal(patched.body.version, 2)
      const stored = await call(h.app, {
        method: 'GET',
        url: `/api/admin/users/${patched.body.id}`,
        auth: admin(),
      })
      assert.deepEqual(stored.body.claims, { 'http://wso2.org/claims/givenname': 'Alex' })
      const untouched = await call(h.app, {
        method: 'PATCH',
        url: '/api/admin/users/alex',
        auth: admin(),
        payload: { claims: { 'http://wso2.org/claims/lastname': 'Smith' } },
      })
      assert.deepEqual(
        untouched.body.claims,
        { 'http://wso2.org/claims/givenname': 'Alex', 'http://wso2.org/claims/lastname': 'Smith' },
        'claims not named in a PATCH are kept',
      )
      const removedUnknown = await call(h.app, {
        method: 'PATCH',
        url: '/api/admin/users/alex',
        auth: admin(),
        payload: { claims: { 'http://wso2.org/claims/lastname': null, 'urn:example:never-set': null } },
      })
      assert.equal(removedUnknown.status, 200)
      assert.deepEqual(removedUnknown.body.claims, { 'http://wso2.org/claims/givenname': 'Alex' })
      assertProblem(
        await call(h.app, {
          method: 'PATCH',
          url: '/api/admin/users/nobody-at-all',
          auth: admin(),
          payload: { claims: { [EMAIL]: 'x@example.com' } },
        }),
        404,
        'user.not-found',
      )
    })

    it('renames a user: the new name signs in, the old one is gone', async () => {
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: { username: 'old-name', password: 'rename-password-1', roles: ['member'] },
      })
      const renamed = await call(h.app, {
        method: 'PATCH',
        url: `/api/admin/users/${created.body.id}`,
        auth: admin(),
        payload: { username: 'New-Name' },
      })
      assert.equal(renamed.status, 200)
      assert.equal(renamed.body.username, 'New-Name')
      assert.equal(renamed.body.id, created.body.id)
      assert.equal((await login('new-name', 'rename-password-1')).status, 200)
      assertProblem(await login('old-name', 'rename-password-1'), 401, 'auth.failed')
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/users/old-name', auth: admin() }),
        404,
        'user.not-found',
      )
    })

    it('sets a password: the old one stops working and the user’s sessions end', async () => {
      const session = await login('alex', 'alex-password-1')
      assert.equal(session.status, 200)
      const set = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users/alex/password',
        auth: admin(),
        payload: { password: 'alex-password-2' },
      })
      assert.equal(set.status, 204)
      assertProblem(await login('alex', 'alex-password-1'), 401, 'auth.failed')
      assert.equal((await login('alex', 'alex-password-2')).status, 200)
      const old = await call(h.app, {
        method: 'GET',
        url: '/api/auth/session',
        auth: bearer(session.body.token),
      })
      assertProblem(old, 401, 'auth.required')
    })

    it('locks and unlocks: a locked user gets the wrong-password answer', async () => {
      const wrong = await login('alex', 'not-the-password')
      const before = await login('alex', 'alex-password-2')
      assert.equal(before.status, 200)
      const locked = await call(h.app, { method: 'POST', url: '/api/admin/users/alex/lock', auth: admin() })
      assert.equal(locked.status, 200)
      assert.equal(locked.body.status, 'locked')
      assert.equal(locked.body.lockReason, 'admin')
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/auth/session', auth: bearer(before.body.token) }),
        401,
        'auth.required',
      )
      const relocked = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users/alex/lock',
        auth: admin(),
        payload: { reason: 'suspicious-activity' },
      })
      assert.equal(relocked.body.lockReason, 'suspicious-activity')
      const refused = await login('alex', 'alex-password-2')
      assertProblem(refused, 401, 'auth.failed')
      assert.deepEqual(refused.body, wrong.body)
      const unlocked = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users/alex/unlock',
        auth: admin(),
      })
      assert.equal(unlocked.body.status, 'active')
      assert.equal(unlocked.body.lockReason, null)
      assert.equal((await login('alex', 'alex-password-2')).status, 200)
    })

    it('lists and revokes a user’s sessions', async () => {
      const session = await login('alex', 'alex-password-2')
      const listed = await call(h.app, {
        method: 'GET',
        url: '/api/admin/users/alex/sessions',
        auth: admin(),
      })
      const ids = listed.body.sessions.map((entry: { id: string }) => entry.id)
      assert.ok(ids.includes(session.body.sessionId))
      const revoked = await call(h.app, {
        method: 'DELETE',
        url: `/api/admin/users/alex/sessions/${session.body.sessionId}`,
        auth: admin(),
      })
      assert.equal(revoked.status, 204)
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/auth/session', auth: bearer(session.body.token) }),
        401,
        'auth.required',
      )
    })

    it('addresses users of a secondary user store as DOMAIN/name', async () => {
      const store = await call(h.app, {
        method: 'POST',
        url: '/api/admin/user-stores',
        auth: admin(),
        payload: { domain: 'partners' },
      })
      assert.equal(store.status, 201)
      assert.equal(store.body.domain, 'PARTNERS')
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: { username: 'PARTNERS/alex', password: 'partner-password-1', roles: ['member'] },
      })
      assert.equal(created.status, 201)
      assert.equal(created.body.username, 'PARTNERS/alex')
      const shown = await call(h.app, {
        method: 'GET',
        url: `/api/admin/users/${encodeURIComponent('partners/alex')}`,
        auth: admin(),
      })
      assert.equal(shown.body.id, created.body.id)
      assert.equal((await login('PARTNERS/alex', 'partner-password-1')).status, 200)
      assert.equal((await login('PRIMARY/alex', 'alex-password-2')).status, 200)
      assertProblem(await login('PARTNERS/alex', 'alex-password-2'), 401, 'auth.failed')
      const partners = await call(h.app, {
        method: 'GET',
        url: '/api/admin/users?domain=partners',
        auth: admin(),
      })
      assert.deepEqual(
        partners.body.users.map((user: { username: string }) => user.username),
        ['PARTNERS/alex'],
      )
      const stores = await call(h.app, { method: 'GET', url: '/api/admin/user-stores', auth: admin() })
      assert.deepEqual(
        stores.body.userStores.map((entry: { domain: string }) => entry.domain),
        ['PARTNERS', 'PRIMARY'],
      )
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/user-stores',
          auth: admin(),
          payload: { domain: 'Partners' },
        }),
        409,
        'userstore.exists',
      )
      const unknownStore = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: { username: 'NOPE/x', password: 'some-password-1' },
      })
      assertProblem(unknownStore, 404, 'userstore.not-found')
    })

    it('imports bcrypt, PBKDF2-SHA256 and salted SHA-256 hashes and upgrades them at sign-in', async () => {
      const salt = randomBytes(8)
      const imported = {
        'import-bcrypt': bcrypt.hashSync('imported-pass-1', 4).replace(/^\$2b\$/, '$2y$'),
        'import-pbkdf2': `pbkdf2_sha256$1000$somesalt$${pbkdf2Sync('imported-pass-1', 'somesalt', 1000, 32, 'sha256').toString('base64')}`,
        'import-ssha': `{SSHA256}${Buffer.concat([createHash('sha256').update('imported-pass-1').update(salt).digest(), salt]).toString('base64')}`,
      }
      for (const [username, passwordHash] of Object.entries(imported)) {
        const created = await call(h.app, {
          method: 'POST',
          url: '/api/admin/users',
          auth: admin(),
          payload: { username, passwordHash, roles: ['member'] },
        })
        assert.equal(created.status, 201, JSON.stringify(created.body))
        const before = await h.container.store.db
          .selectFrom('password_credentials')
          .select(['hash', 'changed_at'])
          .where('user_id', '=', created.body.id)
          .executeTakeFirstOrThrow()
        assert.equal(before.hash, passwordHash)
        assertProblem(await login(username, 'wrong-password-1'), 401, 'auth.failed')
        assert.equal((await login(username, 'imported-pass-1')).status, 200)
        const after = await h.container.store.db
          .selectFrom('password_credentials')
          .select(['hash', 'changed_at'])
          .where('user_id', '=', created.body.id)
          .executeTakeFirstOrThrow()
        assert.match(after.hash, /^\$argon2id\$/)
        assert.equal(after.changed_at, before.changed_at)
        assert.equal((await login(username, 'imported-pass-1')).status, 200)
      }
      const unsupported = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: { username: 'import-md5', passwordHash: '{MD5}abc' },
      })
      assertProblem(unsupported, 400, 'password.unsupported-hash')
    })

    it('deletes a user with its sessions, and refuses to let an administrator delete itself', async () => {
      const victim = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: admin(),
        payload: {
          username: 'to-delete',
          password: 'delete-me-please',
          roles: ['member'],
          claims: { [EMAIL]: 'delete@example.com' },
        },
      })
      const session = await login('to-delete', 'delete-me-please')
      assert.equal(session.status, 200)
      assert.equal(
        (await call(h.app, { method: 'DELETE', url: `/api/admin/users/${victim.body.id}`, auth: admin() }))
          .status,
        204,
      )
      assertProblem(
        await call(h.app, { method: 'GET', url: `/api/admin/users/${victim.body.id}`, auth: admin() }),
        404,
        'user.not-found',
      )
      assertProblem(await login('to-delete', 'delete-me-please'), 401, 'auth.failed')
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/auth/session', auth: bearer(session.body.token) }),
        401,
        'auth.required',
      )
      const db = h.container.store.db
      for (const table of ['user_claims', 'password_credentials', 'user_roles', 'sessions'] as const) {
        const rows = await db.selectFrom(table).selectAll().where('user_id', '=', victim.body.id).execute()
        assert.deepEqual(rows, [], `${table} rows of the deleted user`)
      }
      assertProblem(
        await call(h.app, { method: 'DELETE', url: `/api/admin/users/${victim.body.id}`, auth: admin() }),
        404,
        'user.not-found',
      )
      assertProblem(
        await call(h.app, { method: 'DELETE', url: '/api/admin/users/admin', auth: admin() }),
        409,
        'user.self-delete',
      )
    })
  })
}
