import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { consoleClient } from '../support/console.ts'
import { createAdministrator, createTenant } from '../support/console-fixtures.ts'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import { type PageAnswer, type PageClient, pageText } from '../support/page-client.ts'
import { storeKinds } from '../support/stores.ts'

const OTHER = 'settings-b.example'
const OTHER_PASSWORD = 'Settings-Tenant-Admin-Passphrase-4'
const READER_PASSWORD = 'settings-reader-passphrase-7'

/** The password-reset form as the page shows it with the test configuration's values. */
const RESET_FORM: Record<string, string> = {
  mode: 'email-link',
  otpLength: '8',
  otpCharacters: 'upper-alnum',
  otpLifetimeMinutes: '60',
  linkLifetimeMinutes: '1440',
  maxOtpAttempts: '5',
  revokeSessions: 'true',
  sendConfirmation: 'true',
}

/** The password-policy form with the test configuration's (relaxed) values. */
const POLICY_FORM: Record<string, string> = {
  minLength: '8',
  maxLength: '256',
  pattern: '',
  patternDescription: '',
  historyCount: '0',
  maxAgeDays: '0',
}

/** The self-service form: one select per step, and the attribute checkboxes (repeated names). */
function selfServiceForm(stages: string[], attributes: string[]): string {
  const form = new URLSearchParams()
  for (let step = 1; step <= 5; step++) form.append(`stage-${step}`, stages[step - 1] ?? '')
  for (const attribute of attributes) form.append('queryableAttributes', attribute)
  return form.toString()
}

/** Form fields without the ones set to undefined (an unchecked checkbox sends nothing). */
function fields(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Record<
    string,
    string
  >
}

