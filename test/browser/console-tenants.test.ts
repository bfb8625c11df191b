import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { storeKinds } from '../support/stores.ts'
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
const TENANT_PASSWORD = 'Browser-Tenant-Passphrase-1'

for (const kind of storeKinds) {
  describe(`browser (${kind.kind}): console tenants`, { skip: skip || kind.skip }, () => {
    let browser: Browser
    let server: RunningServer
    before(async () => {
      browser = await launchBrowser()
      server = await startServer(kind)
      // Two more tenants, one of them disabled, so the list shows both states.
      for (const domain of ['partners.example', 'archive.example']) {
        const created = await server.admin('POST', '/api/admin/tenants', {
          domain,
          displayName: domain === 'partners.example' ? 'Partners' : 'Archive (2019)',
          adminPassword: TENANT_PASSWORD,
        })
        assert.equal(created.status, 201)
      }
      const disabled = await server.admin('PATCH', '/api/admin/tenants/archive.example', {
        status: 'disabled',
      })
      assert.equal(disabled.status, 200)
    })
    after(async () => {
      await browser?.close()
      await server?.close()
    })

    it('creates a tenant through the form, disables it after confirming and enables it', {
      timeout: 120_000,
    }, async () => {
      await withContext(browser, async (page) => {
        await signInToConsole(page, server.url)
        await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Tenants' }).click()
        await page.waitForLoadState('load')
        assert.equal(new URL(page.url()).pathname, '/console/tenants')
        await reviewPage(page, 'tenants-list')

        await page.getByRole('link', { name: 'New tenant' }).click()
        await page.waitForLoadState('load')
        await page.getByLabel('Domain').fill('browser.example')
        await page.getByLabel('Display name').fill('Browser Example')
        await page.getByLabel('Administrator password', { exact: true }).fill(TENANT_PASSWORD)
        await page.getByLabel('Confirm the administrator password').fill('Something-else-1')
        await page.getByRole('button', { name: 'Create tenant' }).click()
        await page.waitForLoadState('load')
        assert.match(await mainText(page), /The two passwords do not match/)
        assert.equal(await page.getByLabel('Domain').inputValue(), 'browser.example')
        await reviewPage(page, 'tenants-new')

        await page.getByLabel('Administrator password', { exact: true }).fill(TENANT_PASSWORD)
        await page.getByLabel('Confirm the administrator password').fill(TENANT_PASSWORD)
        await page.getByRole('button', { name: 'Create tenant' }).click()
        await page.waitForLoadState('load')
        assert.equal(new URL(page.url()).pathname, '/console/tenants')
        assert.match(await mainText(page), /The tenant was created/)
        const row = page.getByRole('row', { name: /browser\.example/ })
        assert.match(await row.innerText(), /Browser Example\s+Active/)

        await row.getByRole('link', { name: 'Disable browser.example' }).click()
        await page.waitForLoadState('load')
        assert.match(await mainText(page), /Disabling ends the tenant’s sign-ins/)
        await reviewPage(page, 'tenants-disable')
        await page.getByRole('button', { name: 'Disable browser.example' }).click()
        await page.waitForLoadState('load')
        assert.match(await mainText(page), /The tenant was disabled/)
        assert.match(await page.getByRole('row', { name: /browser\.example/ }).innerText(), /Disabled/)
        const refused = await fetch(`${server.url}/t/browser.example/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: TENANT_PASSWORD }),
        })
        assert.equal(refused.status, 401)

        await page.getByRole('button', { name: 'Enable browser.example' }).click()
        await page.waitForLoadState('load')
        assert.match(await mainText(page), /The tenant was enabled/)
        assert.match(await page.getByRole('row', { name: /browser\.example/ }).innerText(), /Active/)
      })
    })
  })
}
