import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeConsoleInBrowser, reviewPage, signInToConsole } from './console-support.ts'
import { mainText, withContext } from './support.ts'

/**
 * The console pages the area suites do not already review — confirmation pages, a single outbox
 * message, a question's edit page, the email landing, the not-found page — each opened in a
 * real browser, screenshotted and checked with axe, so that every page of the console is.
 */
describeConsoleInBrowser('console, the remaining pages', (suite) => {
  it('confirmation, detail and message pages are accessible', async () => {
    const { server, browser, kind } = suite
    const role = await server.admin('POST', '/api/admin/roles', {
      name: 'auditors',
      permissions: ['audit:read'],
    })
    assert.equal(role.status, 201, JSON.stringify(role.body))
    const user = await server.admin('POST', '/api/admin/users', {
      username: 'casey',
      claims: { 'http://wso2.org/claims/emailaddress': 'casey@example.com' },
    })
    assert.equal(user.status, 201, JSON.stringify(user.body))
    const forced = await server.admin('POST', `/api/admin/users/${user.body.id}/force-password-reset`, {
      mode: 'email-link',
    })
    assert.equal(forced.status, 200, JSON.stringify(forced.body))
    const shot = (page: Parameters<typeof reviewPage>[0], name: string) =>
      kind.kind === 'sqlite' ? reviewPage(page, name) : reviewPage(page, `${name}-postgres`)

    await withContext(browser, async (page) => {
      await signInToConsole(page, server.url)
      const open = async (path: string, expected: RegExp) => {
        const answer = await page.goto(`${server.url}/console${path}`)
        assert.equal(answer?.status(), 200, path)
        assert.match(await mainText(page), expected, path)
      }

      await open('/email', /Templates/)
      await shot(page, 'email-home')

      await open('/email/templates/AdminForcedPasswordReset/en/reset', /default/i)
      await shot(page, 'email-template-reset')

      await open('/roles/auditors/delete', /auditors/)
      await shot(page, 'roles-delete')

      await open('/settings/security-questions', /question/i)
      await page.getByRole('link', { name: /^Edit/ }).first().click()
      await page.waitForLoadState('load')
      assert.match(new URL(page.url()).pathname, /\/console\/settings\/security-questions\/[^/]+\/edit$/)
      await shot(page, 'settings-security-question')

      await open('/email/outbox', /casey@example\.com/)
      await page.locator('main a[href*="/console/email/outbox/"]').first().click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /casey@example\.com/)
      await shot(page, 'email-outbox-message')

      const missing = await page.goto(`${server.url}/console/no-such-page`)
      assert.equal(missing?.status(), 404)
      await shot(page, 'not-found')
    })
  })
})
