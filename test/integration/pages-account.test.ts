import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { assertProblem, bearer, call } from '../support/http.ts'
import { createStaffUser, PageClient, pageText, useShippedPasswordPolicy } from '../support/page-client.ts'
import { storeKinds } from '../support/stores.ts'

const PASSWORD = 'my-current-passphrase-1'
const NEW_PASSWORD = 'a-changed-passphrase-2'

for (const kind of storeKinds) {
  describe(`${kind.kind}: My Account`, { skip: kind.skip }, () => {
    let h: Harness
    const clock = new ManualClock(Date.UTC(2026, 2, 14, 9, 30))

    before(async () => {
      h = await openHarness(kind, { clock })
      await useShippedPasswordPolicy(h.app, h.adminAuth)
    })
    after(async () => h?.close())

    async function signedInBrowser(username: string, password: string): Promise<PageClient> {
      const browser = new PageClient(h.app)
      await browser.get('/login')
      const signedIn = await browser.post('/login', { username, password })
      assert.equal(signedIn.location, '/myaccount')
      await browser.follow(signedIn)
      return browser
    }
    const apiLogin = (username: string, password: string) =>
      call(h.app, { method: 'POST', url: '/api/auth/login', payload: { username, password } })

    it('needs a sign-in, then shows who is signed in and when the password changed', async () => {
      const anonymous = await new PageClient(h.app).get('/myaccount')
      assert.equal(anonymous.status, 303)
      assert.equal(anonymous.location, '/login')
      await createStaffUser(h.app, h.adminAuth, { username: 'Jordan', password: PASSWORD })
      const browser = await signedInBrowser('jordan', PASSWORD)
      const page = browser.lastPage
      assert.match(page, /data-field="user-name">Jordan</)
      assert.match(page, /data-field="tenant">carbon\.super</)
      assert.match(page, /<time datetime="2026-03-14T09:30:00\.000Z">March 14, 2026 at 9:30 AM UTC<\/time>/)
      assert.match(page, /action="\/logout"/)
    })

    it('changes the password: the current one is checked, errors are shown, this session stays and the others end', async () => {
      await createStaffUser(h.app, h.adminAuth, { username: 'jamie', password: PASSWORD })
      const other = await apiLogin('jamie', PASSWORD)
      const browser = await signedInBrowser('jamie', PASSWORD)
      const change = (fields: Record<string, string>, options?: Parameters<PageClient['post']>[2]) =>
        browser.post('/myaccount/password', fields, options)

      const cases: Array<[Record<string, string>, string, string]> = [
        [
          { currentPassword: 'wrong', newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD },
          'The current password is not correct.',
          'currentPassword',
        ],
        [
          { currentPassword: '', newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD },
          'The current password is not correct.',
          'currentPassword',
        ],
        [
          { currentPassword: PASSWORD, newPassword: '', confirmation: '' },
          'Enter a new password.',
          'newPassword',
        ],
        [
          { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmation: 'different' },
          'do not match',
          'confirmation',
        ],
        [
          { currentPassword: PASSWORD, newPassword: 'qwerty123', confirmation: 'qwerty123' },
          'too common',
          'newPassword',
        ],
        [
          { currentPassword: PASSWORD, newPassword: PASSWORD, confirmation: PASSWORD },
          'must differ',
          'newPassword',
        ],
      ]
      for (const [fields, message, field] of cases) {
        const refused = await change(fields)
        assert.equal(refused.status, 400, message)
        assert.ok(pageText(refused.body).includes(message), `${message}: ${pageText(refused.body)}`)
        assert.match(refused.body, new RegExp(`id="${field}-error"`))
        assert.ok(
          !refused.body.includes(PASSWORD) && !refused.body.includes(NEW_PASSWORD),
          'no password echoed',
        )
      }
      const csrfLess = await change(
        { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD },
        { csrf: false },
      )
      assert.equal(csrfLess.status, 403)

      const done = await change({
        currentPassword: PASSWORD,
        newPassword: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
      })
      assert.equal(done.status, 303)
      assert.equal(done.location, '/myaccount?m=account-password-changed')
      const page = await browser.follow(done)
      assert.equal(page.status, 200, 'this session is kept')
      assert.ok(pageText(page.body).includes('Your password has been changed.'))
      const otherSession = await call(h.app, {
        method: 'GET',
        url: '/api/auth/session',
        auth: bearer(other.body.token),
      })
      assert.equal(otherSession.status, 401, 'the other session ended')
      assert.equal((await apiLogin('jamie', PASSWORD)).status, 401)
      assert.equal((await apiLogin('jamie', NEW_PASSWORD)).status, 200)
      const [event] = await h.container.audit.list(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        limit: 1,
        action: 'password.updated',
      })
      assert.equal(event?.detail.reason, 'changed-by-user')
    })

    it('signs out: the session ends and the sign-in page says so; a forged sign-out does nothing', async () => {
      await createStaffUser(h.app, h.adminAuth, { username: 'quinn', password: PASSWORD })
      const browser = await signedInBrowser('quinn', PASSWORD)
      const forged = await browser.post('/logout', {}, { csrf: false })
      assert.equal(forged.status, 403)
      assert.equal((await browser.get('/myaccount')).status, 200, 'still signed in')
      const signedOut = await browser.post('/logout', {})
      assert.equal(signedOut.status, 303)
      assert.equal(signedOut.location, '/login?m=signed-out')
      const page = await browser.follow(signedOut)
      assert.ok(pageText(page.body).includes('You have signed out.'))
      assert.equal((await browser.get('/myaccount')).status, 303)
    })

    it('the login API changes one’s own password too (POST /api/auth/change-password)', async () => {
      await createStaffUser(h.app, h.adminAuth, { username: 'riley', password: PASSWORD })
      const session = await apiLogin('riley', PASSWORD)
      const change = (payload: object, token = session.body.token) =>
        call(h.app, { method: 'POST', url: '/api/auth/change-password', auth: bearer(token), payload })
      assertProblem(
        await change({ currentPassword: 'wrong', newPassword: NEW_PASSWORD }),
        400,
        'password.current-incorrect',
      )
      assertProblem(await change({ currentPassword: PASSWORD, newPassword: '' }), 400, 'password.required')
      assertProblem(
        await change({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmPassword: 'x' }),
        400,
        'password.mismatch',
      )
      assertProblem(
        await change({ currentPassword: PASSWORD, newPassword: 'password' }),
        400,
        'password.weak',
      )
      assertProblem(
        await change({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, 'rks_nope'),
        401,
        'auth.required',
      )
      const done = await change({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
      assert.equal(done.status, 204)
      assert.equal(
        (await call(h.app, { method: 'GET', url: '/api/auth/session', auth: bearer(session.body.token) }))
          .status,
        200,
        'the session that asked is kept',
      )
    })
  })
}
