import assert from 'node:assert/strict'
import { before, it } from 'node:test'
import { describeConsoleInBrowser, followNavLink, reviewPage, signInToConsole } from './console-support.ts'
import { mainText, withContext } from './support.ts'

const TENANT_PASSWORD = 'Browser-Tenant-Passphrase-1'

describeConsoleInBrowser('console tenants', (suite) => {
  before(async () => {
    // Two more tenants, one of them disabled, so the list shows both states.
    for (const domain of ['partners.example', 'archive.example']) {
      const created = await suite.server.admin('POST', '/api/admin/tenants', {
        domain,
        displayName: domain === 'partners.example' ? 'Partners' : 'Archive (2019)',
        adminPassword: TENANT_PASSWORD,
      })
      assert.equal(created.status, 201)
    }
    const disabled = await suite.server.admin('PATCH', '/api/admin/tenants/archive.example', {
      status: 'disabled',
    })
    assert.equal(disabled.status, 200)
  })

  it('creates a tenant through the form, disables it after confirming and enables it', {
    timeout: 120_000,
  }, async () => {
    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      await followNavLink(page, 'Console', 'Tenants')
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
      const refused = await fetch(`${suite.server.url}/t/browser.example/api/auth/login`, {
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
