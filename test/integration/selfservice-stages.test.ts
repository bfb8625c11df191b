import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { AppError } from '../../src/errors/app-error.ts'
import { cliActor } from '../../src/observability/audit.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { createStaffUser } from '../support/page-client.ts'
import {
  API_RESET,
  EMAIL_VALIDATION_REQUIREMENTS,
  expectError,
  expectStage,
  mailedCode,
  queuedMail,
  RESET_STAGE_REQUIREMENTS,
  setPipeline,
  signIn,
  submit,
  USER_QUERY_REQUIREMENTS,
  walkFlow,
} from '../support/selfservice.ts'
import { storeKinds } from '../support/stores.ts'

const KBA = 'kbaSecurityAnswerVerificationStage'
const ANSWERS = { 'first-pet': 'Mister Whiskers', 'birth-city': 'New York' }

const pipelines: string[][] = [
  ['userQuery', 'emailValidation', 'resetStage'],
  ['userQuery', KBA, 'resetStage'],
  ['userQuery', 'emailValidation', KBA, 'resetStage'],
  ['userQuery', KBA, 'emailValidation', 'resetStage'],
  ['parameters', 'userQuery', 'emailValidation', 'resetStage'],
]

const invalidPipelines: Array<[string, string[], RegExp]> = [
  ['no verification stage', ['userQuery', 'resetStage'], /verification stage/],
  [
    'resetStage not last',
    ['userQuery', 'resetStage', 'emailValidation'],
    /resetStage must be the last stage/,
  ],
  ['an unknown stage', ['userQuery', 'smsValidation', 'resetStage'], /unknown stage smsValidation/],
  ['no userQuery', ['emailValidation', 'resetStage'], /userQuery is needed/],
  [
    'userQuery after a verification',
    ['emailValidation', 'userQuery', 'resetStage'],
    /userQuery must come before/,
  ],
  ['a repeated stage', ['userQuery', 'emailValidation', 'emailValidation', 'resetStage'], /more than once/],
]

