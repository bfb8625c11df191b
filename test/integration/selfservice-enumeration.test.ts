import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { after, before, describe, it } from 'node:test'
import { cliActor } from '../../src/observability/audit.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { type Answer, call } from '../support/http.ts'
import { createStaffUser, EMAIL_CLAIM } from '../support/page-client.ts'
import { expectStage, median, queuedMail, setPipeline, submit } from '../support/selfservice.ts'
import { storeKinds } from '../support/stores.ts'

const KBA = 'kbaSecurityAnswerVerificationStage'
/** Ids of one length: a token carries the ids asked, and its length must not tell them apart. */
const QUESTIONS = [
  { id: 'q-pet', text: { en: 'What was the name of your first pet?' } },
  { id: 'q-car', text: { en: 'What was the make of your first car?' } },
  { id: 'q-job', text: { en: 'What was your first job?' } },
  { id: 'q-twn', text: { en: 'In which city were you born?' } },
]

/** Accounts that must look exactly like jdoe from outside, by the filter that names them. */
const LOOK_ALIKES: Array<[string, string]> = [
  ['an unknown user', 'userName eq "nobody"'],
  ['an ambiguous query (two users share the address)', 'emails eq "shared@example.com"'],
  ['a user without an email address', 'userName eq "mailless"'],
  ['a disabled user', 'userName eq "disabled"'],
  ['a user an administrator locked', 'userName eq "locked"'],
]

