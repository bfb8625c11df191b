import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import { createStaffUser } from '../support/page-client.ts'
import {
  CURL_HEADERS,
  expectError,
  expectStage,
  mailedCode,
  OPENIDM_RESET,
  queuedMail,
  setPipeline,
  submit,
} from '../support/selfservice.ts'
import { storeKinds } from '../support/stores.ts'

const KBA = 'kbaSecurityAnswerVerificationStage'

/** Filters a caller may not send, each with why. */
const refusedFilters: Array<[string, string]> = [
  ['sw', 'userName sw "j"'],
  ['pr', 'userName pr'],
  ['not', 'not (userName eq "jdoe")'],
  ['co', 'emails co "example"'],
  ['gt', 'userName gt "a"'],
  ['an eq on an empty value', 'userName eq ""'],
  ['an eq on a number', 'userName eq 5'],
  ['an attribute that is not queryable', 'displayName eq "John Doe"'],
  ['an attribute queryable elsewhere but not here', 'phoneNumbers eq "+15551234"'],
  ['a sub-attribute other than value', 'emails.type eq "work"'],
  ['a value path', 'emails[value eq "jdoe@example.com"]'],
  ['an or hiding a pr', 'userName eq "jdoe" or userName pr'],
  ['a missing value', 'userName eq'],
  ['an unterminated string', 'userName eq "jdoe'],
  ['a lone quote', '"'],
  ['an empty filter', ''],
  ['spaces only', '   '],
  ['an unknown operator', 'userName like "jdoe"'],
  ['unbalanced parentheses', '(userName eq "jdoe"'],
  ['a filter too long to be a name', `userName eq "${'j'.repeat(600)}"`],
]

