import assert from 'node:assert/strict'
import { before, it } from 'node:test'
import { cliActor } from '../../src/observability/audit.ts'
import { describeConsoleInBrowser, followNavLink, reviewPage, signInToConsole } from './console-support.ts'
import { mainText, withContext } from './support.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'
const NAMES = ['bulk-ann', 'bulk-bob', 'bulk-cy', 'bulk-dee', 'bulk-eve', 'bulk-nomail']

/**
 * A bulk force reset as an administrator does it in a browser: names pasted in the form, the
 * count and sample confirmed, then the job's page, which refreshes itself (no script) until
 * the job completes. The job is run batch by batch here so the page is seen mid-way.
 */
describeConsoleInBrowser('console bulk force reset', (suite) => {
  before(async () => {
    const { container, defaultTenant } = suite.server.harness
    await container.roles.create(defaultTenant, 'staff', ['login'], cliActor)
    for (const name of NAMES)
      await container.users.create(
        defaultTenant,
        {
          username: name,
          password: `${name}-password-1`,
          roles: ['staff'],
          claims: name.endsWith('nomail') ? {} : { [EMAIL]: `${name}@example.com` },
        },
        cliActor,
      )
  })

  it('form → count → confirm → a job page that follows the job to its end', {
    timeout: 180_000,
  }, async () => {
    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      await followNavLink(page, 'Console', 'Bulk force reset')
      assert.equal(new URL(page.url()).pathname, '/console/bulk-reset')
      await reviewPage(page, 'bulk-reset-form')

      // Nothing chosen: the form again, its error linked to the field.
      await page.getByRole('button', { name: 'Count the users' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /There is a problem Choose the users/)
      assert.equal(await page.getByLabel('SCIM filter').getAttribute('aria-invalid'), 'true')

      await page.getByLabel('User names').fill(NAMES.join('\n'))
      await page.getByLabel('Reset mode').selectOption('email-otp')
      await page.getByLabel('Reason').fill('Passwords seen in a leaked list')
      await page.getByRole('button', { name: 'Count the users' }).click()
      await page.waitForLoadState('load')
      assert.equal(new URL(page.url()).pathname, '/console/bulk-reset/preview')
      const confirmation = await mainText(page)
      assert.match(confirmation, /Force a password reset in mode Email one-time password for 6 users/)
      assert.match(confirmation, /1 of them has no email address/)
      assert.match(confirmation, /bulk-ann bulk-bob bulk-cy bulk-dee bulk-eve bulk-nomail/)
      await reviewPage(page, 'bulk-reset-confirm')

      await page.getByRole('button', { name: 'Confirm', exact: true }).click()
      await page.waitForLoadState('load')
      const jobId = /\/console\/bulk-reset\/jobs\/([0-9a-f-]{36})/.exec(page.url())?.[1]
      assert.ok(jobId, page.url())
      assert.equal(await page.locator('[data-field="job-status"]').innerText(), 'Queued')
      assert.equal(await page.locator('meta[http-equiv="refresh"]').getAttribute('content'), '2')

      const runner = suite.server.harness.container.bulkResetRunner.withOptions({
        batchSize: 2,
        parallelBatches: 1,
      })
      let firstBatch = true
      await runner.runJob(jobId, async () => {
        if (!firstBatch) return
        firstBatch = false
        // Mid-way: a reload reads the job's state from the store.
        await page.reload()
        await page.waitForLoadState('load')
        assert.equal(await page.locator('[data-field="job-status"]').innerText(), 'Running')
        assert.match(await mainText(page), /2 of 6 users processed \(33%\)/)
        assert.equal(await page.locator('#job-progress').getAttribute('value'), '2')
        // A reader stops the refresh (axe rightly flags a page that reloads by itself
        // without that choice), then lets the page follow the job again.
        await page.getByRole('link', { name: 'Stop refreshing' }).click()
        await page.waitForLoadState('load')
        assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 0)
        await reviewPage(page, 'bulk-reset-job')
        await page.getByRole('link', { name: 'follow the job automatically' }).click()
        await page.waitForLoadState('load')
      })

      // The page's own refresh brings the end.
      await page.locator('[data-field="job-status"]', { hasText: 'Completed' }).waitFor({ timeout: 20_000 })
      await page.waitForLoadState('load')
      const end = await mainText(page)
      assert.match(end, /6 of 6 users processed \(100%\)/)
      assert.match(end, /bulk-nomail No email address to send the reset to/)
      assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 0)
      assert.equal(await page.getByRole('button', { name: 'Cancel the job' }).count(), 0)
    })

    const { container, defaultTenant } = suite.server.harness
    for (const name of NAMES) {
      const user = await container.users.require(defaultTenant, name)
      assert.equal(user.status, name.endsWith('nomail') ? 'active' : 'locked', name)
      if (!name.endsWith('nomail')) assert.equal(user.lock_reason, 'reset-pending', name)
    }
  })
})
