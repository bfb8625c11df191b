import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { sqliteKind } from '../support/stores.ts'
import {
  browserSkip,
  chooseNewPassword,
  createUserWithLoginRole,
  keepScreenshot,
  launchBrowser,
  mainText,
  type RunningServer,
  signIn,
  startServer,
  withContext,
} from './support.ts'

const RESET_CLAIM = 'http://wso2.org/claims/resetPassword'
const PASSWORD = 'Current-passphrase-1'

const skip = browserSkip()

/**
 * The reference's reset-password action at sign-in: a user whose `resetPassword` attribute is
 * true is asked for a new password after a correct one, with or without Skip; the strength
 * expression and the password policy are enforced on the page, each refusal shown by its field.
 */
describe('browser: the reset-password prompt at sign-in', { skip }, () => {
  let browser: Browser
  before(async () => {
    browser = await launchBrowser()
  })
  after(async () => browser?.close())

  describe('without skip, with a strength expression', () => {
    let server: RunningServer
    before(async () => {
      server = await startServer(sqliteKind, {
        env: {
          REKEY_RESET_PROMPT_ENABLED: 'true',
          REKEY_RESET_PROMPT_REGULAR_EXPRESSION: '^(?=.*\\d)(?=.*[A-Z])',
        },
      })
      const policy = await server.admin('PATCH', '/api/admin/password-policy', {
        forbidUserName: true,
        checkCommonPasswords: true,
        historyCount: 5,
      })
      assert.equal(policy.status, 200, JSON.stringify(policy.body))
    })
    after(async () => server?.close())

    it('refusals are shown on the page; the new password is set and the next sign-in is not prompted', {
      timeout: 120_000,
    }, async () => {
      await createUserWithLoginRole(server, {
        username: 'morgan',
        password: PASSWORD,
        email: 'morgan@example.com',
        claims: { [RESET_CLAIM]: 'true' },
      })
      await withContext(browser, async (page) => {
        await signIn(page, server.url, 'morgan', PASSWORD)
        assert.equal(new URL(page.url()).pathname, '/password-prompt')
        assert.ok((await mainText(page)).includes('Your administrator asks you to choose a new password'))
        assert.equal(await page.getByRole('button', { name: 'Skip for now' }).count(), 0, 'no Skip')
        await keepScreenshot(page, 'prompt-no-skip-1-asked')

        const refusals: Array<[string, string, string]> = [
          ['', '', 'Enter a new password.'],
          [
            'Another-passphrase-2',
            'Another-passphrase-3',
            'The new password and its confirmation do not match.',
          ],
          ['no-digit-or-capital', 'no-digit-or-capital', 'The new password is too weak.'],
          ['Morgan-2026', 'Morgan-2026', 'The password must not contain the user name.'],
          ['Sh0rt', 'Sh0rt', 'The password must be at least 8 characters.'],
          ['Password1', 'Password1', 'The password is too common or too easy to guess.'],
          [PASSWORD, PASSWORD, 'The password must differ from the last 5 passwords.'],
        ]
        for (const [password, confirmation, message] of refusals) {
          await chooseNewPassword(page, password, confirmation)
          const summary = await page.locator('.error-summary').innerText()
          assert.ok(summary.includes(message), `${message} in the summary: ${summary}`)
          const invalid = page.locator('[aria-invalid="true"]')
          assert.equal(await invalid.count(), 1, `${message}: one field marked`)
          const describedBy = (await invalid.getAttribute('aria-describedby')) ?? ''
          assert.match(describedBy, /-error/, 'the message is tied to the field')
        }
        await chooseNewPassword(page, 'Sh0rt', 'Sh0rt')
        await keepScreenshot(page, 'prompt-no-skip-2-policy-violation')

        await chooseNewPassword(page, 'Chosen-passphrase-9')
        assert.equal(new URL(page.url()).pathname, '/myaccount')
        assert.ok((await mainText(page)).includes('Your new password is set.'))
        await keepScreenshot(page, 'prompt-no-skip-3-my-account')
      })
      const user = await server.admin('GET', '/api/admin/users/morgan')
      assert.equal(user.body.claims[RESET_CLAIM], undefined, 'the attribute is cleared')
      await withContext(browser, async (page) => {
        await signIn(page, server.url, 'morgan', 'Chosen-passphrase-9')
        assert.equal(new URL(page.url()).pathname, '/myaccount', 'not prompted again')
      })
      await withContext(browser, async (page) => {
        await signIn(page, server.url, 'morgan', PASSWORD)
        assert.ok((await mainText(page)).includes('Login failed!'))
      })
    })
  })

  describe('with skip allowed', () => {
    let server: RunningServer
    before(async () => {
      server = await startServer(sqliteKind, {
        env: { REKEY_RESET_PROMPT_ENABLED: 'true', REKEY_RESET_PROMPT_ALLOW_SKIP: 'true' },
      })
    })
    after(async () => server?.close())

    it('Skip goes on with the current password, and the prompt comes back at the next sign-in', {
      timeout: 120_000,
    }, async () => {
      await createUserWithLoginRole(server, {
        username: 'riley',
        password: PASSWORD,
        email: 'riley@example.com',
        claims: { [RESET_CLAIM]: 'true' },
      })
      await withContext(browser, async (page) => {
        await signIn(page, server.url, 'riley', PASSWORD)
        assert.equal(new URL(page.url()).pathname, '/password-prompt')
        await keepScreenshot(page, 'prompt-skip-1-asked')
        await page.getByRole('button', { name: 'Skip for now' }).click()
        await page.waitForLoadState('load')
        assert.equal(new URL(page.url()).pathname, '/myaccount')
        assert.ok((await mainText(page)).includes('User name riley'))
        await keepScreenshot(page, 'prompt-skip-2-my-account')
      })
      await withContext(browser, async (page) => {
        await signIn(page, server.url, 'riley', PASSWORD)
        assert.equal(
          new URL(page.url()).pathname,
          '/password-prompt',
          'asked again: the attribute is still true',
        )
        await chooseNewPassword(page, 'Chosen-passphrase-9')
        assert.equal(new URL(page.url()).pathname, '/myaccount')
        await keepScreenshot(page, 'prompt-skip-3-changed')
      })
    })
  })
})
