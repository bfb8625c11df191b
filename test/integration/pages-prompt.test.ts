import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.ts'
import { resetPromptSettings } from '../../src/flows/reset-prompt/settings.ts'
import { removeTestDirs, testConfig } from '../support/config.ts'
import { type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { assertProblem, bearer, call } from '../support/http.ts'
import { createStaffUser, PageClient, pageText, useShippedPasswordPolicy } from '../support/page-client.ts'
import { storeKinds } from '../support/stores.ts'

const RESET_CLAIM = 'http://wso2.org/claims/resetPassword'
const PASSWORD = 'Current-passphrase-1'
const KEYS = {
  required: 'authentication-action.reset-password.validation.error.password.required',
  mismatch: 'authentication-action.reset-password.validation.error.password.mismatch',
  weak: 'authentication-action.reset-password.validation.error.password.weak',
}
const DAY = 24 * 60 * 60_000

describe('reset_prompt configuration', () => {
  const settingsOf = (env: Record<string, string>) => {
    const config = testConfig(env)
    try {
      return resetPromptSettings(config)
    } finally {
      removeTestDirs(config)
    }
  }

  it('maps a bare attribute name to a claim of the WSO2 dialect, and keeps a full claim URI', () => {
    assert.equal(settingsOf({}).claimUri, RESET_CLAIM)
    assert.equal(settingsOf({}).enabled, false, 'off by default')
    assert.equal(
      settingsOf({ REKEY_RESET_PROMPT_ATTRIBUTE: 'urn:example:claims:mustChange' }).claimUri,
      'urn:example:claims:mustChange',
    )
  })

  it('refuses at start a strength expression that could backtrack catastrophically, naming the key', () => {
    for (const pattern of ['(a+)+$', '(', '(\\d)\\1']) {
      assert.throws(
        () => settingsOf({ REKEY_RESET_PROMPT_REGULAR_EXPRESSION: pattern }),
        (error: unknown) =>
          error instanceof ConfigError && error.message.includes('reset_prompt.regular_expression'),
        pattern,
      )
    }
    assert.ok(settingsOf({ REKEY_RESET_PROMPT_REGULAR_EXPRESSION: '^(?=.*\\d)' }).pattern?.test('a1'))
  })
})

for (const kind of storeKinds) {
  describe(`${kind.kind}: the reset-password prompt, attribute from claims, no skip`, {
    skip: kind.skip,
  }, () => {
    let h: Harness
    const clock = new ManualClock()

    before(async () => {
      h = await openHarness(kind, {
        clock,
        env: {
          REKEY_RESET_PROMPT_ENABLED: 'true',
          // At least one digit and one capital letter, as the reference's strength expression.
          REKEY_RESET_PROMPT_REGULAR_EXPRESSION: '^(?=.*\\d)(?=.*[A-Z])',
        },
      })
      await useShippedPasswordPolicy(h.app, h.adminAuth)
    })
    after(async () => h?.close())

    const signIn = async (browser: PageClient, username: string, password: string) => {
      await browser.get('/login')
      return browser.post('/login', { username, password })
    }
    const claimsOf = async (name: string) =>
      (await call(h.app, { method: 'GET', url: `/api/admin/users/${name}`, auth: h.adminAuth })).body.claims

    it('a true attribute leads from sign-in to the prompt; errors use the message keys; the new password clears the attribute', async () => {
      await createStaffUser(h.app, h.adminAuth, {
        username: 'pat',
        password: PASSWORD,
        claims: { [RESET_CLAIM]: 'TRUE' },
      })
      const browser = new PageClient(h.app)
      const signedIn = await signIn(browser, 'pat', PASSWORD)
      assert.equal(signedIn.status, 303)
      assert.equal(signedIn.location, '/password-prompt')
      assert.equal((await browser.get('/myaccount')).status, 303, 'the prompt session is not a sign-in')
      const prompt = await browser.get('/password-prompt')
      assert.equal(prompt.status, 200)
      assert.ok(pageText(prompt.body).includes('Your administrator asks you to choose a new password'))
      assert.ok(!prompt.body.includes('/password-prompt/skip'), 'no skip without allow_skip')

      const skipped = await browser.post('/password-prompt/skip', {})
      assert.equal(skipped.status, 403)
      assert.ok(pageText(skipped.body).includes('it cannot be skipped'))
      const cases: Array<[Record<string, string>, string, string]> = [
        [{ newPassword: '', confirmation: '' }, 'Enter a new password.', 'newPassword'],
        [
          { newPassword: 'Another-passphrase-2', confirmation: 'another-passphrase-2' },
          'do not match',
          'confirmation',
        ],
        [
          { newPassword: 'no-digit-or-capital', confirmation: 'no-digit-or-capital' },
          'too weak',
          'newPassword',
        ],
        [{ newPassword: 'Sh0rt', confirmation: 'Sh0rt' }, 'at least 8 characters', 'newPassword'],
        [
          { newPassword: PASSWORD, confirmation: PASSWORD },
          'must differ from the last 5 passwords',
          'newPassword',
        ],
      ]
      for (const [fields, message, field] of cases) {
        const refused = await browser.post('/password-prompt', fields)
        assert.equal(refused.status, 400, message)
        assert.ok(pageText(refused.body).includes(message), `${message} in ${pageText(refused.body)}`)
        assert.match(refused.body, new RegExp(`id="${field}-error"`), message)
      }

      const done = await browser.post('/password-prompt', {
        newPassword: 'Fresh-passphrase-3',
        confirmation: 'Fresh-passphrase-3',
      })
      assert.equal(done.status, 303)
      assert.equal(done.location, '/myaccount?m=prompt-done')
      const account = await browser.follow(done)
      assert.equal(account.status, 200, 'the prompt session was traded for a full one')
      assert.ok(pageText(account.body).includes('Your new password is set.'))
      assert.equal((await claimsOf('pat'))[RESET_CLAIM], undefined, 'PasswordUpdated cleared the attribute')

      const next = await signIn(new PageClient(h.app), 'pat', 'Fresh-passphrase-3')
      assert.equal(next.location, '/myaccount', 'the next sign-in is not prompted')
      assert.equal((await signIn(new PageClient(h.app), 'pat', PASSWORD)).status, 401)
      const replay = await browser.post('/password-prompt', {
        newPassword: 'Other-passphrase-4',
        confirmation: 'Other-passphrase-4',
      })
      assert.equal(replay.status, 303, 'the spent prompt session can do nothing more')
      assert.equal(replay.location, '/login?m=session-ended')
    })

    it('a user without the attribute, or with another value, is not prompted', async () => {
      await createStaffUser(h.app, h.adminAuth, {
        username: 'lee',
        password: PASSWORD,
        claims: { [RESET_CLAIM]: 'yes' },
      })
      assert.equal((await signIn(new PageClient(h.app), 'lee', PASSWORD)).location, '/myaccount')
    })

    it('the login API answers requiredAction reset-password-prompt and takes the new password with the message keys', async () => {
      await createStaffUser(h.app, h.adminAuth, {
        username: 'api',
        password: PASSWORD,
        claims: { [RESET_CLAIM]: 'true' },
      })
      const login = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'api', password: PASSWORD },
      })
      assert.equal(login.status, 200, JSON.stringify(login.body))
      assert.equal(login.body.requiredAction, 'reset-password-prompt')
      assert.equal(login.body.allowSkip, false)
      assert.equal(login.body.promptReason, 'attribute')
      const token = bearer(login.body.token)
      assert.equal((await call(h.app, { method: 'GET', url: '/api/auth/session', auth: token })).status, 401)
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/auth/password',
          auth: token,
          payload: { newPassword: 'Fresh-passphrase-3' },
        }),
        401,
        'auth.required',
      )
      assertProblem(
        await call(h.app, { method: 'POST', url: '/api/auth/password-prompt/skip', auth: token }),
        403,
        'reset.prompt-not-skippable',
      )
      const post = (payload: object) =>
        call(h.app, { method: 'POST', url: '/api/auth/password-prompt', auth: token, payload })
      const required = await post({ newPassword: '' })
      assertProblem(required, 400, 'password.required')
      assert.equal(required.body.reason, KEYS.required)
      const mismatch = await post({
        newPassword: 'Fresh-passphrase-3',
        confirmPassword: 'Fresh-passphrase-4',
      })
      assertProblem(mismatch, 400, 'password.mismatch')
      assert.equal(mismatch.body.reason, KEYS.mismatch)
      const pattern = await post({ newPassword: 'no-digit-or-capital' })
      assertProblem(pattern, 400, 'password.weak')
      assert.equal(pattern.body.reason, KEYS.weak)
      const policy = await post({ newPassword: 'Password1' })
      assertProblem(policy, 400, 'password.weak')
      assert.equal(policy.body.reason, KEYS.weak)
      assert.equal(policy.body.errors[0].rule, 'common-password')

      const done = await post({ newPassword: 'Fresh-passphrase-3', confirmPassword: 'Fresh-passphrase-3' })
      assert.equal(done.status, 200, JSON.stringify(done.body))
      assert.equal(done.body.requiredAction, undefined)
      const session = await call(h.app, {
        method: 'GET',
        url: '/api/auth/session',
        auth: bearer(done.body.token),
      })
      assert.equal(session.status, 200)
      assertProblem(await post({ newPassword: 'Other-passphrase-4' }), 401, 'auth.required')
      const events = await h.container.audit.list(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        limit: 10,
        action: 'password.updated',
      })
      assert.equal(events[0]?.detail.reason, 'reset-prompt')
    })

    it('a password older than the policy’s maximum age leads to the prompt, which cannot be skipped', async () => {
      await createStaffUser(h.app, h.adminAuth, { username: 'old', password: PASSWORD })
      const patched = await call(h.app, {
        method: 'PATCH',
        url: '/api/admin/password-policy',
        auth: h.adminAuth,
        payload: { maxAgeDays: 30 },
      })
      assert.equal(patched.status, 200, JSON.stringify(patched.body))
      try {
        clock.advance(29 * DAY)
        assert.equal((await signIn(new PageClient(h.app), 'old', PASSWORD)).location, '/myaccount')
        clock.advance(DAY)
        const browser = new PageClient(h.app)
        const signedIn = await signIn(browser, 'old', PASSWORD)
        assert.equal(signedIn.location, '/password-prompt')
        const prompt = await browser.get('/password-prompt')
        assert.ok(pageText(prompt.body).includes('Your password has expired.'))
        const done = await browser.post('/password-prompt', {
          newPassword: 'Renewed-passphrase-5',
          confirmation: 'Renewed-passphrase-5',
        })
        assert.equal(done.status, 303)
        assert.equal(
          (await signIn(new PageClient(h.app), 'old', 'Renewed-passphrase-5')).location,
          '/myaccount',
        )
      } finally {
        await call(h.app, {
          method: 'PATCH',
          url: '/api/admin/password-policy',
          auth: h.adminAuth,
          payload: { maxAgeDays: null },
        })
      }
    })
  })

  describe(`${kind.kind}: the reset-password prompt with allow_skip`, { skip: kind.skip }, () => {
    let h: Harness
    const clock = new ManualClock()
    before(async () => {
      h = await openHarness(kind, {
        clock,
        env: { REKEY_RESET_PROMPT_ENABLED: 'true', REKEY_RESET_PROMPT_ALLOW_SKIP: 'true' },
      })
    })
    after(async () => h?.close())

    it('Skip signs in with the current password; the attribute stays, so the next sign-in asks again', async () => {
      await createStaffUser(h.app, h.adminAuth, {
        username: 'kit',
        password: PASSWORD,
        claims: { [RESET_CLAIM]: 'true' },
      })
      for (let round = 0; round < 2; round++) {
        const browser = new PageClient(h.app)
        await browser.get('/login')
        const signedIn = await browser.post('/login', { username: 'kit', password: PASSWORD })
        assert.equal(signedIn.location, '/password-prompt', `round ${round}`)
        const prompt = await browser.follow(signedIn)
        assert.match(prompt.body, /action="\/password-prompt\/skip"/)
        const skipped = await browser.post('/password-prompt/skip', {})
        assert.equal(skipped.status, 303)
        assert.equal(skipped.location, '/myaccount')
        assert.equal((await browser.follow(skipped)).status, 200)
        assert.equal(
          (await browser.post('/password-prompt/skip', {})).location,
          '/login?m=session-ended',
          'once only',
        )
      }
      const audit = await h.container.audit.list(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        limit: 10,
        action: 'login.succeeded',
      })
      assert.equal(audit[0]?.detail.promptSkipped, true)
      assert.equal(audit[1]?.detail.restricted, 'reset-password-prompt')
    })

    it('an expired password cannot be skipped even so', async () => {
      await createStaffUser(h.app, h.adminAuth, { username: 'ash', password: PASSWORD })
      await call(h.app, {
        method: 'PATCH',
        url: '/api/admin/password-policy',
        auth: h.adminAuth,
        payload: { maxAgeDays: 10 },
      })
      clock.advance(11 * DAY)
      const login = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'ash', password: PASSWORD },
      })
      assert.equal(login.body.requiredAction, 'reset-password-prompt')
      assert.equal(login.body.promptReason, 'password-expired')
      assert.equal(login.body.allowSkip, false)
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/auth/password-prompt/skip',
          auth: bearer(login.body.token),
        }),
        403,
        'reset.prompt-not-skippable',
      )
    })
  })

  describe(`${kind.kind}: the reset-password prompt, attribute from the login context`, {
    skip: kind.skip,
  }, () => {
    let h: Harness
    before(async () => {
      h = await openHarness(kind, {
        env: {
          REKEY_RESET_PROMPT_ENABLED: 'true',
          REKEY_RESET_PROMPT_ATTRIBUTE_SOURCE: 'login-context',
          REKEY_RESET_PROMPT_ATTRIBUTE: 'mustChange',
        },
      })
      await createStaffUser(h.app, h.adminAuth, {
        username: 'ctx',
        password: PASSWORD,
        claims: { [RESET_CLAIM]: 'true' },
      })
    })
    after(async () => h?.close())

    it('the sign-in request’s context names the attribute; the claims are not read', async () => {
      const login = (context?: Record<string, string>) =>
        call(h.app, {
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'ctx', password: PASSWORD, ...(context ? { context } : {}) },
        })
      assert.equal((await login()).body.requiredAction, undefined)
      assert.equal((await login({ resetPassword: 'true' })).body.requiredAction, undefined)
      const prompted = await login({ mustChange: 'true' })
      assert.equal(prompted.body.requiredAction, 'reset-password-prompt')
      assert.equal(prompted.body.allowSkip, false)
      assertProblem(
        await login({ mustChange: 5 } as unknown as Record<string, string>),
        400,
        'request.invalid',
      )
    })
  })
}
