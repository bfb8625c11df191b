import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { basicAuth, type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import {
  createStaffUser,
  forceResetThroughApi,
  latestMailText,
  oneTimePassword,
  PageClient,
  pageText,
  resetLinkPath,
  useShippedPasswordPolicy,
} from '../support/page-client.ts'
import { storeKinds } from '../support/stores.ts'

const OLD_PASSWORD = 'old-secret-passphrase-1'
const NEW_PASSWORD = 'brand-new-passphrase-7'
const INVALID = 'The password reset link is invalid or has expired.'

for (const kind of storeKinds) {
  describe(`${kind.kind}: the reset-password page`, { skip: kind.skip }, () => {
    let h: Harness
    const clock = new ManualClock()

    before(async () => {
      h = await openHarness(kind, { clock })
      await useShippedPasswordPolicy(h.app, h.adminAuth)
    })
    after(async () => h?.close())

    /** A fresh user `name` with a forced reset pending in `mode`. */
    async function forceReset(name: string, mode: 'email-link' | 'email-otp' | 'offline-otp') {
      const userId = await createStaffUser(h.app, h.adminAuth, { username: name, password: OLD_PASSWORD })
      await forceResetThroughApi(h.app, h.adminAuth, userId, mode)
      return userId
    }
    const mailOf = (name: string) => latestMailText(h.container, h.defaultTenant, `${name}@example.com`)

    async function signIn(name: string, password: string) {
      const browser = new PageClient(h.app)
      await browser.get('/login')
      return browser.post('/login', { username: name, password })
    }

    it('email link: the GET does not consume the link; weak, mismatched or empty passwords are shown and keep it usable; the POST consumes it', async () => {
      await forceReset('robin', 'email-link')
      const link = resetLinkPath(await mailOf('robin'))
      const browser = new PageClient(h.app)
      for (let visit = 0; visit < 3; visit++) {
        const page = await browser.get(link)
        assert.equal(page.status, 200, `visit ${visit}`)
        assert.equal(page.headers['cache-control'], 'no-store')
        assert.equal(page.headers['referrer-policy'], 'no-referrer')
        assert.ok(pageText(page.body).includes('Choose a new password for robin'))
      }
      const token = new URL(link, 'http://x').searchParams.get('token')!
      assert.match(browser.lastPage, new RegExp(`<input type="hidden" name="token" value="${token}">`))
      assert.match(browser.lastPage, /has at least 8 characters/)

      const empty = await browser.post('/reset-password', { token, newPassword: '', confirmation: '' })
      assert.equal(empty.status, 400)
      assert.ok(pageText(empty.body).includes('Enter a new password.'))
      const mismatch = await browser.post('/reset-password', {
        token,
        newPassword: NEW_PASSWORD,
        confirmation: `${NEW_PASSWORD}x`,
      })
      assert.equal(mismatch.status, 400)
      assert.match(
        mismatch.body,
        /id="confirmation-error"[^>]*>.*The new password and its confirmation do not match\./,
      )
      for (const weak of ['short', 'password123', 'robin-is-my-name', OLD_PASSWORD]) {
        const refused = await browser.post('/reset-password', {
          token,
          newPassword: weak,
          confirmation: weak,
        })
        assert.equal(refused.status, 400, weak)
        assert.match(refused.body, /id="newPassword-error"/, weak)
        assert.ok(pageText(refused.body).includes('The new password is too weak.'), weak)
        assert.match(refused.body, /<input type="hidden" name="token"/, `${weak}: the form keeps the link`)
      }
      const short = await browser.post('/reset-password', {
        token,
        newPassword: 'short',
        confirmation: 'short',
      })
      assert.ok(pageText(short.body).includes('The password must be at least 8 characters.'))
      const reused = await browser.post('/reset-password', {
        token,
        newPassword: OLD_PASSWORD,
        confirmation: OLD_PASSWORD,
      })
      assert.ok(pageText(reused.body).includes('The password must differ from the last 5 passwords.'))

      const csrfLess = await browser.post(
        '/reset-password',
        { token, newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD },
        { csrf: false },
      )
      assert.equal(csrfLess.status, 403, 'a post without the CSRF token changes nothing')

      const done = await browser.post('/reset-password', {
        token,
        newPassword: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
      })
      assert.equal(done.status, 200, done.body)
      assert.ok(pageText(done.body).includes('Password changed'))
      assert.match(done.body, /href="\/login\?m=password-changed"/)

      assert.equal((await signIn('robin', OLD_PASSWORD)).status, 401, 'the old password no longer works')
      assert.equal((await signIn('robin', NEW_PASSWORD)).status, 303, 'the new one does')

      const again = await new PageClient(h.app).get(link)
      assert.equal(again.status, 400, 'a used link')
      assert.ok(pageText(again.body).includes(INVALID))
      await browser.get('/login')
      const replay = await browser.post('/reset-password', {
        token,
        newPassword: 'another-long-passphrase-9',
        confirmation: 'another-long-passphrase-9',
      })
      assert.equal(replay.status, 400)
      assert.ok(pageText(replay.body).includes(INVALID))
    })

    it('tampered, unknown, replaced, other-tenant and expired links get the "invalid or expired" page', async () => {
      await forceReset('sam', 'email-link')
      const first = resetLinkPath(await mailOf('sam'))
      const firstToken = new URL(first, 'http://x').searchParams.get('token')!
      const browser = new PageClient(h.app)
      const tampered = `${firstToken.slice(0, -1)}${firstToken.endsWith('A') ? 'B' : 'A'}`
      for (const url of [
        `/reset-password?token=${tampered}`,
        '/reset-password?token=',
        '/reset-password?token=%00%ff',
        `/reset-password?token=${'x'.repeat(600)}`,
        '/reset-password?token=a&token=b',
      ]) {
        const page = await browser.get(url)
        assert.ok(page.status === 400, `${url.slice(0, 60)}: ${page.status}`)
        assert.match(String(page.headers['content-type']), /^text\/html/)
      }
      assert.ok(pageText((await browser.get(`/reset-password?token=${tampered}`)).body).includes(INVALID))

      // Forced again: the first email's link is replaced.
      clock.advance(1000)
      const forced = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users/sam/force-password-reset',
        auth: h.adminAuth,
        payload: { mode: 'email-link' },
      })
      assert.equal(forced.status, 200)
      assert.ok(pageText((await browser.get(first)).body).includes(INVALID), 'a replaced link')
      const second = resetLinkPath(await mailOf('sam'))
      assert.notEqual(second, first)

      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: 'other.example', adminPassword: 'Other-Admin-Password-1' },
      })
      assert.equal(created.status, 201)
      const elsewhere = await browser.get(`/t/other.example${second}`)
      assert.equal(elsewhere.status, 400, "another tenant's page does not know the link")
      await createStaffUser(h.app, basicAuth('admin', 'Other-Admin-Password-1'), {
        username: 'sam',
        password: OLD_PASSWORD,
        tenantPrefix: '/t/other.example',
      })
      const secondToken = new URL(second, 'http://x').searchParams.get('token')!
      await browser.get('/t/other.example/login')
      const crossPost = await browser.post('/t/other.example/reset-password', {
        token: secondToken,
        newPassword: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
      })
      assert.equal(crossPost.status, 400)
      assert.ok(pageText(crossPost.body).includes(INVALID))

      assert.equal((await browser.get(second)).status, 200, 'still valid in its own tenant')
      clock.advance(24 * 60 * 60_000 + 1)
      const expired = await browser.get(second)
      assert.equal(expired.status, 400, 'expired after reset.link_lifetime_minutes')
      assert.ok(pageText(expired.body).includes(INVALID))
    })

    it('one-time password: it opens the reset page; the new password ends the restricted session', async () => {
      await forceReset('kim', 'email-otp')
      const otp = oneTimePassword(await mailOf('kim'))
      const browser = new PageClient(h.app)
      await browser.get('/login')
      const old = await browser.post('/login', { username: 'kim', password: OLD_PASSWORD })
      assert.equal(old.status, 401)
      assert.ok(
        pageText(old.body).includes('Login failed! Please recheck the username and password and try again.'),
      )
      const signedIn = await browser.post('/login', { username: 'kim', password: otp })
      assert.equal(signedIn.status, 303)
      assert.equal(signedIn.location, '/reset-password')
      const page = await browser.follow(signedIn)
      assert.ok(pageText(page.body).includes('Choose a new password for kim'))
      assert.ok(!page.body.includes('name="token"'), 'no link token on this form')

      const weak = await browser.post('/reset-password', {
        newPassword: 'kim12345',
        confirmation: 'kim12345',
      })
      assert.equal(weak.status, 400)
      assert.ok(pageText(weak.body).includes('The password must not contain the user name.'))
      const done = await browser.post('/reset-password', {
        newPassword: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
      })
      assert.equal(done.status, 200)
      assert.ok(pageText(done.body).includes('Password changed'))
      const after = await browser.get('/reset-password')
      assert.equal(after.status, 303, 'the restricted session is over')
      assert.equal(after.location, '/login?m=session-ended')
      assert.equal((await signIn('kim', OLD_PASSWORD)).status, 401)
      assert.equal((await signIn('kim', otp)).status, 401, 'the one-time password worked once')
      assert.equal((await signIn('kim', NEW_PASSWORD)).status, 303)
    })

    it('without a link or a restricted session the page sends the browser to sign in', async () => {
      const browser = new PageClient(h.app)
      const page = await browser.get('/reset-password')
      assert.equal(page.status, 303)
      assert.equal(page.location, '/login?m=session-ended')
      const signIn = await browser.follow(page)
      assert.ok(pageText(signIn.body).includes('Your session has ended.'))
      const posted = await browser.post('/reset-password', {
        newPassword: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
      })
      assert.equal(posted.status, 303)
    })
  })
}