/** The field's message and `aria-invalid` are both on the page, and the summary links to it. */
function assertFieldError(page: PageAnswer, id: string, text: RegExp) {
  assert.match(page.body, new RegExp(`id="${id}"[^>]*aria-invalid="true"`), `${id} is marked invalid`)
  assert.match(page.body, new RegExp(`<a href="#${id}">`), `the summary links to ${id}`)
  assert.match(pageText(page.body), text)
  assert.match(pageText(page.body), /There is a problem/)
  assert.match(pageText(page.body), /Nothing was changed/)
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: console settings pages`, { skip: kind.skip }, () => {
    let h: Harness
    let admin: PageClient
    const otherAuth = basicAuth('admin', OTHER_PASSWORD)

    const api = async (path: string, auth = h.adminAuth, prefix = '') => {
      const answer = await call(h.app, { method: 'GET', url: `${prefix}/api/admin/${path}`, auth })
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      return answer.body
    }
    /** Posts a raw urlencoded body with the CSRF token of the client's last page. */
    const postRaw = async (client: PageClient, url: string, body: string) => {
      const token = /name="csrf" value="([^"]+)"/.exec(client.lastPage)?.[1] ?? ''
      const cookie = [...client.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
      const response = await h.app.inject({
        method: 'POST',
        url,
        payload: `${body}&csrf=${encodeURIComponent(token)}`,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      })
      assert.ok(response.statusCode < 500, response.body)
      return {
        status: response.statusCode,
        body: response.body,
        headers: response.headers,
        location: response.headers.location as string | undefined,
      }
    }

    before(async () => {
      h = await openHarness(kind)
      await createTenant(h, OTHER, OTHER_PASSWORD)
      admin = await consoleClient(h.app)
    })
    after(async () => h?.close())

    describe('password reset', () => {
      it('shows the current values, marks where each comes from, and shows the prompt read-only', async () => {
        const page = await admin.get('/console/settings/password-reset')
        assert.equal(page.status, 200)
        assert.match(page.body, /<title>Password reset settings · Rekey console<\/title>/)
        assert.match(page.body, /id="mode-email-link" name="mode" value="email-link"[^>]* checked/)
        assert.doesNotMatch(page.body, /id="mode-email-otp"[^>]* checked/)
        assert.match(page.body, /id="otpLength" name="otpLength" type="number" value="8"/)
        assert.match(
          page.body,
          /id="linkLifetimeMinutes" name="linkLifetimeMinutes" type="number" value="1440"/,
        )
        assert.match(page.body, /id="revokeSessions" name="revokeSessions" value="true" checked/)
        assert.doesNotMatch(page.body, /id="loginRevealsPending"[^>]* checked/)
        const text = pageText(page.body)
        assert.match(text, /Follows the server configuration \(reset\.otp_length\)/)
        assert.match(text, /0 of 9 settings are set for this organisation/)
        assert.match(text, /Every password reset setting follows the server configuration/)
        // The prompt is the server's: shown with its key and variable, with no field to change it.
        assert.match(text, /Reset-password prompt at sign-in/)
        assert.match(page.body, /data-field="prompt-reset_prompt.enabled">off</)
        assert.match(text, /REKEY_RESET_PROMPT_ENABLED/)
        assert.doesNotMatch(page.body, /name="reset_prompt/)
        // The sub-navigation names every settings page, this one current.
        for (const label of ['Password reset', 'Password policy', 'Self-service', 'Security questions'])
          assert.ok(text.includes(label), label)
        assert.match(page.body, /href="\/console\/settings\/password-reset" aria-current="page"/)
      })

      it('saves the changed values as the tenant’s own, audited, and restores the server defaults', async () => {
        // Sent twice: the second time it holds the values already in force.
        const changed = fields({
          ...RESET_FORM,
          mode: 'email-otp',
          otpLength: '10',
          otpCharacters: 'digits',
          maxOtpAttempts: '3',
          revokeSessions: undefined,
          loginRevealsPending: 'true',
        })
        await admin.get('/console/settings/password-reset')
        const saved = await admin.post('/console/settings/password-reset', changed)
        assert.equal(saved.status, 303, saved.body)
        assert.equal(saved.location, '/console/settings/password-reset?done=settings-reset-saved')
        const policy = await api('reset-policy')
        assert.equal(policy.effective.mode, 'email-otp')
        assert.equal(policy.effective.otpLength, 10)
        assert.equal(policy.effective.otpCharacters, 'digits')
        assert.equal(policy.effective.maxOtpAttempts, 3)
        assert.equal(policy.effective.revokeSessions, false)
        assert.equal(policy.effective.loginRevealsPending, true)
        // Only what changed is the tenant's own; the rest still follows the server.
        assert.deepEqual(Object.keys(policy.overrides).sort(), [
          'loginRevealsPending',
          'maxOtpAttempts',
          'mode',
          'otpCharacters',
          'otpLength',
          'revokeSessions',
        ])
        const events = await api('audit?action=tenant.policy-updated&limit=5')
        const [latest] = events.events
        assert.match(latest.actor, /admin/)
        assert.equal(latest.target, 'reset-policy')
        assert.deepEqual([...latest.detail.changed].sort(), Object.keys(policy.overrides).sort())

        const page = await admin.follow(saved)
        const text = pageText(page.body)
        assert.match(text, /The password reset settings were saved/)
        assert.match(page.body, /id="mode-email-otp"[^>]* checked/)
        assert.match(
          text,
          /Set for this organisation\. The server configuration \(reset\.otp_length\) says 8\./,
        )
        assert.match(text, /6 of 9 settings are set for this organisation/)

        const unchanged = await admin.post('/console/settings/password-reset', changed)
        assert.equal(unchanged.location, '/console/settings/password-reset?done=settings-unchanged')

        const restored = await admin.post('/console/settings/password-reset/defaults', {})
        assert.equal(restored.location, '/console/settings/password-reset?done=settings-reset-defaults')
        const back = await api('reset-policy')
        assert.deepEqual(back.overrides, {})
        assert.equal(back.effective.mode, 'email-link')
      })

      it('chooses each reset method through its radio button', async () => {
        for (const mode of ['offline-otp', 'email-otp', 'email-link']) {
          await admin.get('/console/settings/password-reset')
          const saved = await admin.post('/console/settings/password-reset', { ...RESET_FORM, mode })
          assert.equal(saved.status, 303, saved.body)
          assert.equal((await api('reset-policy')).effective.mode, mode)
        }
      })

      it('refuses bad values by the field with a 400 page, and changes nothing', async () => {
        await admin.get('/console/settings/password-reset')
        const before = await api('reset-policy')
        const cases: Array<{ change: Record<string, string>; id: string; text: RegExp }> = [
          {
            change: { otpLength: 'twelve' },
            id: 'otpLength',
            text: /One-time password length: must be a whole number from 6 to 32/,
          },
          {
            change: { linkLifetimeMinutes: '1' },
            id: 'linkLifetimeMinutes',
            text: /Reset link lifetime \(minutes\): must be a whole number from 5 to 43200/,
          },
          {
            change: { otpLifetimeMinutes: '2.5' },
            id: 'otpLifetimeMinutes',
            text: /must be a whole number from 1 to 10080/,
          },
          {
            change: { mode: 'sms-otp' },
            id: 'mode-email-link',
            text: /Reset method: must be one of email-link, email-otp, offline-otp/,
          },
          {
            change: { otpCharacters: 'emoji' },
            id: 'otpCharacters',
            text: /must be one of digits, upper-alnum, alnum/,
          },
        ]
        for (const { change, id, text } of cases) {
          const refused = await admin.post('/console/settings/password-reset', {
            ...RESET_FORM,
            maxOtpAttempts: '7',
            ...change,
          })
          assert.equal(refused.status, 400, JSON.stringify(change))
          assertFieldError(refused, id, text)
          assert.deepEqual(await api('reset-policy'), before, `nothing changed for ${JSON.stringify(change)}`)
        }
        // What was typed comes back, so the administrator can correct it.
        const typed = await admin.post('/console/settings/password-reset', {
          ...RESET_FORM,
          otpLength: 'twelve',
        })
        assert.match(typed.body, /id="otpLength" name="otpLength" type="number" value="twelve"/)
      })

      it('refuses a form without its CSRF token and changes nothing', async () => {
        await admin.get('/console/settings/password-reset')
        const refused = await admin.post(
          '/console/settings/password-reset',
          { ...RESET_FORM, mode: 'offline-otp' },
          { csrf: false },
        )
        assert.equal(refused.status, 403)
        assert.match(pageText(refused.body), /This form has expired/)
        assert.equal((await api('reset-policy')).effective.mode, 'email-link')
        const defaults = await admin.post(
          '/console/settings/password-policy/defaults',
          {},
          { csrf: 'forged' },
        )
        assert.equal(defaults.status, 403)
      })
    })

    describe('password policy', () => {
      it('shows the current rules and saves changes the admin API then reports', async () => {
        const page = await admin.get('/console/settings/password-policy')
        assert.equal(page.status, 200)
        assert.match(page.body, /id="minLength" name="minLength" type="number" value="8"/)
        assert.match(page.body, /id="historyCount" name="historyCount" type="number" value="0"/)
        assert.doesNotMatch(page.body, /id="forbidUserName"[^>]* checked/)
        assert.match(pageText(page.body), /Follows the server configuration \(passwords\.min_length\)/)

        const saved = await admin.post('/console/settings/password-policy', {
          ...POLICY_FORM,
          minLength: '12',
          pattern: '\\d',
          patternDescription: 'at least one digit',
          historyCount: '3',
          checkCommonPasswords: 'true',
          maxAgeDays: '90',
        })
        assert.equal(saved.status, 303, saved.body)
        assert.equal(saved.location, '/console/settings/password-policy?done=settings-policy-saved')
        const policy = await api('password-policy')
        assert.equal(policy.effective.minLength, 12)
        assert.equal(policy.effective.pattern, '\\d')
        assert.equal(policy.effective.patternDescription, 'at least one digit')
        assert.equal(policy.effective.historyCount, 3)
        assert.equal(policy.effective.checkCommonPasswords, true)
        assert.equal(policy.effective.forbidUserName, false)
        assert.equal(policy.effective.maxAgeDays, 90)
        assert.equal(Object.hasOwn(policy.overrides, 'maxLength'), false)
        const shown = await admin.follow(saved)
        assert.match(shown.body, /id="pattern" name="pattern" type="text" value="\\d"/)
        assert.match(pageText(shown.body), /The password policy was saved/)

        const restored = await admin.post('/console/settings/password-policy/defaults', {})
        assert.equal(restored.location, '/console/settings/password-policy?done=settings-policy-defaults')
        assert.deepEqual((await api('password-policy')).overrides, {})
      })

      it('refuses a bad pattern, a bad range and a non-number with a 400 page, and changes nothing', async () => {
        await admin.get('/console/settings/password-policy')
        const before = await api('password-policy')
        const cases: Array<{ change: Record<string, string>; id: string; text: RegExp }> = [
          {
            change: { pattern: '([a-z', patternDescription: 'letters' },
            id: 'pattern',
            text: /Pattern: is not a valid regular expression/,
          },
          {
            change: { pattern: '(a+)+$', patternDescription: 'a' },
            id: 'pattern',
            text: /Pattern: /,
          },
          {
            change: { pattern: '\\d' },
            id: 'patternDescription',
            text: /What the pattern asks for: is required with a pattern/,
          },
          {
            change: { minLength: '40', maxLength: '20' },
            id: 'minLength',
            text: /Minimum length: must not be greater than the maximum length/,
          },
          {
            change: { historyCount: 'many' },
            id: 'historyCount',
            text: /must be a whole number from 0 to 24/,
          },
          { change: { maxAgeDays: '-1' }, id: 'maxAgeDays', text: /must be a whole number from 0 to 3650/ },
        ]
        for (const { change, id, text } of cases) {
          const refused = await admin.post('/console/settings/password-policy', { ...POLICY_FORM, ...change })
          assert.equal(refused.status, 400, JSON.stringify(change))
          assertFieldError(refused, id, text)
          assert.deepEqual(
            await api('password-policy'),
            before,
            `nothing changed for ${JSON.stringify(change)}`,
          )
        }
      })
    })

    describe('self-service', () => {
      it('shows the pipeline and attributes in force and saves a new pipeline', async () => {
        const page = await admin.get('/console/settings/self-service')
        assert.equal(page.status, 200)
        assert.match(
          page.body,
          /<select class="input" id="stage-1" name="stage-1">[\s\S]*?<option value="userQuery" selected>/,
        )
        assert.match(
          page.body,
          /<select class="input" id="stage-2"[\s\S]*?<option value="emailValidation" selected>/,
        )
        assert.match(
          page.body,
          /<select class="input" id="stage-3"[\s\S]*?<option value="resetStage" selected>/,
        )
        assert.match(page.body, /<select class="input" id="stage-4"[\s\S]*?<option value="" selected>/)
        assert.match(page.body, /id="queryable-userName" name="queryableAttributes" value="userName" checked/)
        assert.doesNotMatch(page.body, /id="queryable-externalId"[^>]* checked/)

        const saved = await postRaw(
          admin,
          '/console/settings/self-service',
          selfServiceForm(
            ['parameters', 'userQuery', 'kbaSecurityAnswerVerificationStage', 'resetStage'],
            ['userName', 'externalId'],
          ),
        )
        assert.equal(saved.status, 303, saved.body)
        assert.equal(saved.location, '/console/settings/self-service?done=settings-selfservice-saved')
        const policy = await api('selfservice-policy')
        assert.deepEqual(policy.effective.stages, [
          'parameters',
          'userQuery',
          'kbaSecurityAnswerVerificationStage',
          'resetStage',
        ])
        assert.deepEqual(policy.effective.queryableAttributes, ['userName', 'externalId'])
        const shown = await admin.follow(saved)
        assert.match(pageText(shown.body), /The self-service reset settings were saved/)
        assert.match(
          shown.body,
          /id="queryable-externalId" name="queryableAttributes" value="externalId" checked/,
        )

        // Gaps between steps close up; no stage at all turns self-service reset off.
        const off = await postRaw(admin, '/console/settings/self-service', selfServiceForm([], ['userName']))
        assert.equal(off.status, 303)
        assert.deepEqual((await api('selfservice-policy')).effective.stages, [])
        assert.match(pageText((await admin.follow(off)).body), /Self-service reset is off/)

        const restored = await admin.post('/console/settings/self-service/defaults', {})
        assert.equal(restored.location, '/console/settings/self-service?done=settings-selfservice-defaults')
        assert.deepEqual((await api('selfservice-policy')).overrides, {})
      })

      it('refuses an unsafe pipeline and an empty attribute list as the page’s error, changing nothing', async () => {
        await admin.get('/console/settings/self-service')
        const before = await api('selfservice-policy')
        const unsafe = await postRaw(
          admin,
          '/console/settings/self-service',
          selfServiceForm(['userQuery', 'resetStage'], ['userName']),
        )
        assert.equal(unsafe.status, 400)
        assertFieldError(
          unsafe,
          'stage-1',
          /Stage pipeline: a verification stage \(emailValidation or kbaSecurityAnswerVerificationStage\) must come before resetStage/,
        )
        assert.match(
          pageText(unsafe.body),
          /The self-service stage pipeline is not valid\. Nothing was changed\./,
        )
        // The form shows what was chosen, for correction.
        assert.match(
          unsafe.body,
          /<select class="input" id="stage-2"[\s\S]*?<option value="resetStage" selected>/,
        )

        const repeated = await postRaw(
          admin,
          '/console/settings/self-service',
          selfServiceForm(['userQuery', 'emailValidation', 'emailValidation', 'resetStage'], ['userName']),
        )
        assert.equal(repeated.status, 400)
        assert.match(pageText(repeated.body), /stage emailValidation appears more than once/)

        const noAttributes = await postRaw(
          admin,
          '/console/settings/self-service',
          selfServiceForm(before.effective.stages, []),
        )
        assert.equal(noAttributes.status, 400)
        assertFieldError(
          noAttributes,
          'queryable-userName',
          /Attributes a user may type: at least one attribute must be queryable/,
        )

        const crafted = await postRaw(
          admin,
          '/console/settings/self-service',
          selfServiceForm(['userQuery', 'sudoStage', 'resetStage'], ['password']),
        )
        assert.equal(crafted.status, 400)
        assert.match(pageText(crafted.body), /unknown stage sudoStage/)
        assert.match(pageText(crafted.body), /unknown attribute password/)
        assert.deepEqual(await api('selfservice-policy'), before)
      })
    })

    describe('security questions', () => {
      it('lists the built-in questions, adds, edits and removes one, and returns to the built-in list', async () => {
        const page = await admin.get('/console/settings/security-questions')
        assert.equal(page.status, 200)
        const text = pageText(page.body)
        assert.match(text, /Built-in list/)
        assert.match(text, /first-pet/)
        assert.match(text, /What was the name of your first pet\?/)
        assert.match(
          page.body,
          /<span lang="fr">Quel était le nom de votre premier animal de compagnie \?<\/span>/,
        )

        const added = await admin.post('/console/settings/security-questions', {
          id: 'first-concert',
          'text-en': 'Which band did you first see live?',
          'locale-1': 'fr',
          'text-1': 'Quel groupe avez-vous vu en concert en premier ?',
          'locale-2': '',
          'text-2': '',
        })
        assert.equal(added.status, 303, added.body)
        assert.equal(added.location, '/console/settings/security-questions?done=settings-question-added')
        let list = await api('security-questions')
        assert.equal(list.isDefault, false)
        assert.deepEqual(list.questions.at(-1), {
          id: 'first-concert',
          text: {
            en: 'Which band did you first see live?',
            fr: 'Quel groupe avez-vous vu en concert en premier ?',
          },
        })
        const events = await api('audit?action=security-questions.updated&limit=1')
        assert.match(events.events[0].actor, /admin/)
        assert.match(pageText((await admin.follow(added)).body), /This organisation's list/)

        const edit = await admin.get('/console/settings/security-questions/first-concert/edit')
        assert.equal(edit.status, 200)
        assert.match(
          edit.body,
          /id="text-en" name="text-en" type="text" value="Which band did you first see live\?"/,
        )
        assert.match(edit.body, /id="locale-1" name="locale-1" type="text" value="fr"/)
        const saved = await admin.post('/console/settings/security-questions/first-concert/edit', {
          'text-en': 'Which band did you see live first?',
          'locale-1': 'fr',
          'text-1': '',
          'locale-2': 'pt-br',
          'text-2': 'Qual banda você viu ao vivo primeiro?',
          'locale-3': '',
          'text-3': '',
        })
        assert.equal(saved.status, 303, saved.body)
        list = await api('security-questions')
        assert.deepEqual(list.questions.at(-1).text, {
          en: 'Which band did you see live first?',
          'pt-BR': 'Qual banda você viu ao vivo primeiro?',
        })

        const removed = await admin.post('/console/settings/security-questions/first-concert/remove', {})
        assert.equal(removed.location, '/console/settings/security-questions?done=settings-question-removed')
        list = await api('security-questions')
        assert.equal(list.questions.length, 10)
        assert.ok(!list.questions.some((question: { id: string }) => question.id === 'first-concert'))

        const missing = await admin.get('/console/settings/security-questions/no-such-question/edit')
        assert.equal(missing.status, 404)
        await admin.get('/console/settings/security-questions')
        const restored = await admin.post('/console/settings/security-questions/defaults', {})
        assert.equal(
          restored.location,
          '/console/settings/security-questions?done=settings-questions-defaults',
        )
        assert.equal((await api('security-questions')).isDefault, true)
      })

      it('refuses a duplicate id, a missing English text and a list too short, changing nothing', async () => {
        await admin.get('/console/settings/security-questions')
        const before = await api('security-questions')
        const duplicate = await admin.post('/console/settings/security-questions', {
          id: 'birth-city',
          'text-en': 'Where were you born, again?',
          'locale-1': '',
          'text-1': '',
        })
        assert.equal(duplicate.status, 400)
        assertFieldError(duplicate, 'question-id', /Id: repeats the id of question 2/)
        assert.match(duplicate.body, /id="question-id" name="id" type="text" value="birth-city"/)

        const noEnglish = await admin.post('/console/settings/security-questions', {
          id: 'new-one',
          'text-en': '',
          'locale-1': 'fr',
          'text-1': 'Une question ?',
        })
        assert.equal(noEnglish.status, 400)
        assertFieldError(
          noEnglish,
          'text-en',
          /English text: is required: every question has an English text/,
        )

        const badTag = await admin.post('/console/settings/security-questions', {
          id: 'new-two',
          'text-en': 'A question?',
          'locale-1': 'not a tag!',
          'text-1': 'Une question ?',
        })
        assert.equal(badTag.status, 400)
        assertFieldError(badTag, 'text-1', /is not a locale tag/)

        const badId = await admin.post('/console/settings/security-questions', {
          id: 'Bad Id',
          'text-en': 'A question?',
        })
        assert.equal(badId.status, 400)
        assertFieldError(badId, 'question-id', /Id: must be 1 to 64 lower-case letters/)
        assert.deepEqual(await api('security-questions'), before)

        // A list as short as the answers users give cannot lose another question.
        const short = await call(h.app, {
          method: 'PUT',
          url: '/api/admin/security-questions',
          auth: h.adminAuth,
          payload: {
            questions: [
              { id: 'one', text: { en: 'One?' } },
              { id: 'two', text: { en: 'Two?' } },
            ],
          },
        })
        assert.equal(short.status, 200, JSON.stringify(short.body))
        await admin.get('/console/settings/security-questions')
        const tooFew = await admin.post('/console/settings/security-questions/one/remove', {})
        assert.equal(tooFew.status, 400)
        assert.match(
          pageText(tooFew.body),
          /The question list: must hold at least 2 questions: users answer 2/,
        )
        assert.equal((await api('security-questions')).questions.length, 2)
        await admin.post('/console/settings/security-questions/defaults', {})
      })
    })

    it('needs config:write: an administrator with users:read only gets 403 pages', async () => {
      await createAdministrator(h, {
        username: 'settings-reader',
        password: READER_PASSWORD,
        role: 'settings-reader',
        permissions: ['users:read'],
      })
      const reader = await consoleClient(h.app, { username: 'settings-reader', password: READER_PASSWORD })
      assert.doesNotMatch(pageText(reader.lastPage), /Password reset settings/)
      for (const path of ['password-reset', 'password-policy', 'self-service', 'security-questions']) {
        const refused = await reader.get(`/console/settings/${path}`)
        assert.equal(refused.status, 403, path)
        assert.match(pageText(refused.body), /This needs the config:write permission/)
      }
      const post = await reader.post('/console/settings/password-reset', {
        ...RESET_FORM,
        mode: 'offline-otp',
      })
      assert.equal(post.status, 403)
      assert.equal((await api('reset-policy')).effective.mode, 'email-link')
    })

    it('keeps each tenant’s settings its own', async () => {
      const other = await consoleClient(h.app, { base: `/t/${OTHER}`, password: OTHER_PASSWORD })
      const otherBefore = {
        reset: await api('reset-policy', otherAuth, `/t/${OTHER}`),
        policy: await api('password-policy', otherAuth, `/t/${OTHER}`),
        questions: await api('security-questions', otherAuth, `/t/${OTHER}`),
      }
      await admin.get('/console/settings/password-reset')
      const changed = await admin.post('/console/settings/password-reset', {
        ...RESET_FORM,
        mode: 'offline-otp',
      })
      assert.equal(changed.status, 303)
      await admin.post('/console/settings/password-policy', { ...POLICY_FORM, minLength: '14' })
      await admin.get('/console/settings/security-questions')
      await admin.post('/console/settings/security-questions/first-pet/remove', {})
      assert.equal((await api('reset-policy')).effective.mode, 'offline-otp')
      assert.deepEqual(await api('reset-policy', otherAuth, `/t/${OTHER}`), otherBefore.reset)
      assert.deepEqual(await api('password-policy', otherAuth, `/t/${OTHER}`), otherBefore.policy)
      assert.deepEqual(await api('security-questions', otherAuth, `/t/${OTHER}`), otherBefore.questions)
      const otherPage = await other.get(`/t/${OTHER}/console/settings/password-reset`)
      assert.match(otherPage.body, /id="mode-email-link"[^>]* checked/)
      assert.match(otherPage.body, /action="\/t\/settings-b\.example\/console\/settings\/password-reset"/)

      // And the other way round: the second tenant's change leaves the first alone.
      const otherSaved = await other.post(`/t/${OTHER}/console/settings/password-reset`, {
        ...RESET_FORM,
        mode: 'email-otp',
      })
      assert.equal(otherSaved.status, 303)
      assert.equal((await api('reset-policy', otherAuth, `/t/${OTHER}`)).effective.mode, 'email-otp')
      assert.equal((await api('reset-policy')).effective.mode, 'offline-otp')
      await admin.get('/console/settings/password-reset')
      await admin.post('/console/settings/password-reset/defaults', {})
      await admin.post('/console/settings/password-policy/defaults', {})
      await admin.get('/console/settings/security-questions')
      await admin.post('/console/settings/security-questions/defaults', {})
    })
  })
}
