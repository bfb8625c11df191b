import assert from 'node:assert/strict'
import { pbkdf2Sync } from 'node:crypto'
import { after, before, beforeEach, describe, it } from 'node:test'
import { buildContainer } from '../../src/container.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { type Answer, assertProblem, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const cli = { kind: 'cli', id: null, name: 'cli' } as const

for (const kind of storeKinds) {
  describe(`${kind.kind}: HTTP Basic on the admin API`, { skip: kind.skip }, () => {
    let h: Harness
    let verifications = 0
    let duringVerification: (() => Promise<void>) | undefined
    let restore: () => void

    const listUsers = (auth: string): Promise<Answer> =>
      call(h.app, { method: 'GET', url: '/api/admin/users?limit=1', auth })
    const createOperator = async (username: string, password: string) => {
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: h.adminAuth,
        payload: { username, password, roles: ['operators'] },
      })
      assert.equal(created.status, 201)
    }

    before(async () => {
      h = await openHarness(kind)
      const role = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: h.adminAuth,
        payload: { name: 'operators', permissions: ['users:read', 'users:write'] },
      })
      assert.equal(role.status, 201)
      // Counts argon2 (and imported-hash) verifications; a test may also act while one runs.
      const hasher = h.container.hasher
      const original = hasher.verify.bind(hasher)
      hasher.verify = async (encoded, password) => {
        verifications++
        const result = await original(encoded, password)
        if (duringVerification) {
          const action = duringVerification
          duringVerification = undefined
          await action()
        }
        return result
      }
      restore = () => {
        hasher.verify = original
      }
    })
    beforeEach(() => {
      verifications = 0
      duringVerification = undefined
    })
    after(async () => {
      restore?.()
      await h?.close()
    })

    it('verifies a burst of sequential calls with one argon2 run', async () => {
      await createOperator('serial', 'serial-password-1')
      verifications = 0
      const auth = basicAuth('serial', 'serial-password-1')
      for (let i = 0; i < 20; i++) assert.equal((await listUsers(auth)).status, 200)
      assert.equal(verifications, 1)
    })

    it('verifies a burst of concurrent calls with one argon2 run', async () => {
      await createOperator('parallel', 'parallel-password-1')
      verifications = 0
      const auth = basicAuth('parallel', 'parallel-password-1')
      const answers = await Promise.all(Array.from({ length: 20 }, () => listUsers(auth)))
      assert.deepEqual(
        answers.map((answer) => answer.status),
        Array(20).fill(200),
      )
      assert.equal(verifications, 1)
    })

    it('never remembers a failure: every wrong password is verified and refused', async () => {
      await createOperator('guessed', 'guessed-password-1')
      verifications = 0
      for (let i = 0; i < 3; i++)
        assertProblem(await listUsers(basicAuth('guessed', 'not-the-password')), 401, 'auth.failed')
      assert.equal(verifications, 3)
      assert.equal((await listUsers(basicAuth('guessed', 'guessed-password-1'))).status, 200)
    })

    it('rejects the old password at once after a password change through the API', async () => {
      await createOperator('changer', 'changer-password-1')
      const old = basicAuth('changer', 'changer-password-1')
      assert.equal((await listUsers(old)).status, 200)
      const changed = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users/changer/password',
        auth: old,
        payload: { password: 'changer-password-2' },
      })
      assert.equal(changed.status, 204)
      assertProblem(await listUsers(old), 401, 'auth.failed')
      assert.equal((await listUsers(basicAuth('changer', 'changer-password-2'))).status, 200)
      // An administrator changing someone else's password has the same effect.
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/users/changer/password',
        auth: h.adminAuth,
        payload: { password: 'changer-password-3' },
      })
      assertProblem(await listUsers(basicAuth('changer', 'changer-password-2')), 401, 'auth.failed')
    })

    it('does not remember the old password when it is changed during its verification', async () => {
      await createOperator('racer', 'racer-password-1')
      const old = basicAuth('racer', 'racer-password-1')
      duringVerification = async () => {
        await h.container.users.setPassword(h.defaultTenant, 'racer', 'racer-password-2', cli)
      }
      // This call started before the change; whether it passes is a matter of timing.
      await listUsers(old)
      assert.equal(duringVerification, undefined, 'the password changed mid-verification')
      assertProblem(await listUsers(old), 401, 'auth.failed')
      assert.equal((await listUsers(basicAuth('racer', 'racer-password-2'))).status, 200)
    })

    it('remembers an imported hash by its upgraded encoding', async () => {
      const salt = 'importsalt'
      const digest = pbkdf2Sync('imported-password-1', salt, 1000, 32, 'sha256').toString('base64')
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: h.adminAuth,
        payload: {
          username: 'imported',
          passwordHash: `pbkdf2_sha256$1000$${salt}$${digest}`,
          roles: ['operators'],
        },
      })
      assert.equal(created.status, 201)
      verifications = 0
      const auth = basicAuth('imported', 'imported-password-1')
      for (let i = 0; i < 5; i++) assert.equal((await listUsers(auth)).status, 200)
      assert.equal(verifications, 1, 'the upgrade does not make the next call miss')
      const stored = await h.container.store.db
        .selectFrom('password_credentials')
        .select('hash')
        .where('user_id', '=', created.body.id)
        .executeTakeFirstOrThrow()
      assert.match(stored.hash, /^\$argon2id\$/)
    })

    it('notices a password changed by another instance sharing the store', async () => {
      await createOperator('shared', 'shared-password-1')
      const auth = basicAuth('shared', 'shared-password-1')
      assert.equal((await listUsers(auth)).status, 200)
      const other = buildContainer(h.config, { store: h.container.store, logger: createLogger('silent') })
      await other.users.setPassword(h.defaultTenant, 'shared', 'shared-password-2', cli)
      assertProblem(await listUsers(auth), 401, 'auth.failed')
    })

    it('applies a lock and a lost role to remembered credentials at once', async () => {
      await createOperator('kept', 'kept-password-1')
      const auth = basicAuth('kept', 'kept-password-1')
      assert.equal((await listUsers(auth)).status, 200)
      const removed = await call(h.app, {
        method: 'DELETE',
        url: '/api/admin/roles/operators/members/kept',
        auth: h.adminAuth,
      })
      assert.equal(removed.status, 204)
      assertProblem(await listUsers(auth), 403, 'auth.forbidden')
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles/operators/members',
        auth: h.adminAuth,
        payload: { users: ['kept'] },
      })
      assert.equal((await listUsers(auth)).status, 200)
      const locked = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users/kept/lock',
        auth: h.adminAuth,
      })
      assert.equal(locked.status, 200)
      const refused = await listUsers(auth)
      assertProblem(refused, 401, 'auth.failed')
      assert.deepEqual(refused.body, (await listUsers(basicAuth('kept', 'wrong-password-1'))).body)
    })

    it('forgets a deleted user at once', async () => {
      await createOperator('gone', 'gone-password-1')
      const auth = basicAuth('gone', 'gone-password-1')
      assert.equal((await listUsers(auth)).status, 200)
      assert.equal(
        (await call(h.app, { method: 'DELETE', url: '/api/admin/users/gone', auth: h.adminAuth })).status,
        204,
      )
      assertProblem(await listUsers(auth), 401, 'auth.failed')
    })
  })
}
