import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import { createStaffUser, csrfToken, PageClient, pageText } from '../support/page-client.ts'
import { storeKinds } from '../support/stores.ts'

const GENERIC = 'Login failed! Please recheck the username and password and try again.'
const PAGE_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
const PASSWORD = 'alex-sign-in-password-1'

for (const kind of storeKinds) {
  describe(`${kind.kind}: the sign-in page`, { skip: kind.skip }, () => {
    let h: Harness

    before(async () => {
      h = await openHarness(kind)
      await createStaffUser(h.app, h.adminAuth, { username: 'alex', password: PASSWORD })
    })
    after(async () => h?.close())

    const loginAudit = async (action: 'login.succeeded' | 'login.failed') =>
      h.container.audit.list(h.container.store.db, { tenantId: h.defaultTenant.id, limit: 100, action })

    it('works without script: labelled fields, a CSRF token, the strict page policy, no caching', async () => {
      const browser = new PageClient(h.app)
      const page = await browser.get('/login')
      assert.equal(page.status, 200)
      assert.equal(page.headers['content-security-policy'], PAGE_POLICY)
      assert.equal(page.headers['cache-control'], 'no-store')
      assert.equal(page.headers['referrer-policy'], 'no-referrer')
      assert.equal(page.headers['x-frame-options'], 'DENY')
      assert.match(String(page.headers['content-type']), /^text\/html/)
      assert.ok(!/<script|\sstyle=|\son[a-z]+=/i.test(page.body), 'no script, no inline style or handler')
      assert.match(page.body, /<label for="username">User name<\/label>/)
      assert.match(page.body, /<label for="password">Password<\/label>/)
      assert.match(page.body, /<html lang="en">/)
      assert.ok(csrfToken(page.body).length > 20)
      const setCookie = String(page.headers['set-cookie'])
      assert.match(setCookie, /^rekey_csrf=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax$/)

      const stylesheet = /href="(\/assets\/rekey\.[0-9a-f]{12}\.css)"/.exec(page.body)?.[1]
      assert.ok(stylesheet)
      const css = await h.app.inject({ method: 'GET', url: stylesheet })
      assert.equal(css.statusCode, 200)
      assert.match(String(css.headers['content-type']), /^text\/css/)
      assert.equal(css.headers['cache-control'], 'public, max-age=31536000, immutable')
      assert.equal((await h.app.inject({ method: 'GET', url: '/assets/other.css' })).statusCode, 404)
    })

    it('a correct password opens a session and leads to My Account; a wrong one shows the generic message', async () => {
      const browser = new PageClient(h.app)
      await browser.get('/login')
      const wrong = await browser.post('/login', { username: 'alex', password: 'not-the-password' })
      assert.equal(wrong.status, 401)
      assert.ok(pageText(wrong.body).includes(GENERIC))
      assert.match(wrong.body, /value="alex"/, 'the user name is kept, the password is not')
      assert.ok(!wrong.body.includes('not-the-password'))
      const unknown = await browser.post('/login', { username: 'nobody', password: PASSWORD })
      assert.equal(unknown.status, 401)
      assert.ok(pageText(unknown.body).includes(GENERIC))

      const signedIn = await browser.post('/login', { username: 'ALEX', password: PASSWORD })
      assert.equal(signedIn.status, 303)
      assert.equal(signedIn.location, '/myaccount')
      const cookie = [signedIn.headers['set-cookie']]
        .flat()
        .find((value) => String(value).startsWith('rekey_session='))
      assert.match(String(cookie), /HttpOnly/)
      assert.match(String(cookie), /SameSite=Lax/)
      const account = await browser.follow(signedIn)
      assert.equal(account.status, 200)
      assert.ok(pageText(account.body).includes('alex'))
      const again = await browser.get('/login')
      assert.equal(again.status, 303, 'a signed-in browser goes on to My Account')
    })

    it('a pending forced reset: the right old password fails with the same generic message', async () => {
      await createStaffUser(h.app, h.adminAuth, { username: 'pending', password: PASSWORD })
      const forced = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users/pending/force-password-reset',
        auth: h.adminAuth,
        payload: { mode: 'email-link' },
      })
      assert.equal(forced.status, 200, JSON.stringify(forced.body))
      const browser = new PageClient(h.app)
      await browser.get('/login')
      const refused = await browser.post('/login', { username: 'pending', password: PASSWORD })
      assert.equal(refused.status, 401)
      assert.ok(pageText(refused.body).includes(GENERIC))
      assert.ok(!/pending|reset/i.test(pageText(refused.body).replace(GENERIC, '')), 'nothing more is said')
    })

    it('CSRF: a post without the token, with a wrong one, another browser’s, or from another site is refused with 403', async () => {
      const before = (await loginAudit('login.succeeded')).length
      const browser = new PageClient(h.app)
      const page = await browser.get('/login')
      const token = csrfToken(page.body)
      const fields = { username: 'alex', password: PASSWORD }

      const attempts: Array<[string, Parameters<PageClient['post']>[2]]> = [
        ['no token', { csrf: false }],
        ['a wrong token', { csrf: 'A'.repeat(43) }],
        ['a token of another length', { csrf: 'short' }],
        ['a cross-site Origin', { headers: { origin: 'https://evil.example' } }],
        ['a cross-site fetch', { headers: { 'sec-fetch-site': 'cross-site' } }],
        ['a same-site (other origin) fetch', { headers: { 'sec-fetch-site': 'same-site' } }],
      ]
      for (const [label, options] of attempts) {
        const refused = await browser.post('/login', fields, options)
        assert.equal(refused.status, 403, label)
        assert.ok(pageText(refused.body).includes('This form has expired'), label)
        assert.ok(!String(refused.headers['set-cookie'] ?? '').includes('rekey_session'), label)
      }
      const otherBrowser = new PageClient(h.app)
      await otherBrowser.get('/login')
      const replayed = await otherBrowser.post('/login', fields, { csrf: token })
      assert.equal(replayed.status, 403, "another browser's token")
      const noCookie = await h.app.inject({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ ...fields, csrf: token }).toString(),
      })
      assert.equal(noCookie.statusCode, 403, 'the token without its cookie')
      assert.equal((await loginAudit('login.succeeded')).length, before, 'no refused post signed anyone in')

      const nullOrigin = await browser.post(
        '/login',
        { username: 'alex', password: 'wrong' },
        {
          headers: { origin: 'null', 'sec-fetch-site': 'same-origin' },
        },
      )
      assert.equal(nullOrigin.status, 401, 'Origin: null is what no-referrer pages send: the token decides')
      const sameOrigin = await browser.post('/login', fields, {
        headers: { origin: 'http://localhost:80', host: 'localhost:80', 'sec-fetch-site': 'same-origin' },
      })
      assert.equal(sameOrigin.status, 303, 'our own origin is accepted')
    })

    it('empty fields get a message by the field; odd bodies get a page, never a 500', async () => {
      const browser = new PageClient(h.app)
      await browser.get('/login')
      const noName = await browser.post('/login', { username: '  ', password: 'x' })
      assert.equal(noName.status, 400)
      assert.match(noName.body, /id="username-error"[^>]*>.*Enter your user name\./)
      assert.match(noName.body, /aria-invalid="true"/)
      assert.match(noName.body, /<a href="#username">Enter your user name\.<\/a>/)
      const noPassword = await browser.post('/login', { username: 'alex', password: '' })
      assert.equal(noPassword.status, 400)
      assert.ok(pageText(noPassword.body).includes('Enter your password.'))

      const token = csrfToken(browser.lastPage)
      const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
      const odd: Array<[string, string, string]> = [
        [
          'repeated fields',
          'application/x-www-form-urlencoded',
          `username=a&username=b&password=x&csrf=${token}`,
        ],
        [
          'a huge user name',
          'application/x-www-form-urlencoded',
          `username=${'a'.repeat(5000)}&password=x&csrf=${token}`,
        ],
        ['JSON', 'application/json', JSON.stringify({ username: 'alex', password: PASSWORD, csrf: token })],
        ['an unknown content type', 'application/xml', '<login/>'],
        ['a broken JSON body', 'application/json', '{'],
      ]
      for (const [label, type, payload] of odd) {
        const answer = await h.app.inject({
          method: 'POST',
          url: '/login',
          headers: { 'content-type': type, cookie },
          payload,
        })
        assert.ok(answer.statusCode >= 400 && answer.statusCode < 500, `${label}: ${answer.statusCode}`)
        assert.match(String(answer.headers['content-type']), /^text\/html/, label)
        assert.equal(answer.headers['content-security-policy'], PAGE_POLICY, label)
      }
      const jsonSignIn = await h.app.inject({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/json', cookie },
        payload: JSON.stringify({ username: 'alex', password: PASSWORD, csrf: token }),
      })
      assert.equal(jsonSignIn.statusCode, 415, 'pages take forms only, even with a valid token')
    })

    it('a one-time password page exists and a restricted session cannot reach My Account', async () => {
      const userId = await createStaffUser(h.app, h.adminAuth, { username: 'otpuser', password: PASSWORD })
      const forced = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/force-password-reset`,
        auth: h.adminAuth,
        payload: { mode: 'offline-otp' },
      })
      assert.equal(forced.status, 200)
      const otp = (
        await call(h.app, {
          method: 'GET',
          url: `/api/admin/users/${userId}/one-time-password`,
          auth: h.adminAuth,
        })
      ).body.oneTimePassword
      const browser = new PageClient(h.app)
      const page = await browser.get('/login/one-time-password')
      assert.equal(page.status, 200)
      assert.match(page.body, /<label for="password">One-time password<\/label>/)
      const signedIn = await browser.post('/login', { username: 'otpuser', password: otp, mode: 'otp' })
      assert.equal(signedIn.status, 303)
      assert.equal(signedIn.location, '/reset-password')
      const account = await browser.get('/myaccount')
      assert.equal(account.status, 303, 'the restricted session is not a sign-in')
      assert.equal(account.location, '/login')
      const prompt = await browser.get('/password-prompt')
      assert.equal(prompt.status, 303, 'nor a prompt session')
      const reset = await browser.get('/reset-password')
      assert.equal(reset.status, 200)
      assert.ok(pageText(reset.body).includes('Choose a new password for otpuser'))
    })

    it('tenants: /t/{tenant}/login signs in the tenant’s users, DOMAIN/user included; an unknown tenant is a 404 page', async () => {
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: 'pages.example', adminPassword: 'Pages-Admin-Password-1' },
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const tenantAdmin = basicAuth('admin', 'Pages-Admin-Password-1')
      const store = await call(h.app, {
        method: 'POST',
        url: '/t/pages.example/api/admin/user-stores',
        auth: tenantAdmin,
        payload: { domain: 'PARTNERS' },
      })
      assert.equal(store.status, 201, JSON.stringify(store.body))
      await createStaffUser(h.app, tenantAdmin, {
        username: 'PARTNERS/casey',
        password: PASSWORD,
        tenantPrefix: '/t/pages.example',
      })

      const browser = new PageClient(h.app)
      const page = await browser.get('/t/pages.example/login')
      assert.equal(page.status, 200)
      assert.match(page.body, /action="\/t\/pages\.example\/login"/)
      assert.ok(pageText(page.body).includes('Organisation: pages.example'))
      const rootUser = await browser.post('/t/pages.example/login', { username: 'alex', password: PASSWORD })
      assert.equal(rootUser.status, 401, "another tenant's user is unknown here")
      const signedIn = await browser.post('/t/pages.example/login', {
        username: 'partners/casey',
        password: PASSWORD,
      })
      assert.equal(signedIn.status, 303)
      assert.equal(signedIn.location, '/t/pages.example/myaccount')
      assert.ok([...browser.cookies.keys()].includes('rekey_session-pages.example'))
      const account = await browser.follow(signedIn)
      assert.ok(pageText(account.body).includes('PARTNERS/casey'))
      assert.equal((await browser.get('/myaccount')).status, 303, 'the root tenant sees no session')

      const rootToken = csrfToken((await new PageClient(h.app).get('/login')).body)
      const crossTenant = await browser.post(
        '/t/pages.example/login',
        { username: 'partners/casey', password: PASSWORD },
        { csrf: rootToken },
      )
      assert.equal(crossTenant.status, 403, "a token of another tenant's page is refused")

      const unknown = await browser.get('/t/nope.example/login')
      assert.equal(unknown.status, 404)
      assert.ok(pageText(unknown.body).includes('This organisation does not exist'))
      assert.equal(unknown.headers['content-security-policy'], PAGE_POLICY)
    })

    it('sign-in attempts are rate limited per client like the login API, with a page', async () => {
      const limited = await openHarness(kind, { env: { REKEY_AUTH_LOGIN_RATE_LIMIT_PER_MINUTE: '3' } })
      try {
        const browser = new PageClient(limited.app)
        await browser.get('/login')
        const statuses: number[] = []
        for (let attempt = 0; attempt < 4; attempt++)
          statuses.push((await browser.post('/login', { username: 'nobody', password: 'wrong' })).status)
        assert.deepEqual(statuses, [401, 401, 401, 429])
        const page = await browser.post('/login', { username: 'nobody', password: 'wrong' })
        assert.ok(pageText(page.body).includes('Too many attempts'))
        assert.match(String(page.headers['content-type']), /^text\/html/)
      } finally {
        await limited.close()
      }
    })
  })

  describe(`${kind.kind}: the sign-in page where the tenant allows detail`, { skip: kind.skip }, () => {
    let h: Harness
    before(async () => {
      h = await openHarness(kind, {
        env: { REKEY_RESET_LOGIN_REVEALS_PENDING: 'true', REKEY_RESET_MODE: 'email-otp' },
      })
      await createStaffUser(h.app, h.adminAuth, { username: 'pending', password: PASSWORD })
      const forced = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users/pending/force-password-reset',
        auth: h.adminAuth,
      })
      assert.equal(forced.status, 200)
    })
    after(async () => h?.close())

    it('the right old password says that a reset is pending; a wrong one-time password says so too', async () => {
      const browser = new PageClient(h.app)
      await browser.get('/login')
      const old = await browser.post('/login', { username: 'pending', password: PASSWORD })
      assert.equal(old.status, 401)
      assert.ok(pageText(old.body).includes('A password reset is pending for this account'))
      const wrongOtp = await browser.post('/login', { username: 'pending', password: 'WRONGCODE' })
      assert.ok(pageText(wrongOtp.body).includes('The one-time password is not valid'))
      const wrongUser = await browser.post('/login', { username: 'nobody', password: PASSWORD })
      assert.ok(pageText(wrongUser.body).includes(GENERIC), 'an unknown user still learns nothing')
    })
  })
}
