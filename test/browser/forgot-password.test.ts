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

const OLD_PASSWORD = 'Old-passphrase-2026'
const NEW_PASSWORD = 'Forgotten-and-renewed-passphrase-5'
const SENT = 'We sent a code to the address on the account if it exists'
const DONE = 'Your password has been reset. Sign in with your new password.'

/**
 * "Forgot password?" in a real browser against a real server whose mail goes to a real SMTP
 * server: from the sign-in page to a new password, once typing the mailed code and once
 * following the mailed link. Both ways on SQLite; the typed code on PostgreSQL too.
 */
const scenarios: Array<{ kind: StoreKind; ways: Way[] }> = [
  { kind: sqliteKind, ways: ['typed-code', 'mailed-link'] },
  { kind: postgresKind, ways: ['typed-code'] },
]

type Way = 'typed-code' | 'mailed-link'

const skip = browserSkip()

describe('browser: "Forgot password?"', { skip }, () => {
  let browser: Browser
  before(async () => {
    browser = await launchBrowser()
  })
  after(async () => browser?.close())

  for (const { kind, ways } of scenarios) {
    describe(kind.kind, { skip: kind.skip }, () => {
      let server: RunningServer
      before(async () => {
        server = await startServer(kind, { smtp: true })
      })
      after(async () => server?.close())

      for (const way of ways)
        it(`${way}: from the sign-in page to a new password that signs in`, { timeout: 120_000 }, () =>
          runScenario(browser, server, way, `forgot-${kind.kind}-${way}`),
        )
    })
  }
})

/** The mailed link, and the code in it, from the newest message to `email`. */
async function mailedCode(server: RunningServer, email: string): Promise<{ link: string; code: string }> {
  const text = await mailTo(server, email)
  const link = /https?:\/\/\S+\/forgot-password\/code\?token=[^\s"<>]+/.exec(text)?.[0]
  assert.ok(link, `a code link in: ${text}`)
  assert.ok(link.startsWith(server.url), 'the link points at the public URL')
  const code = new URL(link).searchParams.get('code') ?? ''
  assert.match(code, /^[A-Z2-9]{8}$/)
  assert.ok(text.includes(code), 'the code is in the mail to type')
  return { link, code }
}

async function continueWith(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.waitForLoadState('load')
}

async function runScenario(browser: Browser, server: RunningServer, way: Way, label: string) {
  const username = `robin-${way}`
  const email = `${username}@example.com`
  await createUserWithLoginRole(server, { username, password: OLD_PASSWORD, email })

  await withContext(browser, async (page) => {
    await page.goto(`${server.url}/login`)
    await page.getByRole('link', { name: 'Forgot password?' }).click()
    await page.waitForLoadState('load')
    assert.equal(new URL(page.url()).pathname, '/forgot-password')
    assert.ok((await mainText(page)).includes('Find your account'))
    await keepScreenshot(page, `${label}-1-find-your-account`)

    await page.getByLabel('User name or email address').fill(username)
    await continueWith(page)
    assert.ok((await mainText(page)).includes(SENT), await mainText(page))
    await keepScreenshot(page, `${label}-2-check-your-email`)
    const { link, code } = await mailedCode(server, email)

    if (way === 'typed-code') {
      await page.getByLabel('Code from the email').fill(code.toLowerCase())
      await continueWith(page)
      await finish(page, label)
    }
    if (way === 'mailed-link') {
      // A mail scanner following the link first must not use it up.
      assert.equal((await fetch(link)).status, 200)
      await withContext(browser, async (linked) => {
        await linked.goto(link)
        assert.ok((await mainText(linked)).includes(SENT))
        assert.equal(
          await linked.getByLabel('Code from the email').inputValue(),
          code,
          'the code is filled in',
        )
        await keepScreenshot(linked, `${label}-3-code-filled-in`)
        await continueWith(linked)
        await finish(linked, label)
      })
    }
  })

  await withContext(browser, async (page) => {
    await signIn(page, server.url, username, NEW_PASSWORD)
    assert.equal(new URL(page.url()).pathname, '/myaccount', 'the new password works')
    assert.ok((await mainText(page)).includes(`User name ${username}`))
    await keepScreenshot(page, `${label}-6-my-account`)
  })
  await withContext(browser, async (page) => {
    await signIn(page, server.url, username, OLD_PASSWORD)
    assert.equal(new URL(page.url()).pathname, '/login', 'the old password no longer works')
  })
}

/** The new-password page: a mismatch first (shown, nothing set), then the password. */
async function finish(page: Page, label: string): Promise<void> {
  assert.ok((await mainText(page)).includes('Choose a new password'), await mainText(page))
  assert.ok((await mainText(page)).includes('has at least'), 'the password rules are shown')
  await chooseNewPassword(page, NEW_PASSWORD, `${NEW_PASSWORD}-typo`)
  assert.ok((await mainText(page)).includes('The new password and its confirmation do not match.'))
  await keepScreenshot(page, `${label}-4-new-password-mismatch`)
  await chooseNewPassword(page, NEW_PASSWORD)
  assert.equal(new URL(page.url()).pathname, '/login')
  assert.ok((await mainText(page)).includes(DONE), await mainText(page))
  await keepScreenshot(page, `${label}-5-signed-out-with-notice`)
}
