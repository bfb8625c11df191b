import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { Page } from 'playwright-core'
import { describeConsoleInBrowser, reviewPage, signInToConsole } from './console-support.ts'
import { chooseNewPassword, mainText, signIn, withContext } from './support.ts'

const LOGIN_FAILED = 'Login failed! Please recheck the username and password and try again.'
const OLD_PASSWORD = 'Walkthrough-old-passphrase-4'
const NEW_PASSWORD = 'Walkthrough-new-passphrase-8'

/** The reset options as the settings page names them, in the reference's order. */
const RESET_OPTIONS = [
  'Email a reset link',
  'Email a one-time password',
  'One-time password handed over by an administrator',
]

/**
 * The reference documents' walk-through, entirely in the console of a fresh server: create a
 * user with an email address, create a role with the login permission and assign it, open the
 * tenant's password-reset settings and choose each option in turn (ending on the offline
 * one-time password), force the reset from the user's profile and read the One Time Password
 * field. Then the user's side: the old password fails with the reference's message, the
 * one-time password leads to a new password, and the new password signs in.
 */
describeConsoleInBrowser('the reference walk-through in the console', (suite) => {
  it('administrator and user sides of an offline one-time-password reset', {
    timeout: 180_000,
  }, async () => {
    const label = suite.kind.kind
    const otp = await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      await createUser(page, 'alex', 'alex@example.com')
      await createRoleWithLogin(page, 'test role', 'alex')
      for (const option of RESET_OPTIONS) await chooseResetOption(page, option)
      if (label === 'sqlite') await reviewPage(page, 'walkthrough-settings-offline')
      return forceResetAndReadOtp(page, 'alex', label)
    })

    await withContext(suite.browser, async (page) => {
      await signIn(page, suite.server.url, 'alex', OLD_PASSWORD)
      assert.ok((await mainText(page)).includes(LOGIN_FAILED))
      await signIn(page, suite.server.url, 'alex', otp)
      assert.equal(new URL(page.url()).pathname, '/reset-password')
      await chooseNewPassword(page, NEW_PASSWORD)
      await signIn(page, suite.server.url, 'alex', NEW_PASSWORD)
      assert.equal(new URL(page.url()).pathname, '/myaccount')
    })

    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      await openProfile(page, 'alex')
      assert.equal(
        await page.locator('[data-field="reset-pending"]').innerText(),
        'No password reset is pending',
      )
    })
  })
})

async function createUser(page: Page, username: string, email: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click()
  await page
    .getByRole('link', { name: /Create a user|New user/ })
    .first()
    .click()
  await page.getByLabel('User name').fill(username)
  await page.getByLabel('Password', { exact: false }).first().fill(OLD_PASSWORD)
  await page.getByLabel('Email address').fill(email)
  await page.getByRole('button', { name: 'Create the user' }).click()
  await page.waitForLoadState('load')
  assert.match(await mainText(page), new RegExp(username))
}

async function createRoleWithLogin(page: Page, role: string, member: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Roles' }).click()
  await page.getByRole('link', { name: 'New role' }).click()
  await page.getByLabel('Name').fill(role)
  const login = page.getByRole('checkbox', { name: 'login' })
  if (!(await login.isChecked())) await login.check()
  await page.getByRole('button', { name: 'Create the role' }).click()
  await page.waitForLoadState('load')
  await page.getByLabel('User name').fill(member)
  await page.getByRole('button', { name: 'Add user' }).click()
  await page.waitForLoadState('load')
  assert.match(await mainText(page), new RegExp(`\\b${member}\\b`))
}

async function chooseResetOption(page: Page, option: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Console' })
    .getByRole('link', { name: 'Password reset settings' })
    .click()
  await page.getByRole('radio', { name: option }).check()
  await page.getByRole('button', { name: 'Save settings' }).click()
  await page.waitForLoadState('load')
  assert.ok(await page.getByRole('radio', { name: option }).isChecked(), option)
}

async function openProfile(page: Page, username: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click()
  await page.getByRole('link', { name: username, exact: true }).click()
  await page.waitForLoadState('load')
}

async function forceResetAndReadOtp(page: Page, username: string, label: string): Promise<string> {
  await openProfile(page, username)
  // The tenant's mode (offline, just chosen) is the form's default.
  const mode = page.getByLabel('How the user receives the reset')
  assert.equal(await mode.inputValue(), 'offline-otp')
  await page.getByRole('button', { name: 'Force a password reset' }).click()
  await page.waitForLoadState('load')
  assert.match(await page.locator('[data-field="reset-pending"]').innerText(), /^Yes/)
  if (label === 'sqlite') await reviewPage(page, 'walkthrough-profile-pending')
  await page.getByRole('button', { name: 'Reveal the one-time password' }).click()
  await page.waitForLoadState('load')
  const otp = (await page.locator('[data-field="one-time-password"]').innerText()).trim()
  assert.match(otp, /^[A-Z0-9]{6,}$/)
  if (label === 'sqlite') await reviewPage(page, 'walkthrough-profile-otp')
  return otp
}
