import assert from 'node:assert/strict'
import { it } from 'node:test'
import { sqliteKind } from '../support/stores.ts'
import { describeConsoleInBrowser, reviewPage, signInToConsole } from './console-support.ts'
import { mainText, withContext } from './support.ts'

describeConsoleInBrowser('console landing and navigation', { stores: [sqliteKind] }, (suite) => {
  it('signs in through the sign-in page and lists every section the administrator may use', async () => {
    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      const text = await mainText(page)
      for (const section of ['Users', 'Roles', 'Audit log', 'Tenants'])
        assert.ok(text.includes(section), section)
      const nav = page.getByRole('navigation', { name: 'Console' })
      assert.equal(await nav.getByRole('link').count(), 7)
      await reviewPage(page, 'home')
      await page.setViewportSize({ width: 420, height: 900 })
      await reviewPage(page, 'home-narrow')
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.waitForLoadState('load')
      assert.equal(new URL(page.url()).pathname, '/login')
    })
  })
})
