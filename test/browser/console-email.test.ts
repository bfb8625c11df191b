import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import type { Page } from 'playwright-core'
import { queueMail } from '../support/notifications.ts'
import { SmtpSink } from '../support/smtp-sink.ts'
import { describeConsoleInBrowser, followNavLink, reviewPage, signInToConsole } from './console-support.ts'
import { mainText, withContext } from './support.ts'

/**
 * Brings the preview frame into view before a screenshot: Chromium does not paint a frame of
 * another origin (the sandboxed preview has an opaque one) while it is outside the viewport,
 * and a full-page capture would show it empty.
 */
async function showFrame(page: Page): Promise<void> {
  await page.locator('iframe.preview').scrollIntoViewIfNeeded()
  await page.evaluate('new Promise((painted) => requestAnimationFrame(() => requestAnimationFrame(painted)))')
}

/** The organisation's own relay is one of the pages: the server lets tenants set one. */
const tenantRelaysAllowed = { env: { REKEY_SMTP_ALLOW_TENANT_RELAYS: 'true' } }

/**
 * The email pages in a real browser, without script (the console's policy allows none): a
 * template edited with its draft shown in the sandboxed preview frame by a form that targets
 * it, then saved; the organisation's own relay saved, tested against a real SMTP server and
 * removed; the outbox; a mailbox message with its HTML in the frame.
 */
describeConsoleInBrowser('console email pages', tenantRelaysAllowed, (suite) => {
  // The organisation's own relay is tested against this SMTP server, stopped after the application.
  let sink: SmtpSink
  before(async () => {
    sink = await SmtpSink.start()
  })
  after(async () => sink?.stop())

  it('edits a template with a draft preview in the frame, saves it, and reads the mail it writes', {
    timeout: 180_000,
  }, async () => {
    await withContext(suite.browser, async (page) => {
      await signInToConsole(page, suite.server.url)
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Email' }).click()
      await followNavLink(page, 'Email pages', 'Templates')
      assert.match(await mainText(page), /AdminForcedPasswordReset/)
      await reviewPage(page, 'email-templates')

      await page.getByRole('link', { name: 'Edit AdminForcedPasswordReset in en' }).click()
      await page.waitForLoadState('load')
      const frame = page.frameLocator('iframe[name="html-preview"]')
      await frame.getByText('Choose a new password').first().waitFor()
      await page.getByLabel('Subject').fill('Your new {{tenant-domain}} password, {{user-name}}')
      await page
        .getByLabel('HTML body')
        .fill(
          '<p style="color:#0b57d0">Draft for {{first-name}}</p><p><a href="{{reset-link}}">Choose it here</a></p>',
        )
      await page.getByLabel('Text body').fill('Draft for {{first-name}}: {{reset-link}}')
      const editorUrl = page.url()
      await page.getByRole('button', { name: 'Show the draft in the HTML frame' }).click()
      await frame.getByText('Draft for Alex').waitFor()
      assert.equal(page.url(), editorUrl, 'the draft is shown in the frame, the page stays')
      await showFrame(page)
      await reviewPage(page, 'email-template-edit')

      await page.getByRole('button', { name: 'Preview', exact: true }).click()
      await page.waitForLoadState('load')
      assert.equal(
        await page.locator('pre.preview').innerText(),
        'Draft for Alex: https://rekey.example/reset?token=EXAMPLE',
      )
      await page.getByRole('button', { name: 'Save' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /The template was saved/)
      await frame.getByText('Draft for Alex').waitFor()

      // The organisation's own relay: saved, tested with the relay's answer shown, removed.
      await followNavLink(page, 'Email pages', 'Relay (SMTP)')
      assert.match(await mainText(page), /The built-in mailbox/)
      await page.getByLabel('Relay URL, with its password').fill(sink.url({ credentials: false }))
      await page.getByLabel('From address').fill('Example IT <no-reply@example.com>')
      await page.getByRole('button', { name: 'Save the relay' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /The relay was saved/)
      await page.getByLabel('Recipient address').fill('ops@example.com')
      await page.getByRole('button', { name: 'Send test message' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /accepted the test message to ops@example\.com/)
      assert.ok(sink.messages.some((message) => message.rcptTo.includes('ops@example.com')))
      await reviewPage(page, 'email-smtp')
      await page.getByRole('button', { name: 'Remove this organisation’s relay' }).click()
      await page.waitForLoadState('load')
      assert.match(await mainText(page), /The built-in mailbox/)

      const { container, defaultTenant } = suite.server.harness
      const id = await queueMail(container, {
        tenant: defaultTenant,
        type: 'AdminForcedPasswordReset',
        to: 'alex@example.com',
        values: {
          'user-name': 'alex',
          'first-name': 'Alex',
          'reset-link': `${suite.server.url}/reset-password?token=browser-example`,
          'expiry-minutes': '30',
        },
        idempotencyKey: `browser-email:${suite.kind.kind}`,
      })
      for (let tries = 0; ; tries++) {
        const [delivered] = await container.outbox.mailbox(defaultTenant, {
          limit: 1,
          recipient: 'alex@example.com',
        })
        if (delivered?.id === id) break
        assert.ok(tries < 200, 'the worker delivers the message to the mailbox')
        await new Promise((resolve) => setTimeout(resolve, 50))
      }

      await followNavLink(page, 'Email pages', 'Outbox')
      assert.match(await mainText(page), /alex@example\.com/)
      await reviewPage(page, 'email-outbox')

      await followNavLink(page, 'Email pages', 'Mailbox')
      await reviewPage(page, 'email-mailbox')
      await page.getByRole('link', { name: `Your new ${defaultTenant.domain} password, alex` }).click()
      await page.waitForLoadState('load')
      assert.match(await page.locator('pre.preview').innerText(), /Draft for Alex: .*token=browser-example/)
      await page.frameLocator('iframe.preview').getByRole('link', { name: 'Choose it here' }).waitFor()
      await showFrame(page)
      await reviewPage(page, 'email-mailbox-message')
    })
  })
})
