import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { defaultSecurityQuestions } from '../../src/flows/security-questions/default-questions.ts'
import { staffRole } from '../support/fresh-user.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { assertProblem, bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const OTHER = 'other.example'
const PASSWORD = 'alex-password-1'
const OTHER_ADMIN_PASSWORD = 'other-admin-password-1'
const PET = 'Mister Whiskers'
const CITY = 'New York'

for (const kind of storeKinds) {
  describe(`${kind.kind}: a signed-in user's own security answers`, { skip: kind.skip }, () => {
    let h: Harness
    let session: string
    let otherSession: string
    let userId: string

    const questions = (auth?: string, headers: Record<string, string> = {}, prefix = '') =>
      call(h.app, {
        method: 'GET',
        url: `${prefix}/api/auth/account/security-questions`,
        ...(auth ? { auth } : {}),
        headers,
      })
    /** `auth` null: no Authorization header (the cookie in `headers`, or nothing). */
    const save = (payload: unknown, auth: string | null = bearer(session), headers = {}, prefix = '') =>
      call(h.app, {
        method: 'PUT',
        url: `${prefix}/api/auth/account/security-answers`,
        ...(auth ? { auth } : {}),
        headers,
        payload: payload as object,
      })
    const storedRows = () => h.container.store.db.selectFrom('security_answers').selectAll().execute()

    before(async () => {
      h = await openHarness(kind)
      await staffRole(h)
      const user = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: h.adminAuth,
        payload: { username: 'alex', password: PASSWORD, roles: ['staff'] },
      })
      userId = user.body.id
      const login = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'alex', password: PASSWORD },
      })
      assert.equal(login.status, 200)
      session = login.body.token
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: OTHER, adminPassword: OTHER_ADMIN_PASSWORD },
      })
      const other = await call(h.app, {
        method: 'POST',
        url: `/t/${OTHER}/api/auth/login`,
        payload: { username: 'admin', password: OTHER_ADMIN_PASSWORD },
      })
      assert.equal(other.status, 200)
      otherSession = other.body.token
    })
    after(async () => h?.close())

    it('needs a live session of the tenant', async () => {
      assertProblem(await questions(), 401, 'auth.required')
      assertProblem(await questions(bearer('rks_nope')), 401, 'auth.required')
      assertProblem(await questions(bearer(otherSession)), 401, 'auth.required')
      assertProblem(await questions(bearer(session), {}, `/t/${OTHER}`), 401, 'auth.required')
      const anonymous = await call(h.app, {
        method: 'PUT',
        url: '/api/auth/account/security-answers',
        payload: { currentPassword: PASSWORD, answers: [] },
      })
      assertProblem(anonymous, 401, 'auth.required')
    })

    it("lists the tenant's questions in the caller's language, none answered yet", async () => {
      const english = await questions(bearer(session))
      assert.equal(english.status, 200)
      assert.equal(english.body.answersRequired, h.config.selfservice.kba_answers_required)
      assert.deepEqual(
        english.body.questions,
        defaultSecurityQuestions.map((question) => ({
          id: question.id,
          text: question.text.en,
          answered: false,
        })),
      )
      const french = await questions(bearer(session), { 'accept-language': 'de;q=0.9, fr-CA, en;q=0.5' })
      assert.equal(french.body.questions[0].text, defaultSecurityQuestions[0]!.text.fr)
      const unknown = await questions(bearer(session), { 'accept-language': 'ja, *;q=0.1' })
      assert.equal(unknown.body.questions[0].text, defaultSecurityQuestions[0]!.text.en)
    })

    it('saves answers (204), then shows them as answered; they verify ignoring case and spaces', async () => {
      const saved = await save({
        currentPassword: PASSWORD,
        answers: [
          { questionId: 'first-pet', answer: PET },
          { questionId: 'birth-city', answer: CITY },
        ],
      })
      assert.equal(saved.status, 204)
      const listed = await questions(bearer(session))
      assert.deepEqual(
        listed.body.questions
          .filter((question: { answered: boolean }) => question.answered)
          .map((question: { id: string }) => question.id),
        ['first-pet', 'birth-city'],
      )
      assert.ok(!JSON.stringify(listed.body).includes(PET))
      assert.equal(
        await h.container.securityQuestions.verifyAnswers(h.defaultTenant.id, userId, [
          { questionId: 'birth-city', answer: 'newyork' },
        ]),
        true,
      )
      const [event] = await h.container.audit.list(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        limit: 1,
        action: 'security-answers.updated',
      })
      assert.equal(event?.actor, 'user:alex')
      assert.deepEqual(event?.detail, { questions: ['first-pet', 'birth-city'] })
    })

    it('asks for the current password before anything else: wrong, empty or missing changes nothing', async () => {
      const before = await storedRows()
      assert.equal(before.length, 2, 'the answers saved above')
      const updates = () =>
        h.container.audit.list(h.container.store.db, {
          tenantId: h.defaultTenant.id,
          limit: 100,
          action: 'security-answers.updated',
        })
      const eventsBefore = (await updates()).length
      const replacement = [
        { questionId: 'first-car', answer: 'Volvo' },
        { questionId: 'first-job', answer: 'Paper round' },
      ]
      for (const currentPassword of [
        'wrong-password-1',
        '',
        PASSWORD.toUpperCase(),
        `${PASSWORD} `,
        OTHER_ADMIN_PASSWORD,
      ]) {
        const refused = await save({ currentPassword, answers: replacement })
        assertProblem(refused, 400, 'password.current-incorrect')
        assert.deepEqual(refused.body.errors, [{ pointer: '/currentPassword', message: 'is not correct' }])
        assert.ok(!JSON.stringify(refused.body).includes('Volvo'), 'no answer echoed')
      }
      // Checked first: bad answers with a wrong password are refused for the password alone.
      const both = await save({
        currentPassword: 'wrong-password-1',
        answers: [{ questionId: 'nope', answer: '' }],
      })
      assertProblem(both, 400, 'password.current-incorrect')
      for (const payload of [
        { answers: replacement },
        { currentPassword: null, answers: replacement },
        { currentPassword: 5, answers: replacement },
        { currentPassword: 'x'.repeat(4097), answers: replacement },
      ])
        assertProblem(await save(payload), 400, 'request.invalid')
      assert.deepEqual(await storedRows(), before, 'the earlier answers and their hashes are kept')
      assert.equal((await updates()).length, eventsBefore, 'nothing audited as changed')
      assert.equal(
        await h.container.securityQuestions.verifyAnswers(h.defaultTenant.id, userId, [
          { questionId: 'first-pet', answer: PET },
        ]),
        true,
      )
      const saved = await save({ currentPassword: PASSWORD, answers: replacement })
      assert.equal(saved.status, 204)
      assert.deepEqual(
        (await storedRows()).map((row) => row.question_id).sort(),
        ['first-car', 'first-job'],
        'the right password saves',
      )
      assert.equal((await updates()).length, eventsBefore + 1)
    })

    it('refuses bad answers with 400 problem+json naming each, storing nothing', async () => {
      const before = await storedRows()
      const refused = await save({
        currentPassword: PASSWORD,
        answers: [
          { questionId: 'first-pet', answer: '   ' },
          { questionId: 'first-pet', answer: PET },
          { questionId: 'no-such-question', answer: CITY },
        ],
      })
      assertProblem(refused, 400, 'security-answers.invalid')
      assert.deepEqual(
        refused.body.errors.map((error: { pointer: string; rule: string }) => [error.pointer, error.rule]),
        [
          ['/answers/0/answer', 'empty'],
          ['/answers/1/questionId', 'repeated-question'],
          ['/answers/2/questionId', 'unknown-question'],
          ['/answers', 'too-few'],
        ],
      )
      assert.ok(!JSON.stringify(refused.body).includes(PET) && !JSON.stringify(refused.body).includes(CITY))
      assertProblem(
        await save({
          currentPassword: PASSWORD,
          answers: [
            { questionId: 'first-pet', answer: 'x'.repeat(201) },
            { questionId: 'birth-city', answer: 'y' },
          ],
        }),
        400,
        'security-answers.invalid',
      )
      for (const payload of [
        {},
        { currentPassword: PASSWORD },
        { currentPassword: PASSWORD, answers: 'first-pet' },
        { currentPassword: PASSWORD, answers: [{ questionId: 'first-pet' }] },
        { currentPassword: PASSWORD, answers: [{ questionId: 'first-pet', answer: 5 }] },
        { currentPassword: PASSWORD, answers: [{ questionId: 'first-pet', answer: 'x', extra: 1 }] },
        { currentPassword: PASSWORD, answers: [], more: true },
        {
          currentPassword: PASSWORD,
          answers: Array.from({ length: 51 }, () => ({ questionId: 'first-pet', answer: 'x' })),
        },
      ])
        assertProblem(await save(payload), 400, 'request.invalid')
      assert.deepEqual(await storedRows(), before)
    })

    it('takes the session cookie for reads, and for writes only as JSON', async () => {
      const cookie = { cookie: `rekey_session=${session}` }
      assert.equal((await questions(undefined, cookie)).status, 200)
      const before = await storedRows()
      const form = await call(h.app, {
        method: 'PUT',
        url: '/api/auth/account/security-answers',
        headers: { ...cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'answers=x',
      })
      assertProblem(form, 415, 'request.unsupported-media-type')
      const text = await call(h.app, {
        method: 'PUT',
        url: '/api/auth/account/security-answers',
        headers: { ...cookie, 'content-type': 'text/plain' },
        payload: JSON.stringify({ currentPassword: PASSWORD, answers: [] }),
      })
      assertProblem(text, 415, 'request.unsupported-media-type')
      assert.deepEqual(await storedRows(), before)
      const json = await save(
        {
          currentPassword: PASSWORD,
          answers: [
            { questionId: 'first-car', answer: 'Volvo' },
            { questionId: 'first-job', answer: 'Paper round' },
          ],
        },
        null,
        cookie,
      )
      assert.equal(json.status, 204)
      assert.deepEqual(
        (await storedRows()).map((row) => row.question_id).sort(),
        ['first-car', 'first-job'],
        'all earlier answers replaced',
      )
    })

    it('works per tenant under /t/{tenant}/api/auth', async () => {
      const listed = await questions(bearer(otherSession), {}, `/t/${OTHER}`)
      assert.equal(listed.status, 200)
      const saved = await save(
        {
          currentPassword: OTHER_ADMIN_PASSWORD,
          answers: [
            { questionId: 'first-pet', answer: 'Rex' },
            { questionId: 'first-school', answer: 'Elm Street' },
          ],
        },
        bearer(otherSession),
        {},
        `/t/${OTHER}`,
      )
      assert.equal(saved.status, 204)
      const rows = await h.container.store.db
        .selectFrom('security_answers')
        .innerJoin('tenants', 'tenants.id', 'security_answers.tenant_id')
        .select(['tenants.domain', 'security_answers.question_id'])
        .where('tenants.domain', '=', OTHER)
        .execute()
      assert.deepEqual(rows.map((row) => row.question_id).sort(), ['first-pet', 'first-school'])
      assertProblem(
        await save({ currentPassword: OTHER_ADMIN_PASSWORD, answers: [] }, bearer(otherSession)),
        401,
        'auth.required',
      )
    })
  })
}
