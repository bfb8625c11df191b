import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { AppError } from '../../src/errors/app-error.ts'
import { defaultSecurityQuestions } from '../../src/flows/security-questions/default-questions.ts'
import { SecurityQuestionService } from '../../src/flows/security-questions/service.ts'
import { cliActor } from '../../src/observability/audit.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { PasswordHasher } from '../../src/security/password-hasher.ts'
import { type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { storeKinds } from '../support/stores.ts'

/**
 * The real argon2 hasher, counting what it is asked to do: the timing guarantee of
 * `verifyAnswers` is "one verification per given answer", which is observable here without
 * measuring time.
 */
class CountingHasher extends PasswordHasher {
  verifications = 0
  dummyVerifications = 0
  override async verify(encoded: string, password: string) {
    this.verifications++
    return super.verify(encoded, password)
  }
  override async verifyDummy(password: string) {
    this.dummyVerifications++
    return super.verifyDummy(password)
  }
  reset() {
    this.verifications = 0
    this.dummyVerifications = 0
  }
}

const PET = 'Mister Whiskers'
const CITY = 'New York'
const SCHOOL = 'Lycée Victor Hugo'

for (const kind of storeKinds) {
  describe(`${kind.kind}: security questions and answers`, { skip: kind.skip }, () => {
    let h: Harness
    let service: SecurityQuestionService
    let hasher: CountingHasher
    let tenant: TenantRow
    let other: TenantRow
    let alexId: string
    let samId: string
    let outsiderId: string
    const clock = new ManualClock()
    const alexActor = () => ({ kind: 'user' as const, id: alexId, name: 'alex' })

    const audited = (action: string, tenantId = tenant.id) =>
      h.container.audit.list(h.container.store.db, { tenantId, limit: 100, action })
    const storedRows = () =>
      h.container.store.db.selectFrom('security_answers').selectAll().orderBy('question_id').execute()
    const createUser = async (scope: TenantRow, username: string) =>
      (await h.container.users.create(scope, { username, password: `${username}-password-1` }, cliActor)).id
    const verify = async (
      userId: string | null,
      answers: Array<{ questionId: string; answer: string }>,
      tenantId = tenant.id,
    ) => {
      hasher.reset()
      const result = await service.verifyAnswers(tenantId, userId, answers)
      return { result, verifications: hasher.verifications, dummies: hasher.dummyVerifications }
    }

    before(async () => {
      h = await openHarness(kind, { clock })
      const { config, store, audit } = h.container
      hasher = new CountingHasher(h.container.hasher.parameters)
      service = new SecurityQuestionService(store.db, config, clock, audit, hasher)
      tenant = h.defaultTenant
      other = await h.container.tenants.createWithAdministrator(
        'other.example',
        undefined,
        'other-admin-password-1',
        cliActor,
      )
      alexId = await createUser(tenant, 'alex')
      samId = await createUser(tenant, 'sam')
      outsiderId = await createUser(other, 'outsider')
    })
    after(async () => h?.close())

    beforeEach(async () => {
      await service.resetQuestions(tenant, cliActor)
      await service.clearAnswers(tenant, alexId, cliActor)
    })

    it('offers the built-in list until the tenant sets its own, and reads the configuration', async () => {
      assert.deepEqual(await service.questions(tenant), defaultSecurityQuestions)
      assert.deepEqual(await service.view(tenant), {
        questions: [...defaultSecurityQuestions],
        isDefault: true,
      })
      assert.equal(service.minimumAnswers(), h.config.selfservice.kba_answers_required)
      assert.equal(service.questionsAsked(), h.config.selfservice.kba_questions_asked)
    })

    it('stores answers as argon2id hashes of the normalised answer, and audits the question ids only', async () => {
      await service.setAnswers(
        tenant,
        alexId,
        [
          { questionId: 'first-pet', answer: PET },
          { questionId: 'birth-city', answer: CITY },
        ],
        alexActor(),
      )
      const rows = await storedRows()
      assert.deepEqual(
        rows.map((row) => [row.question_id, row.user_id, row.tenant_id]),
        [
          ['birth-city', alexId, tenant.id],
          ['first-pet', alexId, tenant.id],
        ],
      )
      for (const row of rows) {
        assert.match(row.answer_hash, /^\$argon2id\$/)
        assert.equal(Number(row.created_at), clock.now())
      }
      assert.ok(
        (await hasher.verify(rows[1]!.answer_hash, 'misterwhiskers')).ok,
        'the normalised form is hashed',
      )
      assert.deepEqual(await service.answeredQuestionIds(tenant.id, alexId), ['first-pet', 'birth-city'])

      const [event] = await audited('security-answers.updated')
      assert.equal(event?.target, alexId)
      assert.equal(event?.actor, 'user:alex')
      assert.deepEqual(event?.detail, { questions: ['first-pet', 'birth-city'] })
      const auditRows = JSON.stringify(
        await h.container.store.db.selectFrom('audit_events').selectAll().execute(),
      )
      for (const secret of [PET, CITY, 'misterwhiskers', 'newyork', rows[0]!.answer_hash])
        assert.ok(!auditRows.includes(secret), `the audit log holds ${secret}`)
    })

    it('verifies answers whatever their case and spaces, and only when every one is right', async () => {
      await service.setAnswers(
        tenant,
        alexId,
        [
          { questionId: 'first-pet', answer: PET },
          { questionId: 'birth-city', answer: CITY },
          { questionId: 'first-school', answer: SCHOOL },
        ],
        alexActor(),
      )
      const right = [
        { questionId: 'first-pet', answer: '  mister WHISKERS ' },
        { questionId: 'birth-city', answer: 'NEWYORK' },
      ]
      assert.deepEqual(await verify(alexId, right), { result: true, verifications: 2, dummies: 0 })
      assert.equal(
        (await verify(alexId, [{ questionId: 'first-school', answer: 'lycée victorhugo' }])).result,
        true,
      )
      assert.equal(
        (await verify(alexId, [{ questionId: 'first-school', answer: 'LYCÉE VICTOR HUGO' }])).result,
        true,
      )

      // One wrong answer fails the whole, and every answer is still verified (the wrong one first too).
      assert.deepEqual(
        await verify(alexId, [
          { questionId: 'birth-city', answer: 'Boston' },
          { questionId: 'first-pet', answer: PET },
        ]),
        { result: false, verifications: 2, dummies: 0 },
      )
      assert.deepEqual(
        await verify(alexId, [
          { questionId: 'first-pet', answer: 'Rex' },
          { questionId: 'birth-city', answer: 'Paris' },
        ]),
        { result: false, verifications: 2, dummies: 0 },
      )
      assert.equal((await verify(alexId, [])).result, false, 'nothing given proves nothing')
    })

    it('spends one hash verification per answer for unknown users, missing answers and empty answers', async () => {
      await service.setAnswers(
        tenant,
        alexId,
        [
          { questionId: 'first-pet', answer: PET },
          { questionId: 'birth-city', answer: CITY },
        ],
        alexActor(),
      )
      const two = [
        { questionId: 'first-pet', answer: PET },
        { questionId: 'birth-city', answer: CITY },
      ]
      // No user at all, a user without answers, a user of another tenant, another tenant's view of alex.
      assert.deepEqual(await verify(null, two), { result: false, verifications: 0, dummies: 2 })
      assert.deepEqual(await verify(samId, two), { result: false, verifications: 0, dummies: 2 })
      assert.deepEqual(await verify(outsiderId, two), { result: false, verifications: 0, dummies: 2 })
      assert.deepEqual(await verify(alexId, two, other.id), { result: false, verifications: 0, dummies: 2 })
      // A question alex did not answer, or that does not exist, next to a right answer.
      assert.deepEqual(
        await verify(alexId, [
          { questionId: 'first-pet', answer: PET },
          { questionId: 'first-car', answer: 'Volvo' },
        ]),
        { result: false, verifications: 1, dummies: 1 },
      )
      assert.deepEqual(
        await verify(alexId, [
          { questionId: 'no-such-question', answer: PET },
          { questionId: 'birth-city', answer: CITY },
        ]),
        { result: false, verifications: 1, dummies: 1 },
      )
      // Answers that are empty once normalised, or too long: never compared, still paid for.
      assert.deepEqual(
        await verify(alexId, [
          { questionId: 'first-pet', answer: ' \t ' },
          { questionId: 'birth-city', answer: 'x'.repeat(201) },
        ]),
        { result: false, verifications: 0, dummies: 2 },
      )
      // The same question twice: the second never counts, even when right.
      assert.deepEqual(
        await verify(alexId, [
          { questionId: 'first-pet', answer: PET },
          { questionId: 'first-pet', answer: PET },
        ]),
        { result: false, verifications: 1, dummies: 1 },
      )
    })

    it('refuses answers that are too few, unknown, repeated, empty or too long, and keeps the earlier ones', async () => {
      await service.setAnswers(
        tenant,
        alexId,
        [
          { questionId: 'first-pet', answer: PET },
          { questionId: 'birth-city', answer: CITY },
        ],
        alexActor(),
      )
      const before = await storedRows()
      const refusals: Array<[Array<{ questionId: string; answer: string }>, Array<[string, string]>]> = [
        [[{ questionId: 'first-pet', answer: 'Rex' }], [['/answers', 'too-few']]],
        [[], [['/answers', 'too-few']]],
        [
          [
            { questionId: 'first-pet', answer: 'Rex' },
            { questionId: 'first-pet', answer: 'Felix' },
          ],
          [
            ['/answers/1/questionId', 'repeated-question'],
            ['/answers', 'too-few'],
          ],
        ],
        [
          [
            { questionId: 'first-pet', answer: 'Rex' },
            { questionId: 'favourite-colour', answer: 'Blue' },
          ],
          [
            ['/answers/1/questionId', 'unknown-question'],
            ['/answers', 'too-few'],
          ],
        ],
        [
          [
            { questionId: 'first-pet', answer: '   ' },
            { questionId: 'birth-city', answer: 'x'.repeat(201) },
          ],
          [
            ['/answers/0/answer', 'empty'],
            ['/answers/1/answer', 'too-long'],
          ],
        ],
      ]
      for (const [answers, expected] of refusals) {
        await assert.rejects(service.setAnswers(tenant, alexId, answers, alexActor()), (error: unknown) => {
          assert.ok(error instanceof AppError)
          assert.equal(error.code, 'security-answers.invalid')
          assert.deepEqual(
            error.details.errors?.map((problem) => [problem.pointer, problem.rule]),
            expected,
          )
          for (const answer of answers)
            if (answer.answer.trim() !== '')
              assert.ok(!JSON.stringify(error.details).includes(answer.answer), 'no answer repeated back')
          return true
        })
        assert.deepEqual(await storedRows(), before, JSON.stringify(answers))
      }
      // 200 characters are accepted; an unknown user is refused.
      await service.setAnswers(
        tenant,
        alexId,
        [
          { questionId: 'first-pet', answer: 'x'.repeat(200) },
          { questionId: 'birth-city', answer: CITY },
        ],
        alexActor(),
      )
      await assert.rejects(
        service.setAnswers(
          tenant,
          outsiderId,
          [
            { questionId: 'first-pet', answer: PET },
            { questionId: 'birth-city', answer: CITY },
          ],
          alexActor(),
        ),
        (error: unknown) => error instanceof AppError && error.code === 'user.not-found',
      )
    })

    it('replaces all answers at once: questions no longer answered are gone', async () => {
      await service.setAnswers(
        tenant,
        alexId,
        [
          { questionId: 'first-pet', answer: PET },
          { questionId: 'birth-city', answer: CITY },
          { questionId: 'first-school', answer: SCHOOL },
        ],
        alexActor(),
      )
      await service.setAnswers(
        tenant,
        alexId,
        [
          { questionId: 'first-car', answer: 'Volvo' },
          { questionId: 'first-pet', answer: 'Rex' },
        ],
        alexActor(),
      )
      assert.deepEqual(await service.answeredQuestionIds(tenant.id, alexId), ['first-pet', 'first-car'])
      assert.equal((await verify(alexId, [{ questionId: 'first-pet', answer: PET }])).result, false)
      assert.equal((await verify(alexId, [{ questionId: 'first-pet', answer: 'rex' }])).result, true)
      assert.equal((await verify(alexId, [{ questionId: 'birth-city', answer: CITY }])).result, false)
    })

    it('stops counting answers to a question the tenant removed, until it returns', async () => {
      await service.setAnswers(
        tenant,
        alexId,
        [
          { questionId: 'first-pet', answer: PET },
          { questionId: 'birth-city', answer: CITY },
        ],
        alexActor(),
      )
      const own = [
        { id: 'first-pet', text: { en: 'Your first pet?' } },
        { id: 'favourite-band', text: { en: 'Your favourite band?', fr: 'Votre groupe préféré ?' } },
      ]
      const replaced = await service.replaceQuestions(tenant, own, { kind: 'user', id: null, name: 'admin' })
      assert.deepEqual(replaced, own)
      assert.deepEqual(await service.view(tenant), { questions: own, isDefault: false })
      assert.deepEqual(await service.answeredQuestionIds(tenant.id, alexId), ['first-pet'])
      const counted = await verify(alexId, [{ questionId: 'birth-city', answer: CITY }])
      assert.deepEqual(counted, { result: false, verifications: 0, dummies: 1 })
      assert.equal((await verify(alexId, [{ questionId: 'first-pet', answer: PET }])).result, true)
      assert.equal((await storedRows()).length, 2, 'the answer itself is kept')

      const [event] = await audited('security-questions.updated')
      assert.equal(event?.target, 'security-questions')
      assert.deepEqual(event?.detail, { count: 2 })
      assert.equal((await audited('security-questions.updated', other.id)).length, 0)
      assert.deepEqual(await service.questions(other), defaultSecurityQuestions, 'other tenants keep theirs')

      await service.resetQuestions(tenant, cliActor)
      assert.equal((await service.view(tenant)).isDefault, true)
      assert.deepEqual(await service.answeredQuestionIds(tenant.id, alexId), ['first-pet', 'birth-city'])
      assert.equal((await verify(alexId, [{ questionId: 'birth-city', answer: 'new york' }])).result, true)
    })

    it('refuses a wrong list as a whole and stores nothing', async () => {
      const events = (await audited('security-questions.updated')).length
      for (const list of [
        [],
        [{ id: 'only-one', text: { en: 'Just one?' } }],
        [
          { id: 'a', text: { en: 'A?' } },
          { id: 'a', text: { en: 'A again?' } },
        ],
        [
          { id: 'a', text: { fr: 'Pas en anglais ?' } },
          { id: 'b', text: { en: 'B?' } },
        ],
        'not a list',
      ]) {
        await assert.rejects(
          service.replaceQuestions(tenant, list, cliActor),
          (error: unknown) => error instanceof AppError && error.code === 'security-questions.invalid',
        )
      }
      assert.equal((await service.view(tenant)).isDefault, true)
      const stored = await h.container.store.db
        .selectFrom('tenant_settings')
        .select('name')
        .where('name', '=', 'security-questions')
        .execute()
      assert.deepEqual(stored, [])
      assert.equal((await audited('security-questions.updated')).length, events)
    })

    it('clears a user’s answers, audited once when there were some', async () => {
      await service.setAnswers(
        tenant,
        alexId,
        [
          { questionId: 'first-pet', answer: PET },
          { questionId: 'birth-city', answer: CITY },
        ],
        alexActor(),
      )
      const events = (await audited('security-answers.cleared')).length
      assert.equal(await service.clearAnswers(other, alexId, cliActor), false, 'not through another tenant')
      assert.equal((await storedRows()).length, 2)
      assert.equal(await service.clearAnswers(tenant, alexId, cliActor), true)
      assert.deepEqual(await service.answeredQuestionIds(tenant.id, alexId), [])
      assert.equal(await service.clearAnswers(tenant, alexId, cliActor), false)
      const cleared = await audited('security-answers.cleared')
      assert.equal(cleared.length, events + 1)
      assert.equal(cleared[0]?.target, alexId)
      assert.equal(cleared[0]?.actor, 'cli:cli')
    })

    it('sees another instance’s list change once its cache entry expires, and its own at once', async () => {
      const elsewhere = new SecurityQuestionService(
        h.container.store.db,
        h.config,
        clock,
        h.container.audit,
        hasher,
      )
      assert.equal((await elsewhere.view(tenant)).isDefault, true)
      const own = [
        { id: 'one', text: { en: 'One?' } },
        { id: 'two', text: { en: 'Two?' } },
      ]
      await service.replaceQuestions(tenant, own, cliActor)
      assert.deepEqual(await service.questions(tenant), own, 'this instance forgets its entry at once')
      assert.equal((await elsewhere.view(tenant)).isDefault, true, 'the other one still has its entry')
      clock.advance(5_001)
      assert.deepEqual(await elsewhere.questions(tenant), own)
    })

    it('falls back to the built-in list when the stored document is not a valid list', async () => {
      await h.container.store.db
        .insertInto('tenant_settings')
        .values({
          tenant_id: other.id,
          name: 'security-questions',
          value: JSON.stringify({ questions: [{ id: 'Bad Id', text: {} }] }),
          updated_at: clock.now(),
          updated_by: 'hand',
        })
        .execute()
      clock.advance(5_001)
      assert.deepEqual(await service.view(other), {
        questions: [...defaultSecurityQuestions],
        isDefault: true,
      })
    })
  })
}
