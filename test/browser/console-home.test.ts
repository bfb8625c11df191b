import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { sqliteKind } from '../support/stores.ts'
import { reviewPage, signInToConsole } from './console-support.ts'
import {
  browserSkip,
  launchBrowser,
  mainText,
  type RunningServer,
  startServer,
  withContext,
} from './support.ts'

const skip = browserSkip()

describe('browser: console landing and navigation', { skip }, () => {
  let browser: Browser
  let server: RunningServer
  before(async () => {
    browser = await launchBrowser()
    server = await startServer(sqliteKind)
  })
  after(async () => {
    await browser?.close()
    await server?.close()
  })

  it('signs in through the sign-in page and lists every section the administrator may use', async () => {
    await withContext(browser, async (page) => {
      await signInToConsole(page, server.url)
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
