import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { shippedPasswordPolicy } from '../support/config.ts'
import { basicAuth, type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { type Answer, assertProblem, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'
const OTHER = 'other.example'
const OTHER_ADMIN = basicAuth('admin', 'ocelot-quarry-2931')

interface PolicyAnswer {
  effective: Record<string, unknown>
  overrides: Record<string, unknown>
}

// The shipped password policy throughout (test/support/config.ts relaxes it for other suites):
// its defaults are what the API must report and, in a tenant that changed nothing, enforce.
for (const kind of storeKinds) {
  describe(`${kind.kind}: tenant policies through the admin API`, { skip: kind.skip }, () => {
    let h: Harness
    const clock = new ManualClock()

    const base = (tenant?: string) => (tenant ? `/t/${tenant}/api/admin` : '/api/admin')
    const authOf = (tenant?: string) => (tenant ? OTHER_ADMIN : h.adminAuth)
    const read = async (
      policy: 'reset-policy' | 'password-policy',
      tenant?: string,
    ): Promise<PolicyAnswer> => {
      const answer = await call(h.app, {
        method: 'GET',
        url: `${base(tenant)}/${policy}`,
        auth: authOf(tenant),
      })
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      return answer.body
    }
    const patch = (policy: 'reset-policy' | 'password-policy', payload: object, tenant?: string) =>
      call(h.app, { method: 'PATCH', url: `${base(tenant)}/${policy}`, auth: authOf(tenant), payload })
    const policyEvents = async (tenant?: string) => {
      const answer = await call(h.app, {
        method: 'GET',
        url: `${base(tenant)}/audit?action=tenant.policy-updated&limit=1000`,
        auth: authOf(tenant),
      })
      assert.equal(answer.status, 200)
      return answer.body.events as Array<{ actor: string; target: string; detail: { changed: string[] } }>
    }
    const storedSettings = () =>
      h.container.store.db
        .selectFrom('tenant_settings')
        .selectAll()
        .orderBy('tenant_id')
        .orderBy('name')
        .execute()
    const createUser = async (username: string, password: string, tenant?: string) => {
      const created = await call(h.app, {
        method: 'POST',
        url: `${base(tenant)}/users`,
        auth: authOf(tenant),
        payload: { username, password, claims: { [EMAIL]: `${username}@example.com` } },
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      return created.body.id as string
    }
    const setPassword = (userId: string, password: string, tenant?: string) =>
      call(h.app, {
        method: 'POST',
        url: `${base(tenant)}/users/${userId}/password`,
        auth: authOf(tenant),
        payload: { password },
      })
    const rulesOf = (answer: Answer) =>
      (answer.body.errors as Array<{ rule?: string }>).map((error) => error.rule)

    before(async () => {
      h = await openHarness(kind, { env: { ...shippedPasswordPolicy }, clock })
      const tenant = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: OTHER, adminPassword: 'ocelot-quarry-2931' },
      })
      assert.equal(tenant.status, 201, JSON.stringify(tenant.body))
    })
    after(async () => h?.close())

    it('reports the server configuration while a tenant has changed nothing', async () => {
      const reset = h.config.reset
      assert.deepEqual(await read('reset-policy'), {
        effective: {
          mode: reset.mode,
          otpLength: reset.otp_length,
          otpCharacters: reset.otp_characters,
          otpLifetimeMinutes: reset.otp_lifetime_minutes,
          linkLifetimeMinutes: reset.link_lifetime_minutes,
          maxOtpAttempts: reset.max_otp_attempts,
          revokeSessions: reset.revoke_sessions,
          sendConfirmation: reset.send_confirmation,
          loginRevealsPending: reset.login_reveals_pending,
        },
        overrides: {},
      })
      const passwords = h.config.passwords
      assert.deepEqual(await read('password-policy'), {
        effective: {
          minLength: passwords.min_length,
          maxLength: passwords.max_length,
          pattern: null,
          patternDescription: null,
          forbidUserName: true,
          historyCount: 5,
          checkCommonPasswords: true,
          maxAgeDays: passwords.max_age_days,
        },
        overrides: {},
      })
      assert.deepEqual(await read('reset-policy', OTHER), await read('reset-policy'))
    })

    it('changes the named reset settings only, audits the change, and leaves other tenants alone', async () => {
      const changed = await patch('reset-policy', {
        mode: 'offline-otp',
        otpLifetimeMinutes: 30,
        otpLength: 10,
      })
      assert.equal(changed.status, 200, JSON.stringify(changed.body))
      assert.deepEqual(changed.body.overrides, { mode: 'offline-otp', otpLifetimeMinutes: 30, otpLength: 10 })
      assert.equal(changed.body.effective.mode, 'offline-otp')
      assert.equal(changed.body.effective.maxOtpAttempts, h.config.reset.max_otp_attempts)
      assert.deepEqual(await read('reset-policy'), changed.body)

      const [event] = await policyEvents()
      assert.equal(event!.actor, 'user:admin')
      assert.equal(event!.target, 'reset-policy')
      assert.deepEqual(event!.detail.changed.sort(), ['mode', 'otpLength', 'otpLifetimeMinutes'])

      const other = await read('reset-policy', OTHER)
      assert.deepEqual(other.overrides, {})
      assert.equal(other.effective.mode, h.config.reset.mode)
      assert.deepEqual(await policyEvents(OTHER), [])
    })

    it('returns a setting to the server value with null', async () => {
      const answer = await patch('reset-policy', { otpLength: null })
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      assert.deepEqual(answer.body.overrides, { mode: 'offline-otp', otpLifetimeMinutes: 30 })
      assert.equal(answer.body.effective.otpLength, h.config.reset.otp_length)
    })

    it('refuses invalid reset settings with 400 naming the field, storing nothing', async () => {
      const stored = await storedSettings()
      const events = await policyEvents()
      const cases: Array<[object, string]> = [
        [{ otpLength: 3 }, '/body/otpLength'],
        [{ otpLength: '10' }, '/body/otpLength'],
        [{ otpLifetimeMinutes: 0 }, '/body/otpLifetimeMinutes'],
        [{ linkLifetimeMinutes: 100_000 }, '/body/linkLifetimeMinutes'],
        [{ mode: 'sms' }, '/body/mode'],
        [{ revokeSessions: 'yes' }, '/body/revokeSessions'],
        [{ bogus: true }, '/body/bogus'],
        // One bad key spoils the whole change: nothing half-applied.
        [{ maxOtpAttempts: 9, otpCharacters: 'emoji' }, '/body/otpCharacters'],
      ]
      for (const [payload, pointer] of cases) {
        const answer = await patch('reset-policy', payload)
        assertProblem(answer, 400, 'request.invalid')
        const pointers = (answer.body.errors as Array<{ pointer: string }>).map((error) => error.pointer)
        assert.ok(pointers.includes(pointer), `${JSON.stringify(payload)}: ${pointers.join(', ')}`)
      }
      assertProblem(await patch('reset-policy', ['mode']), 400, 'request.invalid')
      assert.deepEqual(await storedSettings(), stored)
      assert.deepEqual(await policyEvents(), events)
    })

    it('uses the tenant mode and lifetime when a reset is forced without a mode', async () => {
      const userId = await createUser('rowan', 'birch-lantern-4471')
      clock.advance(60_000)
      const forced = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${userId}/force-password-reset`,
        auth: h.adminAuth,
      })
      assert.equal(forced.status, 200, JSON.stringify(forced.body))
      assert.equal(forced.body.mode, 'offline-otp')
      assert.equal(forced.body.messageId, null)
      assert.equal(Date.parse(forced.body.expiresAt), clock.now() + 30 * 60_000)
      // The other tenant kept the configuration's mode.
      const otherId = await createUser('rowan', 'birch-lantern-4471', OTHER)
      const elsewhere = await call(h.app, {
        method: 'POST',
        url: `/t/${OTHER}/api/admin/users/${otherId}/force-password-reset`,
        auth: OTHER_ADMIN,
      })
      assert.equal(elsewhere.status, 200, JSON.stringify(elsewhere.body))
      assert.equal(elsewhere.body.mode, h.config.reset.mode)
    })

    it('refuses password policies that are wrong as a whole with policy.invalid, storing nothing', async () => {
      const stored = await storedSettings()
      const events = await policyEvents()
      const cases: Array<[object, string]> = [
        [{ minLength: 20, maxLength: 10 }, '/minLength'],
        [{ pattern: '(a+)+$', patternDescription: 'repeated a' }, '/pattern'],
        [{ pattern: '[0-9', patternDescription: 'a digit' }, '/pattern'],
        [{ pattern: '[0-9]' }, '/patternDescription'],
      ]
      for (const [payload, pointer] of cases) {
        const answer = await patch('password-policy', payload)
        assertProblem(answer, 400, 'policy.invalid')
        const pointers = (answer.body.errors as Array<{ pointer: string }>).map((error) => error.pointer)
        assert.ok(pointers.includes(pointer), `${JSON.stringify(payload)}: ${pointers.join(', ')}`)
      }
      const shapes: Array<[object, string]> = [
        [{ historyCount: 'three' }, '/body/historyCount'],
        [{ historyCount: 25 }, '/body/historyCount'],
        [{ minLength: 0 }, '/body/minLength'],
        [{ forbidUserName: 1 }, '/body/forbidUserName'],
        [{ pattern: 'x'.repeat(201), patternDescription: 'x' }, '/body/pattern'],
        [{ strength: 'high' }, '/body/strength'],
      ]
      for (const [payload, pointer] of shapes) {
        const answer = await patch('password-policy', payload)
        assertProblem(answer, 400, 'request.invalid')
        const pointers = (answer.body.errors as Array<{ pointer: string }>).map((error) => error.pointer)
        assert.ok(pointers.includes(pointer), `${JSON.stringify(payload)}: ${pointers.join(', ')}`)
      }
      assert.deepEqual(await storedSettings(), stored)
      assert.deepEqual(await policyEvents(), events)
      assert.deepEqual((await read('password-policy')).overrides, {})
    })

    it("enforces the tenant's password policy when an administrator sets a password", async () => {
      const changed = await patch('password-policy', {
        minLength: 14,
        pattern: '[0-9]',
        patternDescription: 'at least one digit',
        historyCount: 3,
      })
      assert.equal(changed.status, 200, JSON.stringify(changed.body))
      assert.deepEqual(changed.body.overrides, {
        minLength: 14,
        pattern: '[0-9]',
        patternDescription: 'at least one digit',
        historyCount: 3,
      })
      const [event] = await policyEvents()
      assert.equal(event!.target, 'password-policy')

      const first = 'violet-harbor-lamp-1'
      const userId = await createUser('juniper', first)
      const short = await setPassword(userId, 'tiny-pass-12')
      assertProblem(short, 400, 'password.weak')
      assert.deepEqual(rulesOf(short), ['min-length'])
      const noDigit = await setPassword(userId, 'violet-harbor-lamp-none')
      assertProblem(noDigit, 400, 'password.weak')
      assert.deepEqual(rulesOf(noDigit), ['pattern'])
      assert.match(noDigit.body.errors[0].message, /at least one digit/)
      assert.ok(
        !JSON.stringify(noDigit.body).includes('violet-harbor-lamp-none'),
        'the password is not echoed',
      )

      // The current password and the two before it may not come back; the fourth may.
      const second = 'copper-meadow-kite-2'
      const third = 'silver-thicket-owl-3'
      assert.equal((await setPassword(userId, second)).status, 204)
      assert.equal((await setPassword(userId, third)).status, 204)
      for (const reused of [first, second, third]) {
        const answer = await setPassword(userId, reused)
        assertProblem(answer, 400, 'password.weak')
        assert.deepEqual(rulesOf(answer), ['history'])
      }
      assert.equal((await setPassword(userId, 'amber-canyon-fox-4')).status, 204)
      assert.equal((await setPassword(userId, first)).status, 204, 'four changes ago is allowed again')

      // The other tenant still has the shipped policy: a 13-character password without a digit is fine there.
      const otherId = await createUser('juniper', 'lantern-quietly', OTHER)
      assert.equal((await setPassword(otherId, 'harbor-meadowy', OTHER)).status, 204)
    })

    it('refuses common passwords and the user name under the shipped defaults', async () => {
      const otherId = await createUser('marigold', 'quartz-willow-5512', OTHER)
      const common = await setPassword(otherId, 'password123', OTHER)
      assertProblem(common, 400, 'password.weak')
      assert.deepEqual(rulesOf(common), ['common-password'])
      const named = await setPassword(otherId, 'Marigold-garden-77', OTHER)
      assertProblem(named, 400, 'password.weak')
      assert.deepEqual(rulesOf(named), ['user-name'])
      const reversed = await setPassword(otherId, 'dlogiram-garden-77', OTHER)
      assert.deepEqual(rulesOf(reversed), ['user-name'])
    })

    it('returns the password policy to the configuration with null', async () => {
      const answer = await patch('password-policy', {
        minLength: null,
        pattern: null,
        patternDescription: null,
        historyCount: null,
      })
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      assert.deepEqual(answer.body.overrides, {})
      assert.equal(answer.body.effective.minLength, h.config.passwords.min_length)
      assert.equal(answer.body.effective.pattern, null)
      assert.equal(
        (await storedSettings()).filter((row) => row.name === 'password-policy').length,
        0,
        'an empty override is removed, not stored',
      )
    })
  })
}
