import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { questionText } from '../../src/flows/security-questions/question-list.ts'
import { negotiateLocale } from '../../src/http/pages/messages/catalogue.ts'
import type { Actor } from '../../src/observability/audit.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { basicAuth, type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import {
  createStaffUser,
  latestMailText,
  type PageAnswer,
  PageClient,
  pageText,
  useShippedPasswordPolicy,
} from '../support/page-client.ts'
import { storeKinds } from '../support/stores.ts'

const OLD_PASSWORD = 'old-secret-passphrase-1'
const NEW_PASSWORD = 'brand-new-passphrase-7'
const SENT = 'We sent a code to the address on the account if it exists'
const EXPIRED = 'Your reset link or session has expired'
const DONE = 'Your password has been reset. Sign in with your new password.'
const TEST_ACTOR: Actor = { kind: 'cli', id: null, name: 'cli' }

/** The hidden flow token of a page. */
function tokenIn(html: string): string {
  const token = /<input type="hidden" name="token" value="([^"]+)">/.exec(html)?.[1]
  assert.ok(token, `a flow token in: ${pageText(html).slice(0, 300)}`)
  return token
}

/** The mailed link's path and query, and the code in it. */
function codeLinkIn(text: string): { path: string; code: string; token: string } {
  const link = /https?:\/\/[^\s"<>]+\/forgot-password\/code\?token=[^\s"<>]+/.exec(text)?.[0]
  assert.ok(link, `a code link in: ${text}`)
  const url = new URL(link)
  const code = url.searchParams.get('code')
  assert.ok(code && text.includes(code), 'the code is also in the text, to type')
  return { path: `${url.pathname}${url.search}`, code, token: url.searchParams.get('token')! }
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: the "Forgot password?" pages`, { skip: kind.skip }, () => {
    let h: Harness
    const clock = new ManualClock()

    before(async () => {
      h = await openHarness(kind, { clock })
      await useShippedPasswordPolicy(h.app, h.adminAuth)
    })
    after(async () => h?.close())

    const user = (name: string, tenantPrefix = '') =>
      createStaffUser(h.app, tenantPrefix ? basicAuth('admin', TENANT_ADMIN) : h.adminAuth, {
        username: name,
        password: OLD_PASSWORD,
        tenantPrefix,
      })

    /** The newest mail to the user, once the mail queued after the engine's answer is written. */
    async function mailOf(name: string, tenant: TenantRow = h.defaultTenant) {
      await h.container.selfService.idle()
      return latestMailText(h.container, tenant, `${name}@example.com`)
    }

    /** From the sign-in page's link to the code page. */
    async function findAccount(browser: PageClient, typed: string, prefix = ''): Promise<PageAnswer> {
      const page = await browser.get(`${prefix}/forgot-password`)
      assert.equal(page.status, 200, page.body)
      assert.ok(pageText(page.body).includes('Find your account'))
      return browser.post(`${prefix}/forgot-password`, { username: typed })
    }

    /** Finds the account, types the mailed code: answers the page after the code. */
    async function throughCode(browser: PageClient, name: string, prefix = '', tenant = h.defaultTenant) {
      const sent = await findAccount(browser, name, prefix)
      assert.equal(sent.status, 200, sent.body)
      const { code } = codeLinkIn(await mailOf(name, tenant))
      return browser.post(`${prefix}/forgot-password/code`, { token: tokenIn(sent.body), code })
    }

    async function signIn(name: string, password: string, prefix = '') {
      const browser = new PageClient(h.app)
      await browser.get(`${prefix}/login`)
      return browser.post(`${prefix}/login`, { username: name, password })
    }

    it('default pipeline: sign-in link, find the account, the mailed code, a new password, back to sign-in with a notice', async () => {
      await user('ashby')
      const browser = new PageClient(h.app)
      const login = await browser.get('/login')
      assert.match(login.body, /<a href="\/forgot-password">Forgot password\?<\/a>/)

      const find = await browser.get('/forgot-password')
      assert.match(find.body, /<label for="username">User name or email address<\/label>/)
      assert.match(find.body, /autocomplete="username"/)
      const sent = await browser.post('/forgot-password', { username: 'ashby' })
      assert.equal(sent.status, 200, sent.body)
      assert.ok(pageText(sent.body).includes(SENT))
      assert.match(sent.body, /autocomplete="one-time-code"/)
      assert.ok(!pageText(sent.body).includes('ashby'), 'the page does not repeat who was looked up')

      const mail = await mailOf('ashby')
      const { code } = codeLinkIn(mail)
      const typed = `${code.slice(0, 4).toLowerCase()}-${code.slice(4)}`
      const newPage = await browser.post('/forgot-password/code', { token: tokenIn(sent.body), code: typed })
      assert.equal(newPage.status, 200, newPage.body)
      assert.ok(pageText(newPage.body).includes('Choose a new password'))
      assert.match(newPage.body, /has at least 8 characters/, 'the password rules are shown')
      assert.match(newPage.body, /is not a common or easily guessed password/)
      assert.equal((newPage.body.match(/autocomplete="new-password"/g) ?? []).length, 2)

      const token = tokenIn(newPage.body)
      const done = await browser.post('/forgot-password/new-password', {
        token,
        newPassword: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
      })
      assert.equal(done.status, 303, done.body)
      assert.equal(done.location, '/login?m=password-reset')
      const landed = await browser.follow(done)
      assert.ok(pageText(landed.body).includes(DONE))

      assert.equal((await signIn('ashby', OLD_PASSWORD)).status, 401, 'the old password no longer works')
      const signedIn = await signIn('ashby', NEW_PASSWORD)
      assert.equal(signedIn.status, 303)
      assert.equal(signedIn.location, '/myaccount')

      const replay = await browser.post('/forgot-password/new-password', {
        token,
        newPassword: 'another-long-passphrase-9',
        confirmation: 'another-long-passphrase-9',
      })
      assert.equal(replay.status, 400, 'a finished flow cannot set another password')
      assert.ok(pageText(replay.body).includes(EXPIRED))
      assert.match(replay.body, /href="\/forgot-password">Start again</)
      assert.equal((await signIn('ashby', NEW_PASSWORD)).status, 303)
    })

    it('the mailed link shows the code filled in and uses nothing up; Continue submits it', async () => {
      await user('blair')
      const browser = new PageClient(h.app)
      assert.equal((await findAccount(browser, 'blair')).status, 200)
      const link = codeLinkIn(await mailOf('blair'))
      assert.ok(link.path.startsWith('/forgot-password/code?token='))
      for (let visit = 0; visit < 3; visit++) {
        const page = await new PageClient(h.app).get(link.path)
        assert.equal(page.status, 200, `visit ${visit}: ${page.body}`)
        assert.equal(page.headers['cache-control'], 'no-store')
        assert.equal(page.headers['referrer-policy'], 'no-referrer')
        assert.ok(pageText(page.body).includes(SENT))
        assert.ok(page.body.includes(`value="${link.code}"`), 'the code is filled in')
      }
      const opened = await browser.get(link.path)
      // A wrong code now still has every attempt but this one: the visits counted none.
      const wrong = await browser.post('/forgot-password/code', {
        token: tokenIn(opened.body),
        code: 'WRONG234',
      })
      assert.equal(wrong.status, 400)
      assert.ok(
        pageText(wrong.body).includes('The code is not correct. 4 attempts left.'),
        pageText(wrong.body),
      )
      const next = await browser.post('/forgot-password/code', {
        token: tokenIn(opened.body),
        code: link.code,
      })
      assert.equal(next.status, 200)
      assert.ok(pageText(next.body).includes('Choose a new password'))
      const done = await browser.post('/forgot-password/new-password', {
        token: tokenIn(next.body),
        newPassword: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
      })
      assert.equal(done.status, 303)
      const used = await new PageClient(h.app).get(link.path)
      assert.equal(used.status, 400, 'the link of a finished flow')
      assert.ok(pageText(used.body).includes(EXPIRED))
    })

    it('an unknown account sees exactly the page a known one sees, by name or by address, and no mail is sent', async () => {
      await user('casey')
      const texts = new Map<string, { status: number; text: string }>()
      for (const typed of [
        'casey',
        'nobody-at-all',
        'casey@example.com',
        'nobody@example.com',
        'x" or userName pr or userName eq "y',
        'back\\slash',
      ]) {
        const answer = await findAccount(new PageClient(h.app), typed)
        tokenIn(answer.body)
        texts.set(typed, { status: answer.status, text: pageText(answer.body) })
      }
      const known = texts.get('casey')!
      assert.equal(known.status, 200)
      for (const [typed, shown] of texts) assert.deepEqual(shown, known, typed)
      await h.container.selfService.idle()
      await h.container.outboxWorker.drain()
      const mails = await h.container.outbox.mailbox(h.defaultTenant, {
        limit: 10,
        recipient: 'casey@example.com',
      })
      assert.equal(mails.length, 2, 'one code by name, one by address')
      const strays = await h.container.outbox.mailbox(h.defaultTenant, {
        limit: 10,
        recipient: 'nobody@example.com',
      })
      assert.equal(strays.length, 0)

      const empty = await findAccount(new PageClient(h.app), '   ')
      assert.equal(empty.status, 400)
      assert.ok(pageText(empty.body).includes('Enter your user name or email address.'))
      assert.match(empty.body, /id="username-error"/)
    })

    it('a wrong code: the same page with the engine’s message and an error summary, the same for an unknown account; no attempts left ends the flow', async () => {
      await user('dana')
      const browser = new PageClient(h.app)
      const sent = await findAccount(browser, 'dana')
      const token = tokenIn(sent.body)
      const empty = await browser.post('/forgot-password/code', { token, code: ' ' })
      assert.equal(empty.status, 400)
      assert.ok(pageText(empty.body).includes('Enter the code from the email.'))

      const stranger = new PageClient(h.app)
      const strangerSent = await findAccount(stranger, 'dana-does-not-exist')
      const strangerWrong = await stranger.post('/forgot-password/code', {
        token: tokenIn(strangerSent.body),
        code: 'WRONG234',
      })
      for (let attempt = 1; attempt <= 4; attempt++) {
        const wrong = await browser.post('/forgot-password/code', { token, code: 'WRONG234' })
        assert.equal(wrong.status, 400)
        const text = pageText(wrong.body)
        assert.ok(text.includes('There is a problem'), 'an error summary')
        assert.match(wrong.body, /role="alert"/)
        assert.match(wrong.body, /id="code-error"/)
        assert.ok(
          text.includes(
            `The code is not correct. ${5 - attempt} ${attempt === 4 ? 'attempt' : 'attempts'} left.`,
          ),
          text,
        )
        assert.ok(text.includes(SENT), 'the code page again')
        if (attempt === 1)
          assert.equal(pageText(strangerWrong.body), text, 'an unknown account reads the same')
      }
      const last = await browser.post('/forgot-password/code', { token, code: 'WRONG234' })
      assert.equal(last.status, 400)
      assert.ok(pageText(last.body).includes('Not correct, and no attempts are left. Start again.'))
      assert.match(last.body, /href="\/forgot-password">Start again</)
      const { code } = codeLinkIn(await mailOf('dana'))
      await browser.get('/forgot-password')
      const late = await browser.post('/forgot-password/code', { token, code })
      assert.equal(late.status, 400, 'the right code is too late')
      assert.ok(pageText(late.body).includes(EXPIRED))
    })

    it('the new password: a mismatch is shown and not submitted, a weak one keeps the flow usable', async () => {
      await user('eden')
      const browser = new PageClient(h.app)
      const page = await throughCode(browser, 'eden')
      const token = tokenIn(page.body)
      const mismatch = await browser.post('/forgot-password/new-password', {
        token,
        newPassword: NEW_PASSWORD,
        confirmation: `${NEW_PASSWORD}x`,
      })
      assert.equal(mismatch.status, 400)
      assert.match(
        mismatch.body,
        /id="confirmation-error"[^>]*>.*The new password and its confirmation do not match\./,
      )
      assert.equal((await signIn('eden', NEW_PASSWORD)).status, 401, 'nothing was set')

      const empty = await browser.post('/forgot-password/new-password', {
        token,
        newPassword: '',
        confirmation: '',
      })
      assert.equal(empty.status, 400)
      assert.ok(pageText(empty.body).includes('Enter a new password.'))
      for (const weak of ['short', 'password123', 'eden-is-my-name']) {
        const refused = await browser.post('/forgot-password/new-password', {
          token,
          newPassword: weak,
          confirmation: weak,
        })
        assert.equal(refused.status, 400, weak)
        assert.ok(pageText(refused.body).includes('The new password is too weak.'), weak)
        assert.match(refused.body, /id="newPassword-error"/, weak)
        assert.match(refused.body, /has at least 8 characters/, `${weak}: the rules are still shown`)
        assert.equal(tokenIn(refused.body), token, `${weak}: the form keeps the flow`)
      }
      const done = await browser.post('/forgot-password/new-password', {
        token,
        newPassword: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
      })
      assert.equal(done.status, 303)
      assert.equal((await signIn('eden', NEW_PASSWORD)).status, 303)
    })

    it('an expired, tampered or missing token shows the expired page with a way to start again', async () => {
      await user('finley')
      const browser = new PageClient(h.app)
      const sent = await findAccount(browser, 'finley')
      const token = tokenIn(sent.body)
      const link = codeLinkIn(await mailOf('finley'))
      const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`
      const attempts: Array<Record<string, string>> = [
        { token: tampered, code: link.code },
        { code: link.code },
      ]
      for (const fields of attempts) {
        await browser.get('/forgot-password')
        const refused = await browser.post('/forgot-password/code', fields)
        assert.equal(refused.status, 400)
        assert.ok(pageText(refused.body).includes(EXPIRED))
      }
      for (const url of [
        '/forgot-password/code',
        '/forgot-password/code?token=nonsense',
        `/forgot-password/code?token=${'x'.repeat(9000)}`,
      ]) {
        const page = await browser.get(url)
        assert.equal(page.status, 400, url.slice(0, 60))
        assert.ok(pageText(page.body).includes(EXPIRED), url.slice(0, 60))
      }
      const repeated = await browser.get('/forgot-password/code?token=a&token=b')
      assert.equal(repeated.status, 400, 'a repeated parameter is not a link of ours')
      assert.match(String(repeated.headers['content-type']), /^text\/html/)

      clock.advance(h.config.selfservice.token_lifetime_minutes * 60_000 + 1)
      await browser.get('/forgot-password')
      const expired = await browser.post('/forgot-password/code', { token, code: link.code })
      assert.equal(expired.status, 400)
      assert.ok(pageText(expired.body).includes(EXPIRED))
      assert.match(expired.body, /href="\/forgot-password">Start again</)
      const expiredLink = await browser.get(link.path)
      assert.equal(expiredLink.status, 400)
      assert.ok(pageText(expiredLink.body).includes(EXPIRED))
      assert.equal((await signIn('finley', OLD_PASSWORD)).status, 303, 'nothing changed')
    })

    it('posts without the CSRF token are refused and change nothing', async () => {
      await user('gray')
      const browser = new PageClient(h.app)
      await browser.get('/forgot-password')
      const find = await browser.post('/forgot-password', { username: 'gray' }, { csrf: false })
      assert.equal(find.status, 403)
      assert.ok(pageText(find.body).includes('This form has expired'))
      const forged = await browser.post('/forgot-password', { username: 'gray' }, { csrf: 'forged' })
      assert.equal(forged.status, 403)
      const crossSite = await browser.post(
        '/forgot-password',
        { username: 'gray' },
        { headers: { 'sec-fetch-site': 'cross-site' } },
      )
      assert.equal(crossSite.status, 403)
      await h.container.selfService.idle()
      await h.container.outboxWorker.drain()
      assert.equal(
        (await h.container.outbox.mailbox(h.defaultTenant, { limit: 1, recipient: 'gray@example.com' }))
          .length,
        0,
        'no flow was started',
      )

      const page = await throughCode(browser, 'gray')
      const token = tokenIn(page.body)
      const refused = await browser.post(
        '/forgot-password/new-password',
        { token, newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD },
        { csrf: false },
      )
      assert.equal(refused.status, 403)
      assert.equal((await signIn('gray', NEW_PASSWORD)).status, 401)
      const json = await h.app.inject({
        method: 'POST',
        url: '/forgot-password/new-password',
        headers: { 'content-type': 'application/json' },
        payload: { token, newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD },
      })
      assert.equal(json.statusCode, 415)
    })

    it('a tenant: /t/{tenant}/forgot-password keeps the prefix, its mail links to it, and other tenants’ tokens are refused', async () => {
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: 'forgot.example', adminPassword: TENANT_ADMIN },
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const tenant = await h.container.tenants.require('forgot.example')
      const prefix = '/t/forgot.example'
      await user('harper', prefix)
      const browser = new PageClient(h.app)
      const login = await browser.get(`${prefix}/login`)
      assert.match(login.body, /href="\/t\/forgot\.example\/forgot-password"/)
      const sent = await findAccount(browser, 'harper', prefix)
      assert.equal(sent.status, 200)
      assert.match(sent.body, /action="\/t\/forgot\.example\/forgot-password\/code"/)
      const link = codeLinkIn(await mailOf('harper', tenant))
      assert.ok(link.path.startsWith(`${prefix}/forgot-password/code?`), link.path)

      const elsewhere = new PageClient(h.app)
      await elsewhere.get('/forgot-password')
      const crossed = await elsewhere.post('/forgot-password/code', { token: link.token, code: link.code })
      assert.equal(crossed.status, 400, 'the default tenant does not continue this flow')
      assert.ok(pageText(crossed.body).includes(EXPIRED))

      const opened = await browser.get(link.path)
      const next = await browser.post(`${prefix}/forgot-password/code`, {
        token: tokenIn(opened.body),
        code: link.code,
      })
      assert.match(next.body, /action="\/t\/forgot\.example\/forgot-password\/new-password"/)
      const done = await browser.post(`${prefix}/forgot-password/new-password`, {
        token: tokenIn(next.body),
        newPassword: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
      })
      assert.equal(done.status, 303)
      assert.equal(done.location, `${prefix}/login?m=password-reset`)
      assert.ok(pageText((await browser.follow(done)).body).includes(DONE))
      assert.equal((await signIn('harper', NEW_PASSWORD, prefix)).status, 303)

      // Turned off for the tenant: no link on the sign-in page, and no pages.
      await h.container.tenantPolicies.updateSelfServicePolicy(tenant, { stages: [] }, TEST_ACTOR)
      assert.doesNotMatch((await browser.get(`${prefix}/login`)).body, /forgot-password/)
      const off = await browser.get(`${prefix}/forgot-password`)
      assert.equal(off.status, 404)
      assert.match(String(off.headers['content-type']), /^text\/html/)
      const offLink = await browser.get(link.path)
      assert.equal(offLink.status, 404)
      assert.match(
        (await browser.get('/login')).body,
        /href="\/forgot-password"/,
        'the default tenant keeps it',
      )
    })

    it('with security questions: the code, then the questions in the reader’s language, wrong answers refused, then the new password', async () => {
      const userId = await user('indigo')
      const tenant = h.defaultTenant
      const questions = await h.container.securityQuestions.questions(tenant)
      const [first, second] = questions
      assert.ok(first && second)
      await h.container.securityQuestions.setAnswers(
        tenant,
        userId,
        [
          { questionId: first.id, answer: 'Rex the Dog' },
          { questionId: second.id, answer: 'Lyon' },
        ],
        TEST_ACTOR,
      )
      await h.container.tenantPolicies.updateSelfServicePolicy(
        tenant,
        { stages: ['userQuery', 'emailValidation', 'kbaSecurityAnswerVerificationStage', 'resetStage'] },
        TEST_ACTOR,
      )
      try {
        const browser = new PageClient(h.app)
        const asked = await throughCode(browser, 'indigo')
        assert.equal(asked.status, 200, asked.body)
        const text = pageText(asked.body)
        assert.ok(text.includes('Answer your security questions'), text)
        const shown = [first, second].find((question) => text.includes(question.text.en!))
        assert.ok(shown, `one of the answered questions is asked: ${text}`)
        assert.match(asked.body, /<label for="securityAnswer1">/)
        assert.doesNotMatch(asked.body, /securityAnswer2/, 'one question asked (kba_questions_asked)')

        const token = tokenIn(asked.body)
        const missing = await browser.post('/forgot-password/questions', { token, securityAnswer1: '' })
        assert.equal(missing.status, 400)
        assert.ok(pageText(missing.body).includes('Enter an answer.'))
        const wrong = await browser.post('/forgot-password/questions', { token, securityAnswer1: 'not it' })
        assert.equal(wrong.status, 400)
        // The flow's attempts are shared by its stages: the code took one.
        assert.ok(
          pageText(wrong.body).includes('The answers are not correct. 3 attempts left.'),
          pageText(wrong.body),
        )
        assert.ok(pageText(wrong.body).includes(shown.text.en!), 'the same question again')

        // The question in the pages' negotiated language (English until the pages speak French).
        const acceptLanguage = 'fr-CA, fr;q=0.9'
        const inFrench = await new PageClient(h.app).get(
          `/forgot-password/code?token=${encodeURIComponent(token)}`,
          {
            'accept-language': acceptLanguage,
          },
        )
        assert.equal(inFrench.status, 200)
        assert.ok(pageText(inFrench.body).includes(questionText(shown, negotiateLocale(acceptLanguage))))

        const answer = shown.id === first.id ? '  rex THE dog ' : 'LYON'
        const next = await browser.post('/forgot-password/questions', { token, securityAnswer1: answer })
        assert.equal(next.status, 200, next.body)
        assert.ok(pageText(next.body).includes('Choose a new password'))
        const done = await browser.post('/forgot-password/new-password', {
          token: tokenIn(next.body),
          newPassword: NEW_PASSWORD,
          confirmation: NEW_PASSWORD,
        })
        assert.equal(done.status, 303)
        assert.equal((await signIn('indigo', NEW_PASSWORD)).status, 303)

        const stranger = new PageClient(h.app)
        const strangerSent = await findAccount(stranger, 'indigo-unknown')
        const strangerAsked = await stranger.post('/forgot-password/code', {
          token: tokenIn(strangerSent.body),
          code: 'WRONG234',
        })
        assert.equal(strangerAsked.status, 400, 'an unknown account gets no further than a wrong code')
      } finally {
        await h.container.tenantPolicies.updateSelfServicePolicy(tenant, { stages: null }, TEST_ACTOR)
      }
    })
  })
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: the "Forgot password?" pages under the failure limits`, { skip: kind.skip }, () => {
    let h: Harness
    before(async () => {
      h = await openHarness(kind, { env: { REKEY_SELFSERVICE_ADDRESS_FAILURES_PER_HOUR: '2' } })
    })
    after(async () => h?.close())

    it('beyond the wrong codes one address may send, the page says to wait, and the flow does not go on', async () => {
      await createStaffUser(h.app, h.adminAuth, { username: 'jules', password: OLD_PASSWORD })
      const browser = new PageClient(h.app)
      await browser.get('/forgot-password')
      const sent = await browser.post('/forgot-password', { username: 'jules' })
      const token = tokenIn(sent.body)
      for (let attempt = 0; attempt < 2; attempt++)
        assert.equal((await browser.post('/forgot-password/code', { token, code: 'WRONG234' })).status, 400)
      await h.container.selfService.idle()
      const { code } = codeLinkIn(await latestMailText(h.container, h.defaultTenant, 'jules@example.com'))
      const limited = await browser.post('/forgot-password/code', { token, code })
      assert.equal(limited.status, 429)
      assert.ok(
        pageText(limited.body).includes('Too many wrong codes or answers. Wait an hour, then start again.'),
      )
      assert.match(String(limited.headers['content-type']), /^text\/html/)
    })
  })
}

const TENANT_ADMIN = 'Forgot-Tenant-Admin-Password-1'
