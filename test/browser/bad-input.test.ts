import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { freePort } from '../support/processes.ts'
import { sqliteKind } from '../support/stores.ts'
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

const PASSWORD = 'Current-passphrase-1'
const INVALID = 'The password reset link is invalid or has expired.'
const EXPIRED_FORM = 'This form has expired'

const skip = browserSkip()

/** What a person can get wrong, or an attacker can try, in the browser: each a clear page. */
describe('browser: bad links, forged forms and My Account', { skip }, () => {
  let browser: Browser
  let server: RunningServer
  before(async () => {
    browser = await launchBrowser()
    server = await startServer(sqliteKind, { smtp: true })
  })
  after(async () => {
    await browser?.close()
    await server?.close()
  })

  async function resetLinkFor(username: string): Promise<string> {
    const userId = await createUserWithLoginRole(server, {
      username,
      password: PASSWORD,
      email: `${username}@example.com`,
    })
    const forced = await server.admin('POST', `/api/admin/users/${userId}/force-password-reset`, {
      mode: 'email-link',
    })
    assert.equal(forced.status, 200, JSON.stringify(forced.body))
    const link = /https?:\/\/\S+\/reset-password\?token=[\w-]+/.exec(
      await mailTo(server, `${username}@example.com`),
    )?.[0]
    assert.ok(link)
    return link
  }

  it('unknown, tampered and used links show the "invalid or expired" page', {
    timeout: 120_000,
  }, async () => {
    const link = await resetLinkFor('blake')
    const token = new URL(link).searchParams.get('token')!
    const tampered = `${link.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`
    await withContext(browser, async (page) => {
      for (const [label, url] of [
        ['unknown', `${server.url}/reset-password?token=not-a-real-token`],
        ['tampered', tampered],
      ]) {
        const response = await page.goto(url!)
        assert.equal(response?.status(), 400, label)
        assert.ok((await mainText(page)).includes(INVALID), label)
      }
      await keepScreenshot(page, 'bad-link-tampered')

      await page.goto(link)
      await chooseNewPassword(page, 'Chosen-passphrase-9')
      assert.ok((await mainText(page)).includes('Password changed'))
      const reused = await page.goto(link)
      assert.equal(reused?.status(), 400)
      assert.ok((await mainText(page)).includes(INVALID), 'a used link')
      await keepScreenshot(page, 'bad-link-used')
    })
  })

  it('a form posted without its CSRF token, or from another site, is refused with "form expired"', {
    timeout: 120_000,
  }, async () => {
    const link = await resetLinkFor('casey')
    await withContext(browser, async (page) => {
      await page.goto(link)
      await page.evaluate("document.querySelector('input[name=csrf]').remove()")
      await page.getByLabel('New password', { exact: true }).fill('Chosen-passphrase-9')
      await page.getByLabel('Confirm the new password').fill('Chosen-passphrase-9')
      const [response] = await Promise.all([
        page.waitForResponse((answer) => answer.request().method() === 'POST'),
        page.getByRole('button', { name: 'Set the new password' }).click(),
      ])
      assert.equal(response.status(), 403)
      await page.waitForLoadState('load')
      assert.ok((await mainText(page)).includes(EXPIRED_FORM))
      await keepScreenshot(page, 'csrf-missing-token')
      await page.goto(link)
      assert.ok(
        (await mainText(page)).includes('Choose a new password for casey'),
        'the refused post used nothing up',
      )
    })

    // Another site's page that posts a sign-in form to Rekey as soon as it loads.
    const evilPort = await freePort()
    const evil: Server = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html')
      response.end(
        `<form id="f" method="post" action="${server.url}/login"><input name="username" value="casey"><input name="password" value="${PASSWORD}"><input name="csrf" value="guess"></form><script>document.getElementById('f').submit()</script>`,
      )
    })
    await new Promise<void>((resolve) => evil.listen(evilPort, 'localhost', resolve))
    try {
      await withContext(browser, async (page) => {
        await page.goto(`${server.url}/login`)
        const [response] = await Promise.all([
          page.waitForResponse(
            (answer) => answer.url() === `${server.url}/login` && answer.request().method() === 'POST',
          ),
          page.goto(`http://localhost:${evilPort}/`),
        ])
        assert.equal(response.status(), 403)
        await page.waitForLoadState('load')
        assert.ok((await mainText(page)).includes(EXPIRED_FORM))
        await keepScreenshot(page, 'csrf-cross-site-post')
      })
    } finally {
      await new Promise((resolve) => evil.close(resolve))
    }
  })

  it('My Account: a wrong current password is shown; the change works; sign-out ends the session', {
    timeout: 120_000,
  }, async () => {
    await createUserWithLoginRole(server, { username: 'drew', password: PASSWORD, email: 'drew@example.com' })
    await withContext(browser, async (page) => {
      await signIn(page, server.url, 'drew', PASSWORD)
      assert.equal(new URL(page.url()).pathname, '/myaccount')
      // The security-questions form asks for the current password too: this is the change form's.
      const currentPassword = () =>
        page.getByRole('region', { name: 'Change password' }).getByLabel('Current password')
      await currentPassword().fill('not-my-password')
      await chooseNewPassword(page, 'Changed-passphrase-4')
      assert.ok(
        (await page.locator('.error-summary').innerText()).includes('The current password is not correct.'),
      )
      await keepScreenshot(page, 'account-wrong-current-password')
      await currentPassword().fill(PASSWORD)
      await chooseNewPassword(page, 'Changed-passphrase-4')
      assert.ok((await mainText(page)).includes('Your password has been changed.'))
      await keepScreenshot(page, 'account-password-changed')
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.waitForLoadState('load')
      assert.ok((await mainText(page)).includes('You have signed out.'))
      await keepScreenshot(page, 'account-signed-out')
      await page.goto(`${server.url}/myaccount`)
      assert.equal(new URL(page.url()).pathname, '/login', 'the session is over')
      await signIn(page, server.url, 'drew', PASSWORD)
      assert.ok((await mainText(page)).includes('Login failed!'))
      await signIn(page, server.url, 'drew', 'Changed-passphrase-4')
      assert.equal(new URL(page.url()).pathname, '/myaccount')
    })
  })
})
