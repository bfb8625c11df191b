import assert from 'node:assert/strict'
import { it } from 'node:test'
import { CSRF_FIELD } from '../../src/http/pages/csrf.ts'
import {
  type ConsoleBrowserSuite,
  describeConsoleInBrowser,
  reviewPage,
  signInToConsole,
} from './console-support.ts'
import { mainText, withContext } from './support.ts'

const HELPDESK_PASSWORD = 'Helpdesk-console-passphrase-3'

/** A role that may manage users but nothing else, and a user holding it (HELPDESK_PASSWORD). */
async function deskOperator(server: ConsoleBrowserSuite['server'], roleName: string, username: string) {
  const role = await server.admin('POST', '/api/admin/roles', {
    name: roleName,
    permissions: ['login', 'users:read', 'users:write'],
  })
  assert.equal(role.status, 201, JSON.stringify(role.body))
  const user = await server.admin('POST', '/api/admin/users', {
    username,
    password: HELPDESK_PASSWORD,
    roles: [roleName],
  })
  assert.equal(user.status, 201, JSON.stringify(user.body))
}

/**
 * The permission check in a real browser: a help-desk role that may read and change
 * users but not force resets sees no force-reset action on a profile, and a force-reset form
 * post crafted in the same browser (its own cookies and a valid CSRF token) gets the 403 page
 * and starts no reset.
 */
describeConsoleInBrowser('console permissions', (suite) => {
  it('a role without reset:force sees no force-reset action and a crafted post is refused', async () => {
    const { server, browser, kind } = suite
    await deskOperator(server, 'help desk', 'helpdesk')
    const target = await server.admin('POST', '/api/admin/users', {
      username: 'jordan',
      claims: { 'http://wso2.org/claims/emailaddress': 'jordan@example.com' },
    })
    assert.equal(target.status, 201, JSON.stringify(target.body))

    await withContext(browser, async (page, context) => {
      await signInToConsole(page, server.url, { username: 'helpdesk', password: HELPDESK_PASSWORD })
      const nav = page.getByRole('navigation', { name: 'Console' })
      assert.equal(await nav.getByRole('link', { name: 'Bulk force reset' }).count(), 0)
      await page.goto(`${server.url}/console/users/${target.body.id}`)
      assert.ok((await mainText(page)).includes('jordan'))
      assert.equal(await page.getByRole('button', { name: /Force a (password|new) reset/ }).count(), 0)
      assert.equal(await page.getByRole('button', { name: 'Reveal the one-time password' }).count(), 0)
      // What the help desk may do is still there.
      assert.ok((await page.getByRole('button', { name: 'Lock the account' }).count()) > 0)
      if (kind.kind === 'sqlite') await reviewPage(page, 'users-profile-helpdesk')

      // The crafted post: this browser's cookies, a genuine token, the route the form would use.
      const token = await page.locator(`input[name="${CSRF_FIELD}"]`).first().inputValue()
      const crafted = await context.request.post(
        `${server.url}/console/users/${target.body.id}/force-reset`,
        {
          form: { [CSRF_FIELD]: token, mode: 'email-link' },
          headers: { origin: server.url },
          maxRedirects: 0,
        },
      )
      assert.equal(crafted.status(), 403)
      assert.match(await crafted.text(), /This needs the reset:force permission/)
      const bulk = await context.request.get(`${server.url}/console/bulk-reset`, { maxRedirects: 0 })
      assert.equal(bulk.status(), 403)
    })

    const state = await server.admin('GET', `/api/admin/users/${target.body.id}`)
    assert.equal(state.status, 200)
    assert.equal(state.body.status, 'active', 'no reset was forced')
  })

  it('a lock refused by the caller powers or by the last administrator rule is said on the profile', async () => {
    const { server, browser } = suite
    await deskOperator(server, 'lock desk', 'lockdesk')

    const lockAdmin = async (credentials?: { username: string; password: string }) =>
      withContext(browser, async (page) => {
        await signInToConsole(page, server.url, credentials)
        await page.goto(`${server.url}/console/users/admin`)
        await page.getByLabel('Reason').fill('left-company')
        await page.getByRole('button', { name: 'Lock the account' }).click()
        await page.waitForLoadState()
        const alert = await page.getByRole('alert').innerText()
        // The profile again, with the reason by the form: not the console's error page.
        assert.ok(await page.getByRole('button', { name: 'Lock the account' }).isVisible())
        assert.equal(await page.getByRole('heading', { name: 'Not possible' }).count(), 0)
        assert.equal(await page.getByLabel('Reason').inputValue(), 'left-company')
        return alert
      })

    // A help desk may lock users, not an administrator holding more than it does.
    assert.match(
      await lockAdmin({ username: 'lockdesk', password: HELPDESK_PASSWORD }),
      /which these credentials do not hold/,
    )
    // The administrator may not lock the tenant's last active administrator, itself.
    assert.match(await lockAdmin(), /last active member of the administrator role/)

    const admin = await server.admin('GET', '/api/admin/users/admin')
    assert.equal(admin.status, 200, JSON.stringify(admin.body))
    assert.equal(admin.body.status, 'active', 'neither lock was applied')
  })
})
