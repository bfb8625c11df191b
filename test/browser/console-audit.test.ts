import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { before, it } from 'node:test'
import { describeConsoleInBrowser, followNavLink, reviewPage, signInToConsole } from './console-support.ts'
import { mainText, withContext } from './support.ts'

describeConsoleInBrowser('console audit log', (suite) => {
  before(async () => {
    // Failed sign-ins under two names: something to filter.
    for (const username of ['ghost', 'ghost', 'ghost', '=formula', 'someone'])
      await fetch(`${suite.server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: 'not-the-password-1' }),
      })
    const role = await suite.server.admin('POST', '/api/admin/roles', {
      name: '=SUM(1+1)',
      permissions: ['login'],
    })
    assert.equal(role.status, 201)
  })

  it('filters the log through the form and downloads the same events', { timeout: 120_000 }, async () => {
    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      await followNavLink(page, 'Console', 'Audit log')
      assert.equal(new URL(page.url()).pathname, '/console/audit')
      const table = page.getByRole('table', { name: /Audit events/ })
      assert.ok((await table.getByRole('row').count()) > 6)
      await reviewPage(page, 'audit')

      await page.getByLabel('Actor').fill('ghost')
      await page.getByLabel('Outcome').selectOption('failure')
      await page.getByLabel('Action').selectOption('login.*')
      await page.getByRole('button', { name: 'Apply filters' }).click()
      await page.waitForLoadState('load')
      const url = new URL(page.url())
      assert.equal(url.searchParams.get('actor'), 'ghost')
      assert.equal(url.searchParams.get('outcome'), 'failure')
      assert.equal(url.searchParams.get('action'), 'login.*')
      const rows = page.getByRole('table', { name: /matching the filters/ }).locator('tbody tr')
      assert.equal(await rows.count(), 3)
      for (const row of await rows.all())
        assert.match(await row.innerText(), /anonymous:ghost\s+login\.failed/)
      assert.equal(await page.getByLabel('Actor').inputValue(), 'ghost')
      await reviewPage(page, 'audit-filtered')

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Export CSV' }).click(),
      ])
      assert.match(download.suggestedFilename(), /^audit-carbon\.super-\d{4}-\d{2}-\d{2}\.csv$/)
      const csv = await readFile(await download.path(), 'utf8')
      const lines = csv.trimEnd().split('\r\n')
      assert.equal(lines[0], 'id,occurredAt,actor,action,target,outcome,clientAddress,detail')
      assert.equal(lines.length, 4)
      assert.ok(lines.slice(1).every((line) => line.includes(',anonymous:ghost,login.failed,')))

      const [json] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Export JSON' }).click(),
      ])
      assert.match(json.suggestedFilename(), /\.json$/)
      const document = JSON.parse(await readFile(await json.path(), 'utf8'))
      assert.equal(document.events.length, 3)
    })
  })

  it('keeps formula-like values inert in the export and refuses a backwards time range', {
    timeout: 120_000,
  }, async () => {
    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      await page.goto(`${suite.server.url}/console/audit?action=role.created`)
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Export CSV' }).click(),
      ])
      const csv = await readFile(await download.path(), 'utf8')
      assert.ok(csv.includes(",'=SUM(1+1),"), csv)

      await page.goto(`${suite.server.url}/console/audit`)
      await page.getByLabel('From (UTC)').fill('2026-03-02T10:00')
      await page.getByLabel('To (UTC)').fill('2026-03-01T10:00')
      await page.getByRole('button', { name: 'Apply filters' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /To must be later than From/)
      assert.equal(
        await page.getByRole('link', { name: 'To must be later than From.' }).getAttribute('href'),
        '#audit-to',
      )
      assert.equal(await page.getByLabel('To (UTC)').getAttribute('aria-invalid'), 'true')
    })
  })
})
