import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { cliActor } from '../../src/observability/audit.ts'
import { shippedPasswordPolicy } from '../support/config.ts'
import { freshUser, staffRole } from '../support/fresh-user.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { assertProblem, bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const REKEY = 'urn:rekey:params:scim:schemas:extension:2.0:User'
const OLD_PASSWORD = 'Harbour-Lantern-73'

/**
 * A pending forced reset's lock survives every status write: only completing or cancelling the
 * reset lifts it. Disabling and enabling an account keeps whatever lock it had.
 */
for (const kind of storeKinds) {
  describe(`${kind.kind}: the lock of a pending reset`, { skip: kind.skip }, () => {
    let h: Harness
    let userId: string
    /** A bearer token that may edit profiles (users:write) but not force or cancel resets. */
    let editor: string

    before(async () => {
      h = await openHarness(kind, { env: { ...shippedPasswordPolicy } })
      await staffRole(h)
      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: h.adminAuth,
        payload: { name: 'profile-editor', scopes: ['users:read', 'users:write'] },
      })
      assert.equal(token.status, 201)
      editor = bearer(token.body.token)
    })
    after(async () => h?.close())

    beforeEach(async () => {
      userId = await freshUser(h, {
        username: 'lee',
        password: OLD_PASSWORD,
        roles: ['staff'],
        claims: { [EMAIL]: 'lee@example.com' },
      })
    })

    const login = () =>
      call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'lee', password: OLD_PASSWORD },
      })
    const patch = (auth: string, operations: unknown[]) =>
      call(h.app, {
        method: 'PATCH',
        url: `/scim2/Users/${userId}`,
        auth,
        headers: { 'content-type': 'application/scim+json' },
        payload: { schemas: [PATCH_OP], Operations: operations },
      })
    const force = async () => {
      const forced = await patch(h.adminAuth, [
        { op: 'add', value: { [ENTERPRISE]: { forcePasswordReset: true } } },
      ])
      assert.equal(forced.status, 200, JSON.stringify(forced.body))
      return forced.body
    }
    const stored = async () => {
      const user = await h.container.users.get(h.defaultTenant, userId)
      return { status: user.status, lockReason: user.lockReason ?? null }
    }
    const latestLinkToken = async () => {
      await h.container.outboxWorker.drain()
      const [latest] = await h.container.outbox.mailbox(h.defaultTenant, {
        limit: 1,
        recipient: 'lee@example.com',
      })
      assert.ok(latest, 'a message to lee')
      const { text } = await h.container.outbox.readMailbox(h.defaultTenant, latest.id, cliActor)
      const match = /reset-password\?token=([A-Za-z0-9_%-]+)/.exec(text)
      assert.ok(match, text)
      return decodeURIComponent(match[1]!)
    }
    const adminLock = async (reason: string) => {
      const locked = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/lock`,
        auth: h.adminAuth,
        payload: { reason },
      })
      assert.equal(locked.status, 200, JSON.stringify(locked.body))
    }
    const etag = async () =>
      (await call(h.app, { method: 'GET', url: `/scim2/Users/${userId}`, auth: h.adminAuth })).headers.etag

    it('SCIM accountLocked false is refused with mutability, and nothing changes', async () => {
      await force()
      const version = await etag()
      for (const operations of [
        [{ op: 'replace', path: `${REKEY}:accountLocked`, value: false }],
        [{ op: 'replace', value: { [REKEY]: { accountLocked: 'False' } } }],
      ]) {
        for (const auth of [editor, h.adminAuth]) {
          const refused = await patch(auth, operations)
          assert.equal(refused.status, 400, JSON.stringify(refused.body))
          assert.equal(refused.body.scimType, 'mutability')
          assert.match(refused.body.detail, /forced password reset/)
        }
      }
      assert.equal(await etag(), version, 'nothing was stored')
      assert.deepEqual(await stored(), { status: 'locked', lockReason: 'reset-pending' })
      assertProblem(await login(), 401, 'auth.failed')
    })

    it('SCIM active false then true keeps the reset lock; the old password never works', async () => {
      await force()
      for (const [operations, expected] of [
        [[{ op: 'replace', path: 'active', value: false }], 'disabled'],
        [[{ op: 'replace', path: 'active', value: true }], 'locked'],
        [[{ op: 'replace', value: { active: 'False' } }], 'disabled'],
        [[{ op: 'replace', value: { active: 'True' } }], 'locked'],
      ] as const) {
        const answer = await patch(editor, [...operations])
        assert.equal(answer.status, 200, JSON.stringify(answer.body))
        assert.equal(answer.body[REKEY].accountLocked, true, 'still locked underneath')
        assert.equal(answer.body[REKEY].lockedReason, 'reset-pending')
        assert.deepEqual(answer.body[ENTERPRISE], { forcePasswordReset: true })
        assert.deepEqual(await stored(), { status: expected, lockReason: 'reset-pending' })
        assertProblem(await login(), 401, 'auth.failed')
      }
      const lockedAndDisabled = await call(h.app, {
        method: 'GET',
        url: `/scim2/Users?filter=${encodeURIComponent(`userName eq "lee" and ${REKEY}:accountLocked eq true`)}`,
        auth: h.adminAuth,
      })
      assert.equal(lockedAndDisabled.body.totalResults, 1, 'the filter agrees with the resource')
    })

    it('cancelling the reset in the same write may unlock; without reset:force it is refused', async () => {
      await force()
      const cancelAndUnlock = [
        { op: 'replace', path: `${ENTERPRISE}:forcePasswordReset`, value: false },
        { op: 'replace', path: `${REKEY}:accountLocked`, value: false },
      ]
      const forbidden = await patch(editor, cancelAndUnlock)
      assert.equal(forbidden.status, 403, JSON.stringify(forbidden.body))
      assert.deepEqual(await stored(), { status: 'locked', lockReason: 'reset-pending' })
      const done = await patch(h.adminAuth, cancelAndUnlock)
      assert.equal(done.status, 200, JSON.stringify(done.body))
      assert.deepEqual(await stored(), { status: 'active', lockReason: null })
      assert.equal((await login()).status, 200)
    })

    it('the admin API refuses to unlock or re-lock a reset-locked account', async () => {
      await force()
      const unlock = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/unlock`,
        auth: h.adminAuth,
      })
      assertProblem(unlock, 409, 'user.reset-locked')
      const relock = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/lock`,
        auth: h.adminAuth,
        payload: { reason: 'left-company' },
      })
      assertProblem(relock, 409, 'user.reset-locked')
      assert.deepEqual(await stored(), { status: 'locked', lockReason: 'reset-pending' })
      const impostor = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/lock`,
        auth: h.adminAuth,
        payload: { reason: 'reset-pending' },
      })
      assertProblem(impostor, 400, 'request.invalid')

      const cancel = await call(h.app, {
        method: 'DELETE',
        url: `/api/admin/users/${userId}/force-password-reset`,
        auth: h.adminAuth,
      })
      assert.ok(cancel.status < 300, JSON.stringify(cancel.body))
      assert.deepEqual(await stored(), { status: 'active', lockReason: null })
      const fake = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/lock`,
        auth: h.adminAuth,
        payload: { reason: 'reset-pending' },
      })
      assertProblem(fake, 400, 'request.invalid')
    })

    it('an administrator lock survives disabling and enabling; unlocking does not enable', async () => {
      const locked = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/lock`,
        auth: h.adminAuth,
        payload: { reason: 'left-company' },
      })
      assert.equal(locked.status, 200)
      assert.equal((await patch(editor, [{ op: 'replace', path: 'active', value: false }])).status, 200)
      assert.deepEqual(await stored(), { status: 'disabled', lockReason: 'left-company' })
      assert.equal((await patch(editor, [{ op: 'replace', path: 'active', value: true }])).status, 200)
      assert.deepEqual(await stored(), { status: 'locked', lockReason: 'left-company' })
      assertProblem(await login(), 401, 'auth.failed')

      assert.equal((await patch(editor, [{ op: 'replace', path: 'active', value: false }])).status, 200)
      const unlocked = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/unlock`,
        auth: h.adminAuth,
      })
      assert.equal(unlocked.status, 200)
      assert.deepEqual(await stored(), { status: 'disabled', lockReason: null }, 'still disabled')
      assertProblem(await login(), 401, 'auth.failed')
    })

    it('forcing a reset of a disabled account keeps it disabled; cancelling leaves it disabled and unlocked', async () => {
      assert.equal((await patch(h.adminAuth, [{ op: 'replace', path: 'active', value: false }])).status, 200)
      const forced = await force()
      assert.equal(forced.active, false)
      assert.equal(forced[REKEY].accountLocked, true)
      assert.deepEqual(await stored(), { status: 'disabled', lockReason: 'reset-pending' })
      const cancelled = await patch(h.adminAuth, [
        { op: 'replace', path: `${ENTERPRISE}:forcePasswordReset`, value: false },
      ])
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body))
      assert.deepEqual(await stored(), { status: 'disabled', lockReason: null })
    })

    it('a pending reset refuses the password whatever the status says', async () => {
      await force()
      // However it came about (an older version, a write outside Rekey), an active status beside
      // a pending reset does not bring the old password back, on any sign-in path.
      await h.container.store.db
        .updateTable('users')
        .set({ status: 'active', lock_reason: null })
        .where('id', '=', userId)
        .execute()
      const refused = await login()
      assertProblem(refused, 401, 'auth.failed')
      const basic = await call(h.app, {
        method: 'GET',
        url: '/api/admin/users',
        auth: `Basic ${Buffer.from(`lee:${OLD_PASSWORD}`).toString('base64')}`,
      })
      assertProblem(basic, 401, 'auth.failed')
    })

    it('SCIM create that forces a reset keeps its lock under active false', async () => {
      const existing = await h.container.users.find(h.defaultTenant, 'newbie')
      if (existing) await h.container.users.delete(h.defaultTenant, existing.id, cliActor)
      const created = await call(h.app, {
        method: 'POST',
        url: '/scim2/Users',
        auth: h.adminAuth,
        headers: { 'content-type': 'application/scim+json' },
        payload: {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
          userName: 'newbie',
          password: OLD_PASSWORD,
          active: false,
          emails: [{ value: 'newbie@example.com' }],
          [ENTERPRISE]: { forcePasswordReset: true },
        },
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const id = created.body.id
      const row = async () => {
        const user = await h.container.users.get(h.defaultTenant, id)
        return { status: user.status, lockReason: user.lockReason ?? null }
      }
      assert.deepEqual(await row(), { status: 'disabled', lockReason: 'reset-pending' })
      const enabled = await call(h.app, {
        method: 'PATCH',
        url: `/scim2/Users/${id}`,
        auth: editor,
        headers: { 'content-type': 'application/scim+json' },
        payload: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: true }] },
      })
      assert.equal(enabled.status, 200, JSON.stringify(enabled.body))
      assert.deepEqual(await row(), { status: 'locked', lockReason: 'reset-pending' })
      const signIn = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'newbie', password: OLD_PASSWORD },
      })
      assertProblem(signIn, 401, 'auth.failed')
      await h.container.users.delete(h.defaultTenant, id, cliActor)
    })

    it("a reset keeps an administrator's lock: completing or cancelling it leaves the account locked", async () => {
      await adminLock('compromised')
      await force()
      assert.deepEqual(await stored(), { status: 'locked', lockReason: 'compromised' })
      const cancelled = await patch(h.adminAuth, [
        { op: 'replace', path: `${ENTERPRISE}:forcePasswordReset`, value: false },
      ])
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body))
      assert.deepEqual(await stored(), { status: 'locked', lockReason: 'compromised' })
      assertProblem(await login(), 401, 'auth.failed')

      await force()
      await h.container.forcedResets.completeWithLink(
        h.defaultTenant,
        await latestLinkToken(),
        'Willow-Harbor-9182',
      )
      assert.deepEqual(await stored(), { status: 'locked', lockReason: 'compromised' }, 'still locked')
      // Unlocked by the administrator after the reset: only the new password works.
      const unlocked = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/unlock`,
        auth: h.adminAuth,
      })
      assert.equal(unlocked.status, 200)
      assertProblem(await login(), 401, 'auth.failed')
      const fresh = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'lee', password: 'Willow-Harbor-9182' },
      })
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body))
    })

    it('an administrator unlock beside a pending reset leaves the old password refused', async () => {
      await adminLock('left-company')
      await force()
      const unlocked = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/unlock`,
        auth: h.adminAuth,
      })
      assert.equal(unlocked.status, 200, "the lock was the administrator's, not the reset's")
      // The reset still waits: its own lock comes back from under the administrator's.
      assert.deepEqual(await stored(), { status: 'locked', lockReason: 'reset-pending' })
      assertProblem(await login(), 401, 'auth.failed')
    })

    it('a disabled account cannot spend its reset link', async () => {
      await adminLock('audit')
      assert.equal((await patch(editor, [{ op: 'replace', path: 'active', value: false }])).status, 200)
      await force()
      const token = await latestLinkToken()
      assert.equal(await h.container.forcedResets.inspectLink(h.defaultTenant, token), undefined)
      await assert.rejects(
        h.container.forcedResets.completeWithLink(h.defaultTenant, token, 'Willow-Harbor-9182'),
        (error: unknown) => error instanceof Error && 'code' in error && error.code === 'reset.link-invalid',
      )
    })

    const forceOffline = async () => {
      const forced = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/force-password-reset`,
        auth: h.adminAuth,
        payload: { mode: 'offline-otp' },
      })
      assert.ok(forced.status < 300, JSON.stringify(forced.body))
      const read = await call(h.app, {
        method: 'GET',
        url: `/api/admin/users/${userId}/one-time-password`,
        auth: h.adminAuth,
      })
      return read.body.oneTimePassword as string
    }
    const signIn = (password: string) =>
      call(h.app, { method: 'POST', url: '/api/auth/login', payload: { username: 'lee', password } })

    it('an account waiting for its reset alone, even active, takes the one-time password; the old one learns 17006', async () => {
      await adminLock('left-company')
      const otp = await forceOffline()
      assertProblem(await signIn(otp), 401, 'auth.failed')
      assert.equal(
        (await signIn(OLD_PASSWORD)).body.reason,
        undefined,
        'an administrator lock reveals nothing',
      )
      const unlocked = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/unlock`,
        auth: h.adminAuth,
      })
      assert.equal(unlocked.status, 200)
      const old = await signIn(OLD_PASSWORD)
      assertProblem(old, 401, 'auth.failed')
      assert.equal(old.body.reason, 'reset.pending')
      assert.equal(old.body.legacyCode, 17006)
      const restricted = await signIn(otp)
      assert.equal(restricted.status, 200, JSON.stringify(restricted.body))
      assert.equal(restricted.body.requiredAction, 'set-password')
    })

    it('SCIM disabling an account locked for its reset ends the one-time-password session, which can set nothing', async () => {
      const otp = await forceOffline()
      const restricted = await signIn(otp)
      assert.equal(restricted.status, 200, JSON.stringify(restricted.body))
      assert.equal((await patch(editor, [{ op: 'replace', path: 'active', value: false }])).status, 200)
      const set = await call(h.app, {
        method: 'POST',
        url: '/api/auth/password',
        auth: bearer(restricted.body.token),
        payload: { newPassword: 'Willow-Harbor-9182' },
      })
      assert.equal(set.status, 401, JSON.stringify(set.body))
      assert.deepEqual(await stored(), { status: 'disabled', lockReason: 'reset-pending' })
    })
  })
}