for (const kind of storeKinds) {
  describe(`${kind.kind}: self-service stages in every supported order`, { skip: kind.skip }, () => {
    let h: Harness
    let tenant: TenantRow
    let users = 0

    before(async () => {
      h = await openHarness(kind)
      tenant = h.defaultTenant
    })
    after(async () => h?.close())

    /** A fresh user with an email address and two security answers. */
    const newUser = async () => {
      const username = `user${++users}`
      const id = await createStaffUser(h.app, h.adminAuth, { username, password: `${username}-old-password` })
      await h.container.securityQuestions.setAnswers(
        tenant,
        id,
        Object.entries(ANSWERS).map(([questionId, answer]) => ({ questionId, answer })),
        cliActor,
      )
      return { username, id, email: `${username}@example.com`, filter: `userName eq "${username}"` }
    }

    for (const pipeline of pipelines)
      it(`${pipeline.join(' → ')}: each stage asks in turn, and the new password signs in`, async () => {
        await setPipeline(h, tenant, pipeline)
        const user = await newUser()
        const password = `${user.username}-new-password`
        const withParameters = pipeline[0] === 'parameters'
        const answers = await walkFlow(
          h,
          tenant,
          { ...user, answers: ANSWERS, password },
          {
            // The parameters stage asks nothing: the first request hands it `returnParams`.
            ...(withParameters ? { first: { input: { returnParams: 'goto=/welcome' } } } : {}),
          },
        )

        assert.deepEqual(
          answers.map((answer) => answer.body.type),
          [...pipeline.slice(withParameters ? 1 : 0), 'resetStage'],
          'the first answer asks for the first stage needing input, then one answer per stage',
        )
        for (const answer of answers.slice(0, -1)) {
          const expected: Record<string, object> = {
            userQuery: USER_QUERY_REQUIREMENTS,
            emailValidation: EMAIL_VALIDATION_REQUIREMENTS,
            resetStage: RESET_STAGE_REQUIREMENTS,
          }
          if (answer.body.type === KBA) {
            assert.equal(answer.body.tag, 'initial')
            assert.deepEqual(answer.body.requirements.required, ['answer1'])
            const asked = answer.body.requirements.properties.answer1
            assert.equal(asked.type, 'string')
            assert.ok(
              ['What was the name of your first pet?', 'In which city were you born?'].includes(
                asked.systemQuestion.en,
              ),
              `one of the questions the user answered: ${asked.systemQuestion.en}`,
            )
            assert.equal(typeof asked.systemQuestion.fr, 'string', 'every locale of the question')
          } else {
            assert.equal(answer.body.tag, answer.body.type === 'emailValidation' ? 'validateCode' : 'initial')
            assert.deepEqual(answer.body.requirements, expected[answer.body.type])
          }
        }
        assert.deepEqual(answers.at(-1)?.body, {
          type: 'resetStage',
          tag: 'end',
          status: { success: true },
          additions: withParameters ? { returnParams: 'goto=/welcome' } : {},
        })
        const mails = (await queuedMail(h.container, tenant, 'SelfServiceResetCode')).filter(
          (mail) => mail.user_id === user.id,
        )
        assert.equal(mails.length, pipeline.includes('emailValidation') ? 1 : 0)
        assert.equal((await signIn(h.app, user.username, password)).status, 200)
        assert.equal((await signIn(h.app, user.username, `${user.username}-old-password`)).status, 401)
      })

    it('a wrong security answer is refused and leaves the stage open for another try', async () => {
      await setPipeline(h, tenant, ['userQuery', KBA, 'resetStage'])
      const user = await newUser()
      const started = await submit(h.app, { input: { queryFilter: user.filter } })
      const token = expectStage(started, KBA)
      expectError(
        await submit(h.app, { token, input: { answer1: 'certainly not this' } }),
        400,
        'selfservice.verification-failed',
      )
      // An input without the answer asks again, for the same question.
      const again = await submit(h.app, { token, input: {} })
      assert.deepEqual(again.body.requirements, started.body.requirements)
      const text = started.body.requirements.properties.answer1.systemQuestion.en as string
      const right = text.includes('pet') ? ANSWERS['first-pet'] : ANSWERS['birth-city']
      expectStage(await submit(h.app, { token, input: { answer1: right.toUpperCase() } }), 'resetStage')
    })

    for (const [label, stages, reason] of invalidPipelines)
      it(`refuses a pipeline with ${label}, and keeps the one in force`, async () => {
        await setPipeline(h, tenant, ['userQuery', 'emailValidation', 'resetStage'])
        await assert.rejects(
          h.container.tenantPolicies.updateSelfServicePolicy(tenant, { stages }, cliActor),
          (error: unknown) => {
            assert.ok(error instanceof AppError)
            assert.equal(error.code, 'selfservice.invalid-stages')
            assert.match(error.details.detail ?? '', reason)
            return true
          },
        )
        const view = await h.container.tenantPolicies.viewSelfServicePolicy(tenant)
        assert.deepEqual(view.effective.stages, ['userQuery', 'emailValidation', 'resetStage'])
        expectStage(await submit(h.app, { input: {} }), 'userQuery')
      })

    it('an empty pipeline turns the API off: 404 in the error shape, on both paths, with or without a token', async () => {
      await setPipeline(h, tenant, ['userQuery', 'emailValidation', 'resetStage'])
      const token = expectStage(await submit(h.app, { input: {} }), 'userQuery')
      await setPipeline(h, tenant, [])
      for (const url of [API_RESET, undefined]) {
        expectError(await submit(h.app, { input: {} }, { url }), 404, 'route.not-found')
        expectError(
          await submit(h.app, { token, input: { queryFilter: 'userName eq "user1"' } }, { url }),
          404,
          'route.not-found',
        )
      }
      await setPipeline(h, tenant, ['userQuery', 'emailValidation', 'resetStage'])
    })

    it('one stage: without `parameters`, a first request with a queryFilter goes straight to the code', async () => {
      await setPipeline(h, tenant, ['userQuery', 'emailValidation', 'resetStage'])
      const user = await newUser()
      const answer = await submit(h.app, { input: { queryFilter: user.filter } })
      const token = expectStage(answer, 'emailValidation')
      assert.deepEqual(answer.body.requirements, EMAIL_VALIDATION_REQUIREMENTS)
      const code = await mailedCode(h.container, tenant, user.email, token)
      expectStage(await submit(h.app, { token, input: { code } }), 'resetStage')
    })

    it('two stages: with `parameters` first, the same request answers the userQuery requirements', async () => {
      await setPipeline(h, tenant, ['parameters', 'userQuery', 'emailValidation', 'resetStage'])
      const user = await newUser()
      const answer = await submit(h.app, { input: { queryFilter: user.filter } })
      const token = expectStage(answer, 'userQuery')
      assert.deepEqual(answer.body.requirements, USER_QUERY_REQUIREMENTS)
      assert.equal(
        (await queuedMail(h.container, tenant, 'SelfServiceResetCode')).filter((m) => m.user_id === user.id)
          .length,
        0,
      )
      const emailed = expectStage(
        await submit(h.app, { token, input: { queryFilter: user.filter } }),
        'emailValidation',
      )
      await mailedCode(h.container, tenant, user.email, emailed)
    })

    it('a pipeline changed during a flow refuses the tokens whose stage moved', async () => {
      await setPipeline(h, tenant, ['userQuery', 'emailValidation', 'resetStage'])
      const user = await newUser()
      const token = expectStage(
        await submit(h.app, { input: { queryFilter: user.filter } }),
        'emailValidation',
      )
      const code = await mailedCode(h.container, tenant, user.email, token)
      await setPipeline(h, tenant, ['userQuery', KBA, 'emailValidation', 'resetStage'])
      expectError(await submit(h.app, { token, input: { code } }), 400, 'selfservice.invalid-token')
      await setPipeline(h, tenant, ['userQuery', 'emailValidation', 'resetStage'])
    })
  })
}
