import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { AppError } from '../../src/errors/app-error.ts'
import { cliActor } from '../../src/observability/audit.ts'
import { shippedPasswordPolicy } from '../support/config.ts'
import { freshUser, staffRole } from '../support/fresh-user.ts'
import { basicAuth, type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { assertProblem, bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'
const FORCED = 'http://wso2.org/claims/identity/adminForcedPasswordReset'
const OTP_CLAIM = 'http://wso2.org/claims/oneTimePassword'
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const REKEY = 'urn:rekey:params:scim:schemas:extension:2.0:User'
const OLD_PASSWORD = 'Harbour-Lantern-73'
const NEW_PASSWORD = 'Meadow-Compass-58'

/** Rejects with the AppError code `code`. */
async function rejectsWith(work: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(work, (error) => error instanceof AppError && error.code === code)
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: every trigger ends in the same forced reset`, { skip: kind.skip }, () => {
    let h: Harness
    let clock: ManualClock
    let userId: string

    before(async () => {
      clock = new ManualClock(Date.now())
      h = await openHarness(kind, { env: { ...shippedPasswordPolicy }, clock })
      await staffRole(h)
    })
    after(async () => h?.close())

    beforeEach(async () => {
      userId = await freshUser(h, {
        username: 'kim',
        password: OLD_PASSWORD,
        roles: ['staff'],
        claims: { [EMAIL]: 'kim@example.com' },
      })
    })

    const login = (password: string) =>
      call(h.app, { method: 'POST', url: '/api/auth/login', payload: { username: 'kim', password } })
    const pendingOf = (id: string) =>
      h.container.store.db
        .selectFrom('pending_resets')
        .selectAll()
        .where('user_id', '=', id)
        .executeTakeFirst()
    const latestText = async (recipient: string) => {
      await h.container.outboxWorker.drain()
      const [latest] = await h.container.outbox.mailbox(h.defaultTenant, { limit: 1, recipient })
      assert.ok(latest, `a message to ${recipient}`)
      return (await h.container.outbox.readMailbox(h.defaultTenant, latest.id, cliActor)).text
    }
    const linkTokenOf = (text: string) => {
      const match = /reset-password\?token=([A-Za-z0-9_%-]+)/.exec(text)
      assert.ok(match, text)
      return decodeURIComponent(match[1]!)
    }
    const forceLink = async () => {
      // Messages are listed newest first by time: each link is mailed at a later time.
      clock.advance(1000)
      const forced = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/force-password-reset`,
        auth: h.adminAuth,
        payload: { mode: 'email-link' },
      })
      assert.equal(forced.status, 200, JSON.stringify(forced.body))
      return linkTokenOf(await latestText('kim@example.com'))
    }

    it('the trigger also ends the API tokens the user created', async () => {
      const role = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: h.adminAuth,
        payload: { name: `token-makers-${kind.kind}`, permissions: ['login', 'users:read', 'tokens:manage'] },
      })
      assert.equal(role.status, 201, JSON.stringify(role.body))
      const granted = await call(h.app, {
        method: 'POST',
        url: `/api/admin/roles/token-makers-${kind.kind}/members`,
        auth: h.adminAuth,
        payload: { users: [userId] },
      })
      assert.ok(granted.status < 300, JSON.stringify(granted.body))
      const kimAuth = basicAuth('kim', OLD_PASSWORD)
      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: kimAuth,
        payload: { name: 'kim-script', scopes: ['users:read'] },
      })
      assert.equal(token.status, 201, JSON.stringify(token.body))
      const useToken = () =>
        call(h.app, { method: 'GET', url: '/api/admin/users', auth: bearer(token.body.token) })
      assert.equal((await useToken()).status, 200)
      const forced = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/force-password-reset`,
        auth: h.adminAuth,
        payload: { mode: 'offline-otp' },
      })
      assert.equal(forced.status, 200)
      assert.equal((await useToken()).status, 401, 'the token died with the reset')
      const events = await call(h.app, {
        method: 'GET',
        url: `/api/admin/audit?action=user.reset-forced&target=${userId}`,
        auth: h.adminAuth,
      })
      assert.equal(events.body.events[0].detail.tokensRevoked, 1)
      await call(h.app, {
        method: 'DELETE',
        url: `/api/admin/roles/token-makers-${kind.kind}`,
        auth: h.adminAuth,
      })
    })

    it('a SCIM PUT without the flag leaves a pending reset alone; a profile editor may PUT a user whose reset is over', async () => {
      const forced = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/force-password-reset`,
        auth: h.adminAuth,
        payload: { mode: 'offline-otp' },
      })
      assert.equal(forced.status, 200)
      const put = async (auth: string, extra: object = {}) => {
        const current = await call(h.app, { method: 'GET', url: `/scim2/Users/${userId}`, auth: h.adminAuth })
        const { meta: _meta, [ENTERPRISE]: _enterprise, ...document } = current.body
        return call(h.app, {
          method: 'PUT',
          url: `/scim2/Users/${userId}`,
          auth,
          headers: { 'content-type': 'application/scim+json' },
          payload: { ...document, schemas: [CORE], title: 'Updated', ...extra },
        })
      }
      const whole = await put(h.adminAuth)
      assert.equal(whole.status, 200, JSON.stringify(whole.body))
      assert.ok(await pendingOf(userId), 'still pending: an absent flag is not a cancel')
      assert.equal(whole.body[REKEY].pendingResetMode, 'offline-otp')

      await h.container.forcedResets.cancel(
        h.defaultTenant,
        (await h.container.users.find(h.defaultTenant, userId))!,
        {
          actor: cliActor,
          channel: 'cli',
        },
      )
      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: h.adminAuth,
        payload: { name: `editor-${Date.now()}`, scopes: ['users:read', 'users:write'] },
      })
      const editor = bearer(token.body.token)
      const edited = await put(editor, {
        [ENTERPRISE]: { forcePasswordReset: false },
        schemas: [CORE, ENTERPRISE],
      })
      assert.equal(edited.status, 200, JSON.stringify(edited.body))
      assert.equal((await put(editor)).status, 200)
      const refused = await put(editor, {
        [ENTERPRISE]: { forcePasswordReset: true },
        schemas: [CORE, ENTERPRISE],
      })
      assert.equal(refused.status, 403)
      assert.equal(await pendingOf(userId), undefined)
    })

    it('the restricted session cookie cannot be used by a form post (CSRF), only by JSON', async () => {
      const forced = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/force-password-reset`,
        auth: h.adminAuth,
        payload: { mode: 'offline-otp' },
      })
      assert.equal(forced.status, 200)
      const otp = await h.container.forcedResets.readOfflineOtp(
        h.defaultTenant,
        (await h.container.users.find(h.defaultTenant, userId))!,
        cliActor,
      )
      const restricted = await login(otp!)
      assert.equal(restricted.status, 200)
      const cookie = `rekey_session=${restricted.body.token}`
      const forged = await h.app.inject({
        method: 'POST',
        url: '/api/auth/password',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'newPassword=Forged-Password-77',
      })
      assertProblem(
        { status: forged.statusCode, body: forged.json(), headers: forged.headers },
        415,
        'request.unsupported-media-type',
      )
      assert.ok(await pendingOf(userId), 'the forged post changed nothing')
      const genuine = await h.app.inject({
        method: 'POST',
        url: '/api/auth/password',
        headers: { cookie, 'content-type': 'application/json' },
        payload: { newPassword: NEW_PASSWORD },
      })
      assert.ok(genuine.statusCode < 300, genuine.body)
      assert.equal(await pendingOf(userId), undefined)
    })

    it('SCIM POST with forcePasswordReset creates the user already pending, with the mail queued', async () => {
      const created = await call(h.app, {
        method: 'POST',
        url: '/scim2/Users',
        auth: h.adminAuth,
        headers: { 'content-type': 'application/scim+json' },
        payload: {
          schemas: [CORE, ENTERPRISE],
          userName: 'newcomer',
          password: OLD_PASSWORD,
          emails: [{ value: 'newcomer@example.com', primary: true }],
          [ENTERPRISE]: { forcePasswordReset: true },
        },
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      assert.equal(created.body[REKEY].accountLocked, true)
      assert.equal(created.body[REKEY].pendingResetMode, 'email-link')
      assert.equal((await pendingOf(created.body.id))?.reason, 'scim')
      assert.match(await latestText('newcomer@example.com'), /reset-password\?token=/)
      await h.container.users.delete(h.defaultTenant, created.body.id, cliActor)
    })

    it('the claim through the admin API starts and cancels; server-maintained claims are refused', async () => {
      const events = async (action: string) =>
        (
          await h.container.audit.list(h.container.store.db, {
            tenantId: h.defaultTenant.id,
            action,
            target: userId,
            limit: 100,
          })
        ).length
      const before = {
        updated: await events('user.updated'),
        forced: await events('user.reset-forced'),
        cancelled: await events('user.reset-cancelled'),
      }
      const started = await call(h.app, {
        method: 'PATCH',
        url: `/api/admin/users/${userId}`,
        auth: h.adminAuth,
        payload: { claims: { [FORCED]: 'True' } },
      })
      assert.equal(started.status, 200, JSON.stringify(started.body))
      assert.equal(started.body.status, 'locked')
      assert.equal((await pendingOf(userId))?.reason, 'admin-api')
      assertProblem(await login(OLD_PASSWORD), 401, 'auth.failed')

      const planted = await call(h.app, {
        method: 'PATCH',
        url: `/api/admin/users/${userId}`,
        auth: h.adminAuth,
        payload: { claims: { [OTP_CLAIM]: 'AAAAAAAA', [EMAIL]: 'changed@example.com' } },
      })
      assertProblem(planted, 400, 'claim.read-only')
      const unchanged = await h.container.users.get(h.defaultTenant, userId)
      assert.equal(unchanged.claims[EMAIL], 'kim@example.com', 'nothing of the refused request was stored')

      const cancelled = await call(h.app, {
        method: 'PATCH',
        url: `/api/admin/users/${userId}`,
        auth: h.adminAuth,
        payload: { claims: { [FORCED]: 'false' } },
      })
      assert.equal(cancelled.status, 200)
      assert.equal(cancelled.body.status, 'active')
      assert.equal(await pendingOf(userId), undefined)
      assert.equal((await login(OLD_PASSWORD)).status, 200, 'the old password works again')
      // Writes of the flag alone are recorded by the reset's own events, not also as user.updated.
      assert.equal(await events('user.reset-forced'), before.forced + 1)
      assert.equal(await events('user.reset-cancelled'), before.cancelled + 1)
      assert.equal(await events('user.updated'), before.updated)

      const nonsense = await call(h.app, {
        method: 'PATCH',
        url: `/api/admin/users/${userId}`,
        auth: h.adminAuth,
        payload: { claims: { [FORCED]: 'maybe' } },
      })
      assertProblem(nonsense, 400, 'request.invalid')
    })

    it('offline-otp through SCIM PUT: the One Time Password is read by name, audited, never listed', async () => {
      await h.container.tenantPolicies.updateResetPolicy(h.defaultTenant, { mode: 'offline-otp' }, cliActor)
      try {
        const current = await call(h.app, { method: 'GET', url: `/scim2/Users/${userId}`, auth: h.adminAuth })
        const { meta: _meta, ...document } = current.body
        const put = await call(h.app, {
          method: 'PUT',
          url: `/scim2/Users/${userId}`,
          auth: h.adminAuth,
          headers: { 'content-type': 'application/scim+json' },
          payload: { ...document, schemas: [CORE, ENTERPRISE], [ENTERPRISE]: { forcePasswordReset: true } },
        })
        assert.equal(put.status, 200, JSON.stringify(put.body))
        assert.equal(put.body[REKEY].pendingResetMode, 'offline-otp')
        assert.equal(put.body[REKEY].oneTimePassword, undefined, 'not returned unless asked for')

        const asked = await call(h.app, {
          method: 'GET',
          url: `/scim2/Users/${userId}?attributes=${encodeURIComponent(`${REKEY}:oneTimePassword`)}`,
          auth: h.adminAuth,
        })
        assert.equal(asked.status, 200)
        const otp = asked.body[REKEY]?.oneTimePassword
        assert.match(String(otp), /^[A-Z2-9]{8}$/)
        const listed = await call(h.app, {
          method: 'GET',
          url: `/scim2/Users?filter=${encodeURIComponent('userName eq "kim"')}&attributes=oneTimePassword`,
          auth: h.adminAuth,
        })
        assert.equal(listed.body.Resources[0][REKEY]?.oneTimePassword, undefined)
        const reads = await call(h.app, {
          method: 'GET',
          url: `/api/admin/audit?action=user.one-time-password-read&target=${userId}`,
          auth: h.adminAuth,
        })
        assert.equal(reads.body.events.length, 1)

        const restricted = await login(otp)
        assert.equal(restricted.status, 200, JSON.stringify(restricted.body))
        assert.equal(restricted.body.requiredAction, 'set-password')
      } finally {
        await h.container.tenantPolicies.updateResetPolicy(h.defaultTenant, { mode: null }, cliActor)
      }
    })

    it('email link: looking does not spend it; a weak password does not either; a good one completes the reset once', async () => {
      const token = await forceLink()
      const seen = await h.container.forcedResets.inspectLink(h.defaultTenant, token)
      assert.equal(seen?.userName, 'kim')
      assert.ok(await h.container.forcedResets.inspectLink(h.defaultTenant, token), 'looking twice is fine')

      await rejectsWith(
        h.container.forcedResets.completeWithLink(h.defaultTenant, token, 'password123'),
        'password.weak',
      )
      await rejectsWith(
        h.container.forcedResets.completeWithLink(h.defaultTenant, token, 'kim-Harbour-99'),
        'password.weak',
      )
      // The current (old) password is in the history: a reset must not end in the same password.
      await rejectsWith(
        h.container.forcedResets.completeWithLink(h.defaultTenant, token, OLD_PASSWORD),
        'password.weak',
      )
      assert.ok(await pendingOf(userId), 'still pending after refused passwords')

      const outcomes = await Promise.allSettled([
        h.container.forcedResets.completeWithLink(h.defaultTenant, token, NEW_PASSWORD),
        h.container.forcedResets.completeWithLink(h.defaultTenant, token, `${NEW_PASSWORD}-2`),
      ])
      assert.equal(
        outcomes.filter((outcome) => outcome.status === 'fulfilled').length,
        1,
        'one of two parallel posts wins',
      )
      assert.equal(await pendingOf(userId), undefined)
      await rejectsWith(
        h.container.forcedResets.completeWithLink(h.defaultTenant, token, NEW_PASSWORD),
        'reset.link-invalid',
      )
      assert.equal(await h.container.forcedResets.inspectLink(h.defaultTenant, token), undefined)
      assertProblem(await login(OLD_PASSWORD), 401, 'auth.failed')
      const user = await h.container.users.get(h.defaultTenant, userId)
      assert.equal(user.status, 'active')
      assert.equal(user.claims[FORCED], 'false')
      assert.match(await latestText('kim@example.com'), /./, 'the confirmation is queued')
    })

    it('email link: tampered, replaced, expired and other-tenant tokens are refused, changing nothing', async () => {
      const first = await forceLink()
      const second = await forceLink()
      await rejectsWith(
        h.container.forcedResets.completeWithLink(h.defaultTenant, first, NEW_PASSWORD),
        'reset.link-invalid',
      )
      const tampered = `${second.slice(0, -2)}${second.endsWith('AA') ? 'BB' : 'AA'}`
      await rejectsWith(
        h.container.forcedResets.completeWithLink(h.defaultTenant, tampered, NEW_PASSWORD),
        'reset.link-invalid',
      )
      await rejectsWith(
        h.container.forcedResets.completeWithLink(h.defaultTenant, 'x'.repeat(5000), NEW_PASSWORD),
        'reset.link-invalid',
      )

      const other = await h.container.tenants.createWithAdministrator(
        'other.example',
        undefined,
        'Other-Tenant-Pass-9',
        cliActor,
      )
      await rejectsWith(
        h.container.forcedResets.completeWithLink(other, second, NEW_PASSWORD),
        'reset.link-invalid',
      )

      clock.advance(24 * 60 * 60_000 + 1)
      assert.equal(await h.container.forcedResets.inspectLink(h.defaultTenant, second), undefined)
      await rejectsWith(
        h.container.forcedResets.completeWithLink(h.defaultTenant, second, NEW_PASSWORD),
        'reset.link-invalid',
      )
      assert.ok(await pendingOf(userId), 'the reset is still pending: an administrator sends a new link')
    })

    it('the tenant password policy applies to every password write, with its history', async () => {
      await h.container.tenantPolicies.updatePasswordPolicy(
        h.defaultTenant,
        { minLength: 12, historyCount: 2, pattern: '\\d', patternDescription: 'at least one digit' },
        cliActor,
      )
      try {
        const set = (password: string) =>
          call(h.app, {
            method: 'POST',
            url: `/api/admin/users/${userId}/password`,
            auth: h.adminAuth,
            payload: { password },
          })
        const short = await set('Qz7-Vb')
        assertProblem(short, 400, 'password.weak')
        assert.ok(short.body.errors, JSON.stringify(short.body))
        assert.deepEqual(
          short.body.errors.map((error: { rule: string }) => error.rule),
          ['min-length'],
        )
        const noDigit = await set('Orchard-Lantern-Quartz')
        assert.equal(noDigit.body.errors[0].rule, 'pattern')
        assert.match(noDigit.body.errors[0].message, /at least one digit/)
        assert.equal((await set('Orchard-Lantern-11')).status, 204)
        assert.equal((await set('Orchard-Lantern-12')).status, 204)
        const reused = await set('Orchard-Lantern-11')
        assert.equal(reused.body.errors[0].rule, 'history')
        assert.equal((await set('Orchard-Lantern-13')).status, 204)
        assert.equal((await set('Orchard-Lantern-11')).status, 204, 'three changes later it may come back')
      } finally {
        await h.container.tenantPolicies.updatePasswordPolicy(
          h.defaultTenant,
          { minLength: null, historyCount: null, pattern: null, patternDescription: null },
          cliActor,
        )
      }
    })
  })
}