for (const kind of storeKinds) {
  describe(`${kind.kind}: bad input to the staged reset API gets a clear error, never a 500`, {
    skip: kind.skip,
  }, () => {
    let h: Harness
    let tenant: TenantRow

    before(async () => {
      h = await openHarness(kind)
      tenant = h.defaultTenant
      await createStaffUser(h.app, h.adminAuth, { username: 'jdoe', password: 'jdoe-password-1' })
    })
    after(async () => h?.close())

    const raw = (payload: string, headers: Record<string, string> = {}, url = OPENIDM_RESET) =>
      call(h.app, { method: 'POST', url, payload, headers: { ...CURL_HEADERS, ...headers } })

    it('refuses a request without the submitRequirements action', async () => {
      for (const query of [
        '',
        '?_action=',
        '?_action=submit',
        '?_action=SUBMITREQUIREMENTS',
        '?action=submitRequirements',
      ])
        for (const path of ['/openidm/selfservice/reset', '/api/selfservice/reset'])
          expectError(await raw('{"input":{}}', {}, `${path}${query}`), 400, 'request.invalid')
      expectError(
        await raw('{"input":{}}', {}, `/api/selfservice/reset?_action=${'x'.repeat(100)}`),
        400,
        'request.invalid',
      )
    })

    it('refuses bodies that are not a JSON object with an object input', async () => {
      const bodies = [
        '[]',
        '"text"',
        '5',
        'null',
        '{"input":"x"}',
        '{"input":[]}',
        '{"input":5}',
        '{"input":null}',
        '{"token":5,"input":{}}',
        '{"token":null}',
        '{"token":["a"]}',
      ]
      for (const body of bodies) {
        const answer = await raw(body)
        assert.equal(answer.status, 400, `${body}: ${JSON.stringify(answer.body)}`)
        expectError(answer, 400, 'request.invalid')
      }
    })

    it('refuses malformed JSON, an empty body and other content types', async () => {
      expectError(await raw('{"input":{'), 400, 'request.malformed-json')
      expectError(await raw("{'input':{}}"), 400, 'request.malformed-json')
      expectError(await raw(''), 400, 'request.malformed-json')
      expectError(
        await raw('<input/>', { 'content-type': 'application/xml' }),
        415,
        'request.unsupported-media-type',
      )
      // Bodies of the types every route reads arrive as text or fields, not as the object required.
      for (const type of ['text/plain', 'application/x-www-form-urlencoded'])
        expectError(await raw('input=x', { 'content-type': type }), 400, 'request.invalid')
      expectError(await call(h.app, { method: 'POST', url: OPENIDM_RESET }), 400, 'request.invalid')
    })

    it('refuses a token longer than any token of ours', async () => {
      expectError(await submit(h.app, { token: 'A'.repeat(8193), input: {} }), 400, 'request.invalid')
      expectError(await submit(h.app, { token: 'A'.repeat(100_000), input: {} }), 400, 'request.invalid')
    })

    it('refuses filters that search rather than name an account, and malformed ones', async () => {
      await setPipeline(h, tenant, ['userQuery', 'emailValidation', 'resetStage'])
      const token = expectStage(await submit(h.app, { input: {} }), 'userQuery')
      for (const [label, queryFilter] of refusedFilters) {
        for (const body of [{ token, input: { queryFilter } }, { input: { queryFilter } }]) {
          const answer = await submit(h.app, body)
          assert.equal(answer.status, 400, `${label}: ${JSON.stringify(answer.body)}`)
          expectError(answer, 400, 'selfservice.invalid-input')
        }
      }
      assert.equal(
        (await queuedMail(h.container, tenant, 'SelfServiceResetCode')).length,
        0,
        'no refused filter mailed anyone',
      )
      // The token is still good: a refused filter is not an attempt.
      expectStage(
        await submit(h.app, { token, input: { queryFilter: 'userName eq "jdoe"' } }),
        'emailValidation',
      )
    })

    it('refuses fields that are not strings, at every stage, without using up the flow', async () => {
      await setPipeline(h, tenant, ['userQuery', 'emailValidation', KBA, 'resetStage'])
      await h.container.securityQuestions.setAnswers(
        tenant,
        (await h.container.users.find(tenant, 'jdoe'))!.id,
        [
          { questionId: 'first-pet', answer: 'Rex' },
          { questionId: 'birth-city', answer: 'Lyon' },
        ],
        { kind: 'system', id: null, name: 'system' },
      )
      const notStrings = [5, true, { value: 'x' }, ['x']]
      for (const value of notStrings)
        expectError(await submit(h.app, { input: { queryFilter: value } }), 400, 'selfservice.invalid-input')

      const atCode = expectStage(
        await submit(h.app, { input: { queryFilter: 'userName eq "jdoe"' } }),
        'emailValidation',
      )
      for (const value of notStrings)
        expectError(
          await submit(h.app, { token: atCode, input: { code: value } }),
          400,
          'selfservice.invalid-input',
        )
      const code = await mailedCode(h.container, tenant, 'jdoe@example.com', atCode)
      const atKba = expectStage(await submit(h.app, { token: atCode, input: { code } }), KBA)
      for (const value of notStrings)
        expectError(
          await submit(h.app, { token: atKba, input: { answer1: value } }),
          400,
          'selfservice.invalid-input',
        )
      const asked = await submit(h.app, { token: atKba, input: {} })
      const text = asked.body.requirements.properties.answer1.systemQuestion.en as string
      const atReset = expectStage(
        await submit(h.app, { token: atKba, input: { answer1: text.includes('pet') ? 'rex' : 'lyon' } }),
        'resetStage',
      )
      for (const value of notStrings)
        expectError(
          await submit(h.app, { token: atReset, input: { password: value } }),
          400,
          'selfservice.invalid-input',
        )

      // A password the policy refuses leaves the token usable.
      const weak = await submit(h.app, { token: atReset, input: { password: 'short' } })
      expectError(weak, 400, 'password.weak')
      const tooLong = await submit(h.app, { token: atReset, input: { password: 'p'.repeat(5000) } })
      expectError(tooLong, 400, 'password.weak')
      const done = await submit(h.app, { token: atReset, input: { password: 'jdoe-new-password-1' } })
      assert.equal(done.status, 200, JSON.stringify(done.body))
      assert.equal(done.body.tag, 'end')
    })

    it('ignores the X-OpenIDM headers: they never authenticate anything', async () => {
      await setPipeline(h, tenant, ['userQuery', 'emailValidation', 'resetStage'])
      const withAdmin = await submit(
        h.app,
        { input: {} },
        {
          headers: { 'x-openidm-username': 'admin', 'x-openidm-password': 'wrong' },
        },
      )
      expectStage(withAdmin, 'userQuery')
      const without = await call(h.app, { method: 'POST', url: OPENIDM_RESET, payload: { input: {} } })
      expectStage(without, 'userQuery')
    })
  })
}
