import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { postgresKind, type StoreKind, sqliteKind } from '../support/stores.ts'
import {
  browserSkip,
  chooseNewPassword,
  createUserWithLoginRole,
  keepScreenshot,
  launchBrowser,
  mailTo,
  mainText,
  type RunningServer,
  signIn,
  startServer,
  withContext,
} from './support.ts'

const LOGIN_FAILED = 'Login failed! Please recheck the username and password and try again.'
const OLD_PASSWORD = 'Old-passphrase-2026'
const NEW_PASSWORD = 'New-passphrase-after-reset-7'

type Mode = 'email-link' | 'email-otp' | 'offline-otp'

/**
 * The reference documents' "try it out", in a real browser against a real server, for each
 * mode: a user with an email address and a role with the login permission signs in; the
 * administrator forces a reset; the old password fails with the reference's message; the
 * emailed link (read from a real SMTP server), the emailed one-time password or the one an
 * administrator reads leads to a new password; the new password works and the old one does not.
 * All three modes on SQLite; the emailed link, the default mode, on PostgreSQL too.
 */
const scenarios: Array<{ kind: StoreKind; modes: Mode[] }> = [
  { kind: sqliteKind, modes: ['email-link', 'email-otp', 'offline-otp'] },
  { kind: postgresKind, modes: ['email-link'] },
]

const skip = browserSkip()

describe('browser: forced password reset, the reference scenarios', { skip }, () => {
  let browser: Browser
  before(async () => {
    browser = await launchBrowser()
  })
  after(async () => browser?.close())

  for (const { kind, modes } of scenarios) {
    describe(kind.kind, { skip: kind.skip }, () => {
      let server: RunningServer
      before(async () => {
        server = await startServer(kind, { smtp: true })
      })
      after(async () => server?.close())

      for (const mode of modes)
        it(`${mode}: old password refused, reset, new password works`, { timeout: 120_000 }, () =>
          runScenario(browser, server, mode, `${kind.kind}-${mode}`),
        )
    })
  }
})

async function runScenario(browser: Browser, server: RunningServer, mode: Mode, label: string) {
  const username = `alex-${mode}`
  const email = `${username}@example.com`
  const userId = await createUserWithLoginRole(server, { username, password: OLD_PASSWORD, email })

  await withContext(browser, async (page) => {
    await signIn(page, server.url, username, OLD_PASSWORD)
    assert.equal(new URL(page.url()).pathname, '/myaccount')
    assert.ok((await mainText(page)).includes(`User name ${username}`))
  })

  const forced = await server.admin('POST', `/api/admin/users/${userId}/force-password-reset`, { mode })
  assert.equal(forced.status, 200, JSON.stringify(forced.body))
  assert.equal(forced.body.mode, mode)

  await withContext(browser, async (page) => {
    await signIn(page, server.url, username, OLD_PASSWORD)
    assert.equal(new URL(page.url()).pathname, '/login')
    assert.ok(
      (await mainText(page)).includes(LOGIN_FAILED),
      'the old password fails with the reference message',
    )
    await expectStyled(page)
    await keepScreenshot(page, `${label}-1-old-password-refused`)

    if (mode === 'email-link') {
      const text = await mailTo(server, email)
      const link = /https?:\/\/\S+\/reset-password\?token=[\w-]+/.exec(text)?.[0]
      assert.ok(link, `a reset link in: ${text}`)
      assert.ok(link.startsWith(server.url), 'the link points at the public URL')
      // A mail scanner following the link first must not use it up.
      assert.equal((await fetch(link)).status, 200)
      await page.goto(link)
      assert.ok((await mainText(page)).includes(`Choose a new password for ${username}`))
    } else {
      const otp =
        mode === 'email-otp'
          ? (/^ {4}([A-Z2-9]{8})$/m.exec(await mailTo(server, email))?.[1] ?? '')
          : (await server.admin('GET', `/api/admin/users/${userId}/one-time-password`)).body.oneTimePassword
      assert.match(otp, /^[A-Z2-9]{8}$/)
      await page.goto(`${server.url}/login/one-time-password`)
      await page.getByLabel('User name').fill(username)
      await page.getByLabel('One-time password').fill(otp)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.waitForLoadState('load')
      assert.equal(
        new URL(page.url()).pathname,
        '/reset-password',
        'the one-time password leads to the reset page',
      )
    }
    await keepScreenshot(page, `${label}-2-choose-new-password`)
    await chooseNewPassword(page, NEW_PASSWORD)
    assert.ok((await mainText(page)).includes('Your new password is set.'), await mainText(page))
    await keepScreenshot(page, `${label}-3-password-changed`)
  })

  await withContext(browser, async (page) => {
    await signIn(page, server.url, username, NEW_PASSWORD)
    assert.equal(new URL(page.url()).pathname, '/myaccount', 'the new password works')
    assert.ok((await mainText(page)).includes(`User name ${username}`))
    await keepScreenshot(page, `${label}-4-my-account`)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForLoadState('load')
    await signIn(page, server.url, username, OLD_PASSWORD)
    assert.ok((await mainText(page)).includes(LOGIN_FAILED), 'the old password still fails')
    await keepScreenshot(page, `${label}-5-old-password-still-refused`)
  })
}

/** The page loaded its stylesheet under its Content-Security-Policy (a blocked one has no rules). */
async function expectStyled(page: Page) {
  const rules = await page.evaluate(
    "[...document.styleSheets].filter((sheet) => sheet.href && sheet.href.includes('/assets/rekey.')).reduce((count, sheet) => count + sheet.cssRules.length, 0)",
  )
  assert.ok(Number(rules) > 10, 'the stylesheet loaded under the page policy')
}
