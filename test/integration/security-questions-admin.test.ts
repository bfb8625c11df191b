import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { defaultSecurityQuestions } from '../../src/flows/security-questions/default-questions.ts'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { assertProblem, call } from '../support/http.ts'
import { snapshotNotifications } from '../support/notifications.ts'
import { snapshotStore } from '../support/store-snapshot.ts'
import { storeKinds } from '../support/stores.ts'

const OTHER = 'other.example'
const OTHER_ADMIN = basicAuth('admin', 'other-admin-password-1')
const PET = 'Mister Whiskers'
const CITY = 'New York'

const ownList = [
  { id: 'first-pet', text: { en: 'Your first pet?', fr: 'Votre premier animal ?' } },
  { id: 'favourite-band', text: { en: 'Your favourite band?' } },
  { id: 'first-concert', text: { en: 'Your first concert?', 'pt-BR': 'Seu primeiro show?' } },
]

for (const kind of storeKinds) {
  describe(`${kind.kind}: security questions through the admin API`, { skip: kind.skip }, () => {
    let h: Harness
    let alexId: string
    const base = (tenant?: string) => (tenant ? `/t/${tenant}/api/admin` : '/api/admin')
    const authOf = (tenant?: string) => (tenant ? OTHER_ADMIN : h.adminAuth)
    const admin = (method: 'GET' | 'PUT' | 'DELETE', path: string, payload?: unknown, tenant?: string) =>
      call(h.app, {
        method,
        url: `${base(tenant)}${path}`,
        auth: authOf(tenant),
        ...(payload !== undefined ? { payload: payload as object } : {}),
      })
    /** Every row a refused call must leave alone: users, settings, answers, and the audit log. */
    const snapshot = async () => ({
      ...(await snapshotStore(h.container.store.db)),
      ...(await snapshotNotifications(h.container.store.db)),
      answers: await h.container.store.db.selectFrom('security_answers').selectAll().execute(),
      audit: (await h.container.store.db.selectFrom('audit_events').select('id').execute()).length,
    })

    before(async () => {
      h = await openHarness(kind)
      const tenant = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: OTHER, adminPassword: 'other-admin-password-1' },
      })
      assert.equal(tenant.status, 201, JSON.stringify(tenant.body))
      const alex = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: h.adminAuth,
        payload: { username: 'alex', password: 'alex-password-1' },
      })
      assert.equal(alex.status, 201)
      alexId = alex.body.id
    })
    after(async () => h?.close())

    it('shows the built-in list and the configuration until the tenant sets its own', async () => {
      const answer = await admin('GET', '/security-questions')
      assert.equal(answer.status, 200)
      assert.deepEqual(answer.body, {
        questions: defaultSecurityQuestions,
        isDefault: true,
        answersRequired: h.config.selfservice.kba_answers_required,
        questionsAsked: h.config.selfservice.kba_questions_asked,
      })
      assert.deepEqual((await admin('GET', '/security-questions', undefined, OTHER)).body, answer.body)
    })

    it('replaces the list, canonically, audited, in its tenant only', async () => {
      const put = await admin('PUT', '/security-questions', {
        questions: [
          ...ownList.slice(0, 2),
          { id: 'first-concert', text: { EN: ' Your first concert? ', pt_br: 'Seu primeiro show?' } },
        ],
      })
      assert.equal(put.status, 200, JSON.stringify(put.body))
      assert.deepEqual(put.body.questions, ownList)
      assert.equal(put.body.isDefault, false)
      assert.deepEqual((await admin('GET', '/security-questions')).body, put.body)
      assert.equal((await admin('GET', '/security-questions', undefined, OTHER)).body.isDefault, true)
      const events = await admin('GET', '/audit?action=security-questions.updated')
      assert.equal(events.body.events[0].actor, 'user:admin')
      assert.equal(events.body.events[0].target, 'security-questions')
      assert.deepEqual(events.body.events[0].detail, { count: 3 })
    })

    it('refuses a bad list with 400 problem+json naming each problem, and stores nothing', async () => {
      const before = await snapshot()
      const semantic: Array<[unknown, string[]]> = [
        [{ questions: [] }, ['/questions']],
        [{ questions: [{ id: 'only', text: { en: 'Only?' } }] }, ['/questions']],
        [
          {
            questions: [
              { id: 'Bad Id', text: { en: 'A?' } },
              { id: 'dup', text: { en: 'B?' } },
              { id: 'dup', text: { en: 'C?' } },
              { id: 'no-english', text: { fr: 'Français ?' } },
              { id: 'long', text: { en: 'x'.repeat(301) } },
              { id: 'bad-locale', text: { en: 'D?', '../etc': 'E?' } },
            ],
          },
          [
            '/questions/0/id',
            '/questions/2/id',
            '/questions/3/text/en',
            '/questions/4/text/en',
            '/questions/5/text/../etc',
          ],
        ],
        [
          { questions: Array.from({ length: 51 }, (_, index) => ({ id: `q${index}`, text: { en: 'Q?' } })) },
          ['/questions'],
        ],
      ]
      for (const [payload, pointers] of semantic) {
        const answer = await admin('PUT', '/security-questions', payload)
        assertProblem(answer, 400, 'security-questions.invalid')
        assert.deepEqual(
          answer.body.errors.map((error: { pointer: string }) => error.pointer),
          pointers,
          JSON.stringify(answer.body),
        )
      }
      const structural: unknown[] = [
        {},
        { questions: 'first-pet' },
        { questions: [{ id: 'a', text: { en: 5 } }] },
        { questions: [{ id: 'a', text: { en: 'A?' }, extra: true }] },
        { questions: ownList, isDefault: false },
        [],
      ]
      for (const payload of structural)
        assertProblem(await admin('PUT', '/security-questions', payload), 400, 'request.invalid')
      assertProblem(
        await call(h.app, {
          method: 'PUT',
          url: '/api/admin/security-questions',
          auth: h.adminAuth,
          headers: { 'content-type': 'application/json' },
          payload: '{"questions": [',
        }),
        400,
        'request.malformed-json',
      )
      assert.deepEqual(await snapshot(), before)
    })

    it("shows which questions a user answered, by id or name, never the answers; 404 for others' users", async () => {
      const empty = await admin('GET', `/users/${alexId}/security-answers`)
      assert.deepEqual(empty.body, { answered: [], count: 0 })
      await h.container.securityQuestions.setAnswers(
        h.defaultTenant,
        alexId,
        [
          { questionId: 'first-pet', answer: PET },
          { questionId: 'first-concert', answer: CITY },
        ],
        { kind: 'user', id: alexId, name: 'alex' },
      )
      for (const reference of [alexId, 'alex', 'ALEX']) {
        const answer = await admin('GET', `/users/${reference}/security-answers`)
        assert.equal(answer.status, 200)
        assert.deepEqual(answer.body, { answered: ['first-pet', 'first-concert'], count: 2 })
      }
      const hashes = await h.container.store.db.selectFrom('security_answers').select('answer_hash').execute()
      const everything = JSON.stringify([
        (await admin('GET', `/users/${alexId}/security-answers`)).body,
        (await admin('GET', `/users/${alexId}`)).body,
        (await admin('GET', '/audit?limit=1000')).body,
      ])
      for (const secret of [PET, CITY, 'misterwhiskers', ...hashes.map((row) => row.answer_hash)])
        assert.ok(!everything.includes(secret), `an answer shows ${secret}`)
      assertProblem(await admin('GET', '/users/nobody/security-answers'), 404, 'user.not-found')
      assertProblem(
        await admin('GET', `/users/${alexId}/security-answers`, undefined, OTHER),
        404,
        'user.not-found',
      )
      assertProblem(
        await admin('DELETE', `/users/${alexId}/security-answers`, undefined, OTHER),
        404,
        'user.not-found',
      )
      assert.equal((await admin('GET', `/users/${alexId}/security-answers`)).body.count, 2)
    })

    it('returns to the built-in list: answers to questions it lacks stop counting, the others count again', async () => {
      const reset = await admin('DELETE', '/security-questions')
      assert.equal(reset.status, 200)
      assert.deepEqual(reset.body.questions, defaultSecurityQuestions)
      assert.equal(reset.body.isDefault, true)
      // first-concert is not in the built-in list; first-pet is.
      assert.deepEqual((await admin('GET', `/users/${alexId}/security-answers`)).body, {
        answered: ['first-pet'],
        count: 1,
      })
      const events = await admin('GET', '/audit?action=security-questions.updated')
      assert.deepEqual(events.body.events[0].detail, { count: defaultSecurityQuestions.length })
      const again = await admin('DELETE', '/security-questions')
      assert.equal(again.status, 200)
      assert.equal(
        (await admin('GET', '/audit?action=security-questions.updated')).body.events.length,
        events.body.events.length,
        'nothing to return from: not audited again',
      )
    })

    it("clears a user's answers: 204, audited", async () => {
      const cleared = await admin('DELETE', `/users/alex/security-answers`)
      assert.equal(cleared.status, 204)
      assert.deepEqual((await admin('GET', `/users/${alexId}/security-answers`)).body, {
        answered: [],
        count: 0,
      })
      const events = await admin('GET', '/audit?action=security-answers.cleared')
      assert.equal(events.body.events[0].target, alexId)
      assert.equal(events.body.events[0].actor, 'user:admin')
      assert.equal((await admin('DELETE', `/users/${alexId}/security-answers`)).status, 204, 'idempotent')
    })

    it('holds each permission to its routes', async () => {
      for (const [role, permissions] of [
        ['readers', ['users:read']],
        ['configurers', ['config:write']],
        ['writers', ['users:write']],
      ] as const) {
        const created = await call(h.app, {
          method: 'POST',
          url: '/api/admin/roles',
          auth: h.adminAuth,
          payload: { name: role, permissions },
        })
        assert.equal(created.status, 201)
        const user = await call(h.app, {
          method: 'POST',
          url: '/api/admin/users',
          auth: h.adminAuth,
          payload: { username: role, password: `${role}-password-1`, roles: [role] },
        })
        assert.equal(user.status, 201)
      }
      const as = (role: string) => basicAuth(role, `${role}-password-1`)
      const attempt = (role: string, method: 'GET' | 'PUT' | 'DELETE', url: string, payload?: object) =>
        call(h.app, { method, url: `/api/admin${url}`, auth: as(role), ...(payload ? { payload } : {}) })
      const before = await snapshot()
      assert.equal((await attempt('readers', 'GET', '/security-questions')).status, 200)
      assert.equal((await attempt('readers', 'GET', '/users/alex/security-answers')).status, 200)
      for (const [role, method, url] of [
        ['readers', 'PUT', '/security-questions'],
        ['readers', 'DELETE', '/security-questions'],
        ['readers', 'DELETE', '/users/alex/security-answers'],
        ['configurers', 'GET', '/security-questions'],
        ['configurers', 'DELETE', '/users/alex/security-answers'],
        ['writers', 'PUT', '/security-questions'],
        ['writers', 'GET', '/users/alex/security-answers'],
      ] as const) {
        const answer = await attempt(role, method, url, method === 'PUT' ? { questions: ownList } : undefined)
        assertProblem(answer, 403, 'auth.forbidden')
      }
      const { audit: _audit, ...state } = before
      const { audit: _after, ...now } = await snapshot()
      assert.deepEqual(now, state)
      assert.equal(
        (await attempt('configurers', 'PUT', '/security-questions', { questions: ownList })).status,
        200,
      )
      assert.equal((await attempt('writers', 'DELETE', '/users/alex/security-answers')).status, 204)
    })

    it('works per tenant under /t/{tenant}/api/admin', async () => {
      const put = await admin('PUT', '/security-questions', { questions: ownList }, OTHER)
      assert.equal(put.status, 200)
      assert.deepEqual((await admin('GET', '/security-questions', undefined, OTHER)).body.questions, ownList)
      assert.equal((await admin('DELETE', '/security-questions', undefined, OTHER)).body.isDefault, true)
      assertProblem(
        await call(h.app, { method: 'GET', url: `${base(OTHER)}/security-questions`, auth: h.adminAuth }),
        401,
        'auth.failed',
      )
    })
  })
}
