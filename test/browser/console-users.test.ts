import assert from 'node:assert/strict'
import { before, it } from 'node:test'
import type { Page } from 'playwright-core'
import { sqliteKind } from '../support/stores.ts'
import {
  assertAccessible,
  describeConsoleInBrowser,
  followNavLink,
  reviewPage,
  signInToConsole,
} from './console-support.ts'
import { createUserWithLoginRole, mainText, withContext } from './support.ts'

const PASSWORD = 'Console-users-passphrase-3'

/**
 * The users pages in a real browser, without script (the console has none): list, the three
 * searches, a bad filter's message, the create form and its refusals, the profile, a forced
 * offline reset and the revealed one-time password, and a deletion. Screenshots are kept
 * from the SQLite run; both runs check accessibility.
 */
describeConsoleInBrowser('console users pages', (suite) => {
  /** Screenshot and accessibility check on SQLite; the check alone on PostgreSQL. */
  const review = (page: Page, name: string) =>
    suite.kind === sqliteKind ? reviewPage(page, name) : assertAccessible(page, `${suite.kind.kind} ${name}`)

  before(async () => {
    await createUserWithLoginRole(suite.server, {
      username: 'alex',
      password: PASSWORD,
      email: 'alex@example.com',
      claims: { 'http://wso2.org/claims/givenname': 'Alex' },
    })
    await createUserWithLoginRole(suite.server, {
      username: 'blair',
      password: PASSWORD,
      email: 'blair@corp.example',
    })
    for (const name of ['casey', 'dana', 'emery'])
      assert.equal(
        (
          await suite.server.admin('POST', '/api/admin/users', {
            username: name,
            claims: { 'http://wso2.org/claims/emailaddress': `${name}@example.com` },
          })
        ).status,
        201,
      )
    // One pending reset, so the list shows its badge.
    const dana = await suite.server.admin('GET', '/api/admin/users/dana')
    await suite.server.admin('POST', `/api/admin/users/${dana.body.id}/force-password-reset`, {
      mode: 'email-otp',
    })
    await suite.server.admin(
      'POST',
      `/api/admin/users/${(await suite.server.admin('GET', '/api/admin/users/emery')).body.id}/lock`,
      {
        reason: 'left-company',
      },
    )
  })

  it('lists and searches users, and shows a bad filter’s message by the field', async () => {
    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      await followNavLink(page, 'Console', 'Users')
      const list = await mainText(page)
      for (const expected of [
        'alex@example.com',
        'Reset pending email one-time password',
        'Locked reason: left-company',
      ])
        assert.ok(list.includes(expected), expected)
      await review(page, 'users-list')

      await page.getByLabel('Search by').selectOption('email')
      await page.getByLabel('Search for').fill('BLAIR@corp.example')
      await page.getByRole('button', { name: 'Search' }).click()
      await page.waitForLoadState('load')
      const byEmail = await mainText(page)
      assert.match(byEmail, /blair/)
      assert.doesNotMatch(byEmail, /alex@example\.com/)

      await page.getByLabel('Search by').selectOption('filter')
      await page.getByLabel('Search for').fill('emails.value ew "@example.com" and not (userName eq "casey")')
      await page.getByRole('button', { name: 'Search' }).click()
      await page.waitForLoadState('load')
      const byFilter = await mainText(page)
      assert.match(byFilter, /alex/)
      assert.doesNotMatch(byFilter, /casey|blair/)

      await page.getByLabel('Search for').fill('userName eq')
      await page.getByRole('button', { name: 'Search' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /There is a problem/)
      assert.equal(await page.getByLabel('Search for').getAttribute('aria-invalid'), 'true')
      await review(page, 'users-list-error')

      await page.getByRole('link', { name: 'Show all users' }).click()
      await page.waitForLoadState('load')
      await page.getByLabel('Search by').selectOption('username')
      await page.getByLabel('Search for').fill('AL')
      await page.getByRole('button', { name: 'Search' }).click()
      await page.waitForLoadState('load')
      await page.getByRole('link', { name: 'alex', exact: true }).click()
      await page.waitForLoadState('load')
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'alex')
      assert.equal(await page.getByLabel('Given name').inputValue(), 'Alex')
      await review(page, 'users-profile')
    })
  })

  it('creates a user: refusals by the fields, then the profile with a notice', async () => {
    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      await page.goto(`${suite.server.url}/console/users`)
      await page.getByRole('link', { name: 'Create a user' }).click()
      await page.waitForLoadState('load')
      await review(page, 'users-new')
      await page.getByLabel('User name').fill('alex')
      await page.getByLabel('Password (optional)').fill('short')
      await page.getByRole('button', { name: 'Create the user' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /There is a problem/)
      assert.equal(await page.getByLabel('Password (optional)').getAttribute('aria-invalid'), 'true')
      await review(page, 'users-new-errors')

      await page.getByLabel('User name').fill('frankie')
      await page.getByLabel('Password (optional)').fill('a-long-unusual-passphrase-5')
      await page.getByLabel('Email address').fill('frankie@example.com')
      await page.getByLabel('test role').check()
      await page.getByRole('button', { name: 'Create the user' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /The user was created/)
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'frankie')
      const created = await suite.server.admin('GET', '/api/admin/users/frankie')
      assert.deepEqual(created.body.roles, ['test role'])
    })
  })

  it('forces an offline reset and reveals the one-time password once', async () => {
    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      const alex = await suite.server.admin('GET', '/api/admin/users/alex')
      await page.goto(`${suite.server.url}/console/users/${alex.body.id}`)
      await page.getByLabel('How the user receives the reset').selectOption('offline-otp')
      await page.getByRole('button', { name: 'Force a password reset' }).click()
      await page.waitForLoadState('load')
      const forced = await mainText(page)
      assert.match(forced, /A password reset was forced/)
      assert.match(forced, /Yes, offline one-time password/)
      await page.getByRole('button', { name: 'Reveal the one-time password' }).click()
      await page.waitForLoadState('load')
      const otp = await page.locator('[data-field="one-time-password"]').innerText()
      assert.match(otp, /^[A-Z2-9]{8}$/)
      await review(page, 'users-profile-otp')
      const audit = await suite.server.admin('GET', '/api/admin/audit?action=user.one-time-password-read')
      assert.equal(audit.status, 200, JSON.stringify(audit.body))
      assert.ok(JSON.stringify(audit.body).includes(alex.body.id))
      await page.getByRole('button', { name: 'Cancel the reset' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /The pending password reset was cancelled/)
    })
  })

  it('deletes a user after the confirmation page', async () => {
    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      const casey = await suite.server.admin('GET', '/api/admin/users/casey')
      await page.goto(`${suite.server.url}/console/users/${casey.body.id}`)
      await page.getByRole('link', { name: 'Delete this user' }).click()
      await page.waitForLoadState('load')
      await review(page, 'users-delete')
      await page.getByRole('button', { name: 'Delete the user' }).click()
      await page.waitForLoadState('load')
      assert.equal(new URL(page.url()).pathname, '/console/users')
      assert.match(await mainText(page), /The user was deleted/)
      assert.equal((await suite.server.admin('GET', '/api/admin/users/casey')).status, 404)
    })
  })
})
