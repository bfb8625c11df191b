import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Harness, openHarness } from '../support/harness.ts'
import { createStaffUser, PageClient, pageText } from '../support/page-client.ts'
import { storeKinds } from '../support/stores.ts'

const PASSWORD = 'my-current-passphrase-1'
const PET = 'Mister Whiskers'
const CITY = 'New York'

/** The security-questions form of the page, from its opening tag to its end. */
function securityForm(html: string): string {
  return /<form[^>]* action="\/myaccount\/security-answers"[\s\S]*?<\/form>/.exec(html)?.[0] ?? ''
}

/** The value of the option selected in a select, or undefined. */
function selected(html: string, name: string): string | undefined {
  const select = new RegExp(`<select[^>]* name="${name}"[^>]*>([\\s\\S]*?)</select>`).exec(html)?.[1] ?? ''
  return /<option value="([^"]+)" selected>/.exec(select)?.[1]
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: security questions on My Account`, { skip: kind.skip }, () => {
    let h: Harness

    before(async () => {
      h = await openHarness(kind)
    })
    after(async () => h?.close())

    async function signedInBrowser(username: string): Promise<{ browser: PageClient; userId: string }> {
      const userId = await createStaffUser(h.app, h.adminAuth, { username, password: PASSWORD })
      const browser = new PageClient(h.app)
      await browser.get('/login')
      const signedIn = await browser.post('/login', { username, password: PASSWORD })
      assert.equal(signedIn.location, '/myaccount')
      await browser.follow(signedIn)
      return { browser, userId }
    }
    const answered = (userId: string) =>
      h.container.securityQuestions.answeredQuestionIds(h.defaultTenant.id, userId)

    it('shows one question select and one hidden answer field per answer the tenant asks for', async () => {
      const { browser } = await signedInBrowser('morgan')
      const page = browser.lastPage
      assert.ok(pageText(page).includes('Security questions'))
      assert.ok(pageText(page).includes('You have not answered any security questions yet.'))
      assert.match(
        page,
        /<form class="form" method="post" action="\/myaccount\/security-answers" novalidate>/,
      )
      const required = h.config.selfservice.kba_answers_required
      for (let slot = 1; slot <= required; slot++) {
        assert.match(page, new RegExp(`<label for="securityQuestion${slot}">Question ${slot}</label>`))
        assert.match(
          page,
          new RegExp(`<select class="input" id="securityQuestion${slot}" name="securityQuestion${slot}"`),
        )
        assert.match(
          page,
          new RegExp(
            `<input class="input" id="securityAnswer${slot}" name="securityAnswer${slot}" type="password" autocomplete="off"`,
          ),
        )
      }
      assert.doesNotMatch(page, new RegExp(`name="securityQuestion${required + 1}"`))
      const form = securityForm(page)
      assert.match(form, /<label for="securityCurrentPassword">Current password<\/label>/)
      assert.match(
        form,
        /<input class="input" id="securityCurrentPassword" name="securityCurrentPassword" type="password" autocomplete="current-password"/,
      )
      assert.equal(page.match(/id="securityCurrentPassword"/g)?.length, 1)
      assert.equal(
        page.match(/id="currentPassword"/g)?.length,
        1,
        'the change-password field keeps its own id',
      )
      assert.match(page, /<option value="first-pet" selected>What was the name of your first pet\?<\/option>/)
      assert.equal(selected(page, 'securityQuestion2'), 'birth-city', 'distinct questions are suggested')
    })

    it('refuses a form without the CSRF token and changes nothing', async () => {
      const { browser, userId } = await signedInBrowser('casey')
      const forged = await browser.post(
        '/myaccount/security-answers',
        {
          securityCurrentPassword: PASSWORD,
          securityQuestion1: 'first-pet',
          securityAnswer1: PET,
          securityQuestion2: 'birth-city',
          securityAnswer2: CITY,
        },
        { csrf: false },
      )
      assert.equal(forged.status, 403)
      assert.deepEqual(await answered(userId), [])
    })

    it('shows each problem in the summary and by its field, keeps the chosen questions, never the answers', async () => {
      const { browser, userId } = await signedInBrowser('avery')
      const cases: Array<[Record<string, string>, Array<[field: string, message: string]>]> = [
        [
          {
            securityCurrentPassword: PASSWORD,
            securityQuestion1: 'first-pet',
            securityAnswer1: PET,
            securityQuestion2: 'first-pet',
            securityAnswer2: CITY,
          },
          [['securityQuestion2', 'Choose a different question: each question can be answered once.']],
        ],
        [
          {
            securityCurrentPassword: PASSWORD,
            securityQuestion1: 'first-pet',
            securityAnswer1: '   ',
            securityQuestion2: 'first-car',
            securityAnswer2: 'x'.repeat(201),
          },
          [
            ['securityAnswer1', 'Enter an answer.'],
            ['securityAnswer2', 'The answer must be at most 200 characters.'],
          ],
        ],
        [
          {
            securityCurrentPassword: PASSWORD,
            securityQuestion1: 'no-such-question',
            securityAnswer1: PET,
            securityQuestion2: 'birth-city',
            securityAnswer2: CITY,
          },
          [['securityQuestion1', 'Choose a question from the list.']],
        ],
        [{ securityCurrentPassword: PASSWORD }, [['securityQuestion1', 'Choose a question from the list.']]],
      ]
      for (const [fields, problems] of cases) {
        const refused = await browser.post('/myaccount/security-answers', fields)
        assert.equal(refused.status, 400, JSON.stringify(fields))
        const text = pageText(refused.body)
        assert.ok(text.includes('There is a problem'), text)
        for (const [field, message] of problems) {
          assert.ok(text.includes(message), `${message}: ${text}`)
          assert.match(refused.body, new RegExp(`<a href="#${field}">`), field)
          assert.match(refused.body, new RegExp(`id="${field}-error"`), field)
        }
        for (const secret of [PET, CITY, 'x'.repeat(201), PASSWORD])
          assert.ok(!refused.body.includes(secret), 'no answer or password echoed')
        if (fields.securityQuestion2 === 'first-car')
          assert.equal(
            selected(refused.body, 'securityQuestion2'),
            'first-car',
            'the chosen question stays chosen',
          )
      }
      assert.deepEqual(await answered(userId), [])
    })

    it('asks for the current password: a wrong, empty or missing one is shown by its field and changes nothing', async () => {
      const { browser, userId } = await signedInBrowser('sasha')
      const first = await browser.post('/myaccount/security-answers', {
        securityCurrentPassword: PASSWORD,
        securityQuestion1: 'first-pet',
        securityAnswer1: PET,
        securityQuestion2: 'birth-city',
        securityAnswer2: CITY,
      })
      assert.equal(first.status, 303)
      await browser.follow(first)
      const storedBefore = await h.container.store.db
        .selectFrom('security_answers')
        .selectAll()
        .where('user_id', '=', userId)
        .execute()
      const replacement = {
        securityQuestion1: 'first-car',
        securityAnswer1: 'Volvo Amazon',
        securityQuestion2: 'first-job',
        securityAnswer2: 'Paper round',
      }
      const passwords: Array<Record<string, string>> = [
        { securityCurrentPassword: 'wrong-password-1' },
        { securityCurrentPassword: '' },
        {},
      ]
      for (const password of passwords) {
        const refused = await browser.post('/myaccount/security-answers', { ...password, ...replacement })
        assert.equal(refused.status, 400, JSON.stringify(password))
        const text = pageText(refused.body)
        assert.ok(text.includes('There is a problem'), text)
        assert.ok(text.includes('The current password is not correct.'), text)
        assert.match(
          refused.body,
          /<a href="#securityCurrentPassword">The current password is not correct\.<\/a>/,
        )
        const form = securityForm(refused.body)
        assert.match(form, /id="securityCurrentPassword-error"/)
        assert.match(
          form,
          /id="securityCurrentPassword"[^>]* aria-describedby="securityCurrentPassword-hint securityCurrentPassword-error" aria-invalid="true"/,
        )
        assert.doesNotMatch(refused.body, /id="currentPassword-error"/, 'not by the change-password field')
        for (const secret of ['wrong-password-1', 'Volvo Amazon', 'Paper round'])
          assert.ok(!refused.body.includes(secret), 'nothing typed is shown back')
        assert.equal(
          selected(refused.body, 'securityQuestion1'),
          'first-car',
          'the chosen questions stay chosen',
        )
      }
      assert.deepEqual(await answered(userId), ['first-pet', 'birth-city'])
      assert.deepEqual(
        await h.container.store.db
          .selectFrom('security_answers')
          .selectAll()
          .where('user_id', '=', userId)
          .execute(),
        storedBefore,
        'the earlier answers and their hashes are kept',
      )
      const saved = await browser.post('/myaccount/security-answers', {
        securityCurrentPassword: PASSWORD,
        ...replacement,
      })
      assert.equal(saved.status, 303)
      assert.deepEqual(await answered(userId), ['first-car', 'first-job'])
    })

    it('saves the answers, says so, and shows them as answered', async () => {
      const { browser, userId } = await signedInBrowser('jules')
      const saved = await browser.post('/myaccount/security-answers', {
        securityCurrentPassword: PASSWORD,
        securityQuestion1: 'first-car',
        securityAnswer1: 'Volvo Amazon',
        securityQuestion2: 'first-pet',
        securityAnswer2: PET,
      })
      assert.equal(saved.status, 303)
      assert.equal(saved.location, '/myaccount?m=security-answers-saved')
      const page = await browser.follow(saved)
      const text = pageText(page.body)
      assert.ok(text.includes('Your security answers have been saved.'), text)
      assert.ok(text.includes('You have answered 2 of the questions.'), text)
      assert.ok(!page.body.includes('Volvo') && !page.body.includes(PET))
      // Preselected: the answered questions, in the order of the tenant's list.
      assert.equal(selected(page.body, 'securityQuestion1'), 'first-pet')
      assert.equal(selected(page.body, 'securityQuestion2'), 'first-car')
      assert.deepEqual(await answered(userId), ['first-pet', 'first-car'])
      assert.equal(
        await h.container.securityQuestions.verifyAnswers(h.defaultTenant.id, userId, [
          { questionId: 'first-car', answer: 'volvoamazon' },
          { questionId: 'first-pet', answer: 'MISTER whiskers' },
        ]),
        true,
      )
      const [event] = await h.container.audit.list(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        limit: 1,
        action: 'security-answers.updated',
      })
      assert.equal(event?.actor, 'user:jules')
    })

    it('sends a signed-out browser to the sign-in page', async () => {
      const { browser, userId } = await signedInBrowser('robin')
      await browser.get('/myaccount')
      const token = browser.lastPage
      await browser.post('/logout', {})
      browser.lastPage = token
      const after = await browser.post('/myaccount/security-answers', {
        securityCurrentPassword: PASSWORD,
        securityQuestion1: 'first-pet',
        securityAnswer1: PET,
        securityQuestion2: 'birth-city',
        securityAnswer2: CITY,
      })
      assert.equal(after.status, 303)
      assert.equal(after.location, '/login?m=session-ended')
      assert.deepEqual(await answered(userId), [])
    })
  })
}
