import assert from 'node:assert/strict'
import { before, it } from 'node:test'
import type { Page } from 'playwright-core'
import { sqliteKind } from '../support/stores.ts'
import { describeConsoleInBrowser, followNavLink, reviewPage, signInToConsole } from './console-support.ts'
import { createUserWithLoginRole, mainText, withContext } from './support.ts'

/** The reset methods as the page labels their radio buttons. */
const methods = [
  { mode: 'email-otp', label: 'Email a one-time password' },
  { mode: 'offline-otp', label: 'One-time password handed over by an administrator' },
  { mode: 'email-link', label: 'Email a reset link' },
] as const

/** Submits the page's main form with its button, as a person would, and waits for the next page. */
async function save(page: Page, button: string): Promise<void> {
  await page.getByRole('button', { name: button }).click()
  await page.waitForLoadState('load')
}

/**
 * The reference's "choose the password-reset option", in a real browser against a real server:
 * an administrator opens the password reset settings, chooses each method with its radio
 * button and saves; a reset forced afterwards (with no method named) uses that method. A
 * value out of range is shown on the page, by its field, and nothing changes. Every settings
 * page is screenshot and checked for accessibility (SQLite; the walk-through on both stores).
 */
describeConsoleInBrowser('console settings', (suite) => {
  let userId: string
  before(async () => {
    userId = await createUserWithLoginRole(suite.server, {
      username: 'robin-settings',
      password: 'Robin-settings-passphrase-3',
      email: 'robin-settings@example.com',
    })
  })

  it('chooses each password-reset method through its radio button; a forced reset then uses it', {
    timeout: 120_000,
  }, async () => {
    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      await followNavLink(page, 'Console', 'Password reset settings')
      assert.equal(new URL(page.url()).pathname, '/console/settings/password-reset')
      assert.equal(await page.getByLabel('Email a reset link').isChecked(), true)
      if (suite.kind === sqliteKind) await reviewPage(page, 'settings-password-reset')

      for (const { mode, label } of methods) {
        await page.getByLabel(label).check()
        await save(page, 'Save settings')
        assert.match(await mainText(page), /The password reset settings were saved/)
        assert.equal(await page.getByLabel(label).isChecked(), true, label)
        const policy = await suite.server.admin('GET', '/api/admin/reset-policy')
        assert.equal(policy.body.effective.mode, mode)
        const forced = await suite.server.admin('POST', `/api/admin/users/${userId}/force-password-reset`, {})
        assert.equal(forced.status, 200, JSON.stringify(forced.body))
        assert.equal(forced.body.mode, mode)
        const cancelled = await suite.server.admin(
          'DELETE',
          `/api/admin/users/${userId}/force-password-reset`,
        )
        assert.ok(cancelled.status < 300, JSON.stringify(cancelled.body))
      }
    })
  })

  it('shows a refused value on the page, by its field, and changes nothing', {
    timeout: 120_000,
  }, async () => {
    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      await page.goto(`${suite.server.url}/console/settings/password-reset`)
      await page.getByLabel('One-time password length').fill('99')
      await page.getByLabel('Email a one-time password').check()
      await save(page, 'Save settings')
      const summary = page.getByRole('alert')
      assert.match(await summary.innerText(), /One-time password length: must be a whole number from 6 to 32/)
      assert.equal(await page.getByLabel('One-time password length').getAttribute('aria-invalid'), 'true')
      assert.equal(await page.getByLabel('One-time password length').inputValue(), '99')
      await summary.getByRole('link', { name: /One-time password length/ }).click()
      assert.equal(new URL(page.url()).hash, '#otpLength')
      if (suite.kind === sqliteKind) await reviewPage(page, 'settings-error')
      const policy = await suite.server.admin('GET', '/api/admin/reset-policy')
      assert.equal(policy.body.effective.otpLength, 8)
      assert.equal(policy.body.effective.mode, 'email-link')
    })
  })

  it('shows the password policy, self-service and security question pages', {
    skip: suite.kind !== sqliteKind,
    timeout: 120_000,
  }, async () => {
    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      await page.goto(`${suite.server.url}/console/settings/password-reset`)
      const settingsNav = page.getByRole('navigation', { name: 'Settings pages' })

      await settingsNav.getByRole('link', { name: 'Password policy' }).click()
      await page.waitForLoadState('load')
      await page.getByLabel('Minimum length').fill('10')
      await save(page, 'Save policy')
      assert.match(await mainText(page), /The password policy was saved/)
      await reviewPage(page, 'settings-password-policy')

      await settingsNav.getByRole('link', { name: 'Self-service' }).click()
      await page.waitForLoadState('load')
      await page.getByLabel('Step 2').selectOption('kbaSecurityAnswerVerificationStage')
      await save(page, 'Save settings')
      assert.match(await mainText(page), /The self-service reset settings were saved/)
      const selfService = await suite.server.admin('GET', '/api/admin/selfservice-policy')
      assert.deepEqual(selfService.body.effective.stages, [
        'userQuery',
        'kbaSecurityAnswerVerificationStage',
        'resetStage',
      ])
      await reviewPage(page, 'settings-self-service')

      await settingsNav.getByRole('link', { name: 'Security questions' }).click()
      await page.waitForLoadState('load')
      await page.getByLabel('Id', { exact: true }).fill('first-concert')
      await page.getByLabel('English text').fill('Which band did you first see live?')
      await page.getByLabel('Language 1', { exact: true }).fill('fr')
      await page.getByLabel('Text in language 1').fill('Quel groupe avez-vous vu en concert en premier ?')
      await save(page, 'Add question')
      assert.match(await mainText(page), /The security question was added/)
      assert.match(await mainText(page), /first-concert/)
      await reviewPage(page, 'settings-security-questions')
    })
  })
})
