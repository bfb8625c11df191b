import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { cliActor } from '../../src/observability/audit.ts'
import { freshUser, staffRole } from '../support/fresh-user.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { assertProblem, bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'
const OLD_PASSWORD = 'alex-old-password-1'

for (const kind of storeKinds) {
  describe(`${kind.kind}: forcing a password reset through the admin API`, { skip: kind.skip }, () => {
    let h: Harness
    let alexId: string

    before(async () => {
      h = await openHarness(kind)
      await staffRole(h)
    })
    after(async () => h?.close())

    beforeEach(async () => {
      alexId = await freshUser(h, {
        username: 'alex',
        password: OLD_PASSWORD,
        roles: ['staff'],
        claims: { [EMAIL]: 'alex@example.com' },
      })
    })

    const login = (password: string) =>
      call(h.app, { method: 'POST', url: '/api/auth/login', payload: { username: 'alex', password } })
    const force = (payload?: object) =>
      call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${alexId}/force-password-reset`,
        auth: h.adminAuth,
        ...(payload ? { payload } : {}),
      })
    const mailboxText = async () => {
      await h.container.outboxWorker.drain()
      const [latest] = await h.container.outbox.mailbox(h.defaultTenant, {
        limit: 1,
        recipient: 'alex@example.com',
      })
      assert.ok(latest, 'a message in the mailbox')
      return (await h.container.outbox.readMailbox(h.defaultTenant, latest.id, cliActor)).text
    }
    const codesOf = () =>
      h.container.store.db.selectFrom('reset_codes').selectAll().where('user_id', '=', alexId).execute()

    it('email-otp: locks the account at once, ends its sessions, mails a one-time password stored only as an HMAC', async () => {
      const session = await login(OLD_PASSWORD)
      assert.equal(session.status, 200)
      const forced = await force({ mode: 'email-otp' })
      assert.equal(forced.status, 200, JSON.stringify(forced.body))
      assert.equal(forced.body.mode, 'email-otp')
      assert.equal(forced.body.sessionsRevoked, 1)
      assert.ok(forced.body.messageId)
      assertProblem(await login(OLD_PASSWORD), 401, 'auth.failed')
      const me = await call(h.app, {
        method: 'GET',
        url: '/api/auth/session',
        auth: bearer(session.body.token),
      })
      assert.equal(me.status, 401, 'the session opened before the reset is gone')

      const text = await mailboxText()
      const otp = /^ {4}([A-Z2-9]{8})$/m.exec(text)?.[1]
      assert.ok(otp, `a one-time password in: ${text}`)
      const [code, ...others] = await codesOf()
      assert.equal(others.length, 0)
      assert.equal(code!.kind, 'otp')
      assert.ok(!JSON.stringify(code).includes(otp), 'the code is not stored')
      assert.equal(code!.sealed_secret, null, 'an emailed code is not kept in any readable form')

      const user = await call(h.app, { method: 'GET', url: `/api/admin/users/${alexId}`, auth: h.adminAuth })
      assert.equal(user.body.status, 'locked')
      assert.equal(user.body.claims['http://wso2.org/claims/identity/adminForcedPasswordReset'], 'true')
      const audit = await h.container.audit.list(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        limit: 5,
        action: 'user.reset-forced',
      })
      assert.equal(audit[0]?.target, alexId)
      assert.equal(audit[0]?.detail.mode, 'email-otp')
      assert.equal(audit[0]?.detail.channel, 'admin-api')
    })

    it('email-otp end to end: the code opens a restricted session that can only set the new password', async () => {
      await force({ mode: 'email-otp' })
      const oldAnswer = await login(OLD_PASSWORD)
      assertProblem(oldAnswer, 401, 'auth.failed')
      assert.equal(oldAnswer.body.reason, 'reset.pending')
      assert.equal(oldAnswer.body.legacyCode, 17006)
      assert.equal(
        oldAnswer.body.title,
        'Login failed! Please recheck the username and password and try again.',
      )

      const otp = /^ {4}([A-Z2-9]{8})$/m.exec(await mailboxText())![1]!
      const wrong = await login('WRONG2345')
      assertProblem(wrong, 401, 'auth.failed')
      assert.equal(wrong.body.reason, undefined, 'by default a wrong code reveals nothing')

      const restricted = await login(`${otp.slice(0, 4).toLowerCase()}-${otp.slice(4)}`)
      assert.equal(restricted.status, 200, JSON.stringify(restricted.body))
      assert.equal(restricted.body.requiredAction, 'set-password')
      assert.equal(restricted.body.legacyCode, 17007)
      const token = bearer(restricted.body.token)
      assert.equal((await call(h.app, { method: 'GET', url: '/api/auth/session', auth: token })).status, 401)
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/users', auth: token }),
        401,
        'auth.failed',
      )
      assertProblem(await login(otp), 401, 'auth.failed')

      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/auth/password',
          auth: token,
          payload: { newPassword: 'short' },
        }),
        400,
        'password.weak',
      )
      const set = await call(h.app, {
        method: 'POST',
        url: '/api/auth/password',
        auth: token,
        payload: { newPassword: 'alex-chosen-password-3' },
      })
      assert.equal(set.status, 204, JSON.stringify(set.body))
      assert.equal((await login('alex-chosen-password-3')).status, 200)
      assertProblem(await login(OLD_PASSWORD), 401, 'auth.failed')
      const again = await call(h.app, {
        method: 'POST',
        url: '/api/auth/password',
        auth: token,
        payload: { newPassword: 'alex-other-password-4' },
      })
      assertProblem(again, 401, 'auth.required')
      assert.match(await mailboxText(), /password/i, 'the confirmation arrived')
      const [confirmation] = await h.container.outbox.mailbox(h.defaultTenant, {
        limit: 1,
        recipient: 'alex@example.com',
      })
      assert.equal(confirmation?.type, 'PasswordResetSuccess')
    })

    it('offline-otp: the code an administrator read signs the user in to set a password', async () => {
      await force({ mode: 'offline-otp' })
      const read = await call(h.app, {
        method: 'GET',
        url: `/api/admin/users/${alexId}/one-time-password`,
        auth: h.adminAuth,
      })
      const restricted = await login(read.body.oneTimePassword)
      assert.equal(restricted.body.requiredAction, 'set-password')
      const set = await call(h.app, {
        method: 'POST',
        url: '/api/auth/password',
        auth: bearer(restricted.body.token),
        payload: { newPassword: 'alex-chosen-password-5' },
      })
      assert.equal(set.status, 204)
      const after = await call(h.app, {
        method: 'GET',
        url: `/api/admin/users/${alexId}/one-time-password`,
        auth: h.adminAuth,
      })
      assert.equal(after.body.oneTimePassword, null)
    })

    it('a new trigger replaces the earlier code', async () => {
      await force({ mode: 'email-otp' })
      const [first] = await codesOf()
      await force({ mode: 'email-otp' })
      const codes = await codesOf()
      assert.equal(codes.length, 1)
      assert.notEqual(codes[0]!.secret_hmac, first!.secret_hmac)
    })

    it('email-link: mails a link whose token is stored only as an HMAC', async () => {
      const forced = await force({ mode: 'email-link' })
      assert.equal(forced.status, 200)
      const text = await mailboxText()
      const token = /\/reset-password\?token=([A-Za-z0-9_-]{64})(?![A-Za-z0-9_-])/.exec(text)?.[1]
      assert.ok(token, `a reset link in: ${text}`)
      const [code] = await codesOf()
      assert.equal(code!.kind, 'link')
      assert.ok(!JSON.stringify(code).includes(token))
    })

    it('offline-otp: no mail; administrators read the code back, and each read is audited', async () => {
      const queuedBefore = h.container.metrics.outboxQueued.value({ type: 'AdminForcedPasswordResetWithOTP' })
      const forced = await force({ mode: 'offline-otp' })
      assert.equal(forced.status, 200)
      assert.equal(forced.body.messageId, null)
      assert.equal(
        h.container.metrics.outboxQueued.value({ type: 'AdminForcedPasswordResetWithOTP' }),
        queuedBefore,
      )
      assert.ok(!JSON.stringify(forced.body).match(/"[A-Z2-9]{8}"/), 'the trigger answer holds no code')
      const read = await call(h.app, {
        method: 'GET',
        url: `/api/admin/users/${alexId}/one-time-password`,
        auth: h.adminAuth,
      })
      assert.match(read.body.oneTimePassword, /^[A-Z2-9]{8}$/)
      const [code] = await codesOf()
      assert.ok(code!.sealed_secret && !code!.sealed_secret.includes(read.body.oneTimePassword))
      const audit = await h.container.audit.list(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        limit: 1,
        action: 'user.one-time-password-read',
      })
      assert.equal(audit[0]?.target, alexId)
    })

    it('cancel unlocks and voids the code; the old password works again', async () => {
      await force({ mode: 'email-otp' })
      const cancelled = await call(h.app, {
        method: 'DELETE',
        url: `/api/admin/users/${alexId}/force-password-reset`,
        auth: h.adminAuth,
      })
      assert.deepEqual(cancelled.body, { cancelled: true })
      assert.equal((await codesOf()).length, 0)
      assert.equal((await login(OLD_PASSWORD)).status, 200)
    })

    it('a password set by an administrator completes the reset', async () => {
      await force({ mode: 'offline-otp' })
      const set = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${alexId}/password`,
        auth: h.adminAuth,
        payload: { password: 'alex-new-password-2' },
      })
      assert.ok(set.status < 300, JSON.stringify(set.body))
      assert.equal((await login('alex-new-password-2')).status, 200)
      assert.equal((await codesOf()).length, 0)
      const user = await call(h.app, { method: 'GET', url: `/api/admin/users/${alexId}`, auth: h.adminAuth })
      assert.equal(user.body.status, 'active')
      assert.equal(user.body.claims['http://wso2.org/claims/identity/adminForcedPasswordReset'], 'false')
    })

    it('refuses an emailed reset for a user without email, changing nothing', async () => {
      await call(h.app, {
        method: 'PATCH',
        url: `/api/admin/users/${alexId}`,
        auth: h.adminAuth,
        payload: { claims: { [EMAIL]: null } },
      })
      assertProblem(await force({ mode: 'email-link' }), 409, 'reset.no-email')
      assert.equal((await codesOf()).length, 0)
      assert.equal((await login(OLD_PASSWORD)).status, 200)
    })

    it('bad input: unknown mode, unknown user, extra fields, and a token without reset:force', async () => {
      assertProblem(await force({ mode: 'sms' }), 400, 'request.invalid')
      assertProblem(await force({ mode: 'email-otp', extra: 1 }), 400, 'request.invalid')
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/users/no-such-user/force-password-reset',
          auth: h.adminAuth,
        }),
        404,
        'user.not-found',
      )
      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: h.adminAuth,
        payload: { name: 'reader', scopes: ['users:read', 'users:write'] },
      })
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: `/api/admin/users/${alexId}/force-password-reset`,
          auth: bearer(token.body.token),
        }),
        403,
        'auth.forbidden',
      )
      assert.equal((await login(OLD_PASSWORD)).status, 200, 'nothing changed')
    })
  })
}