/** What a caller sees of an answer, tokens reduced to their length. */
function visible(answer: Answer) {
  const { token, ...rest } = answer.body
  return {
    status: answer.status,
    body: rest,
    tokenLength: typeof token === 'string' ? token.length : undefined,
  }
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: self-service answers the same whether or not the account exists`, {
    skip: kind.skip,
  }, () => {
    let h: Harness
    let tenant: TenantRow
    let jdoeId: string
    let addresses = 0

    before(async () => {
      h = await openHarness(kind)
      tenant = h.defaultTenant
      await h.container.securityQuestions.replaceQuestions(tenant, QUESTIONS, cliActor)
      jdoeId = await createStaffUser(h.app, h.adminAuth, { username: 'jdoe', password: 'jdoe-password-1' })
      await h.container.securityQuestions.setAnswers(
        tenant,
        jdoeId,
        [
          { questionId: 'q-pet', answer: 'Rex' },
          { questionId: 'q-car', answer: 'Volvo' },
        ],
        cliActor,
      )
      for (const username of ['shared-one', 'shared-two'])
        await createStaffUser(h.app, h.adminAuth, {
          username,
          password: `${username}-password`,
          claims: { [EMAIL_CLAIM]: 'shared@example.com' },
        })
      await h.container.users.create(
        tenant,
        { username: 'mailless', password: 'mailless-password' },
        cliActor,
      )
      const disabled = await createStaffUser(h.app, h.adminAuth, {
        username: 'disabled',
        password: 'disabled-pw-1',
      })
      const patched = await call(h.app, {
        method: 'PATCH',
        url: `/scim2/Users/${disabled}`,
        auth: h.adminAuth,
        payload: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', path: 'active', value: false }],
        },
      })
      assert.equal(patched.status, 200, JSON.stringify(patched.body))
      await createStaffUser(h.app, h.adminAuth, { username: 'locked', password: 'locked-password-1' })
      await h.container.users.lock(tenant, 'locked', 'admin', cliActor)
    })
    after(async () => h?.close())

    /** Each transcript from its own address: the per-address limit is another suite's concern. */
    const nextAddress = () => `192.0.2.${++addresses}`

    const emailTranscript = async (filter: string) => {
      const remoteAddress = nextAddress()
      const first = await submit(h.app, { input: {} }, { remoteAddress })
      const found = await submit(
        h.app,
        { token: first.body.token, input: { queryFilter: filter } },
        { remoteAddress },
      )
      const token = expectStage(found, 'emailValidation')
      const wrong = []
      for (const code of ['AAAAAAAA', 'bbbb-bbbb', 'x'])
        wrong.push(visible(await submit(h.app, { token, input: { code } }, { remoteAddress })))
      const asked = await submit(h.app, { token, input: {} }, { remoteAddress })
      return [visible(first), visible(found), ...wrong, visible(asked)]
    }

    it('email pipeline: same stages, requirements, token lengths and errors; mail only for the real account', async () => {
      await setPipeline(h, tenant, ['userQuery', 'emailValidation', 'resetStage'])
      const mailsBefore = await queuedMail(h.container, tenant, 'SelfServiceResetCode')
      const real = await emailTranscript('userName eq "jdoe"')
      assert.deepEqual(await emailTranscript('emails eq "jdoe@example.com"'), real, 'found by address alike')
      for (const [label, filter] of LOOK_ALIKES)
        assert.deepEqual(await emailTranscript(filter), real, `${label} answers as jdoe does`)

      const mails = (await queuedMail(h.container, tenant, 'SelfServiceResetCode')).slice(mailsBefore.length)
      assert.deepEqual(
        mails,
        [
          { recipient: 'jdoe@example.com', user_id: jdoeId },
          { recipient: 'jdoe@example.com', user_id: jdoeId },
        ],
        'a code for each of the real account’s flows, none for the others',
      )
    })

    it('security question pipeline: same shape, token lengths and errors for every account', async () => {
      await setPipeline(h, tenant, ['userQuery', KBA, 'resetStage'])
      const texts = QUESTIONS.map((question) => question.text.en)
      const transcript = async (filter: string) => {
        const remoteAddress = nextAddress()
        const found = await submit(h.app, { input: { queryFilter: filter } }, { remoteAddress })
        const token = expectStage(found, KBA)
        const { requirements } = found.body
        assert.ok(texts.includes(requirements.properties.answer1.systemQuestion.en))
        const wrong = await submit(h.app, { token, input: { answer1: 'not it' } }, { remoteAddress })
        const asked = await submit(h.app, { token, input: {} }, { remoteAddress })
        assert.deepEqual(asked.body.requirements, requirements, 'the same question is asked again')
        return {
          type: found.body.type,
          tag: found.body.tag,
          required: requirements.required,
          shape: Object.keys(requirements.properties.answer1).sort(),
          tokenLength: token.length,
          wrong: visible(wrong),
          askedLength: asked.body.token.length,
        }
      }
      const real = await transcript('userName eq "jdoe"')
      for (const [label, filter] of LOOK_ALIKES)
        assert.deepEqual(await transcript(filter), real, `${label} answers as jdoe does`)
    })

    it('a stand-in account is asked among as many questions as a real one, each time from the same set', async () => {
      await setPipeline(h, tenant, ['userQuery', KBA, 'resetStage'])
      const askedOf = async (filter: string) => {
        const seen = new Set<string>()
        for (let flow = 0; flow < 24; flow++) {
          const found = await submit(
            h.app,
            { input: { queryFilter: filter } },
            { remoteAddress: '198.51.100.1' },
          )
          seen.add(found.body.requirements.properties.answer1.systemQuestion.en)
        }
        return seen
      }
      // Two answered questions, picked at random: over 24 flows both show (odds of not: 2^-23).
      assert.equal((await askedOf('userName eq "jdoe"')).size, 2)
      assert.equal((await askedOf('userName eq "nobody"')).size, 2)
      assert.deepEqual(await askedOf('userName eq "nobody"'), await askedOf('userName eq "nobody"'))
    })
  })

  describe(`${kind.kind}: self-service takes as long for an unknown account`, { skip: kind.skip }, () => {
    let h: Harness
    const TRIES = 40

    before(async () => {
      // Limits off: this suite measures the work of each answer, not the limits'.
      h = await openHarness(kind, {
        env: {
          REKEY_SELFSERVICE_MAX_ATTEMPTS: '100',
          REKEY_SELFSERVICE_ADDRESS_FAILURES_PER_HOUR: '0',
          REKEY_SELFSERVICE_ACCOUNT_FAILURES_PER_HOUR: '0',
        },
      })
      await createStaffUser(h.app, h.adminAuth, { username: 'jdoe', password: 'jdoe-password-1' })
    })
    after(async () => h?.close())

    /** Medians of `TRIES` timings of each, alternating which goes first; mail work is let finish between. */
    const medians = async (known: () => Promise<Answer>, unknown: () => Promise<Answer>) => {
      const timings = { known: [] as number[], unknown: [] as number[] }
      const time = async (work: () => Promise<Answer>, into: number[]) => {
        const start = performance.now()
        const answer = await work()
        into.push(performance.now() - start)
        await h.container.selfService.idle()
        return answer
      }
      for (let warmUp = 0; warmUp < 3; warmUp++) {
        await time(known, [])
        await time(unknown, [])
      }
      for (let index = 0; index < TRIES; index++) {
        const pair: Array<[() => Promise<Answer>, number[]]> = [
          [known, timings.known],
          [unknown, timings.unknown],
        ]
        if (index % 2 === 1) pair.reverse()
        for (const [work, into] of pair) await time(work, into)
      }
      return { known: median(timings.known), unknown: median(timings.unknown) }
    }

    const assertClose = (label: string, result: { known: number; unknown: number }) => {
      const margin = Math.max(3, 0.5 * Math.max(result.known, result.unknown))
      assert.ok(
        Math.abs(result.known - result.unknown) < margin,
        `${label}: median ${result.known.toFixed(2)} ms for jdoe, ${result.unknown.toFixed(2)} ms for an unknown user`,
      )
    }

    it('the userQuery step and a wrong code take the same median time', async () => {
      const first = expectStage(await submit(h.app, { input: {} }), 'userQuery')
      const query = (filter: string) => () => submit(h.app, { token: first, input: { queryFilter: filter } })
      assertClose('userQuery', await medians(query('userName eq "jdoe"'), query('userName eq "nobody"')))

      const known = expectStage(await query('userName eq "jdoe"')(), 'emailValidation')
      const unknown = expectStage(await query('userName eq "nobody"')(), 'emailValidation')
      const wrongCode = (token: string) => async () => {
        const answer = await submit(h.app, { token, input: { code: 'AAAAAAAA' } })
        assert.equal(answer.status, 400)
        return answer
      }
      assertClose('wrong code', await medians(wrongCode(known), wrongCode(unknown)))
    })
  })
}
