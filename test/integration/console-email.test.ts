import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { TEMPLATE_TYPES } from '../../src/notifications/templates/index.ts'
import { consoleClient } from '../support/console.ts'
import { createAdministrator, createTenant } from '../support/console-fixtures.ts'
import { type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import { queueMail, snapshotNotifications } from '../support/notifications.ts'
import { latestMailText, type PageAnswer, type PageClient, pageText } from '../support/page-client.ts'
import { freePort } from '../support/processes.ts'
import { SmtpSink } from '../support/smtp-sink.ts'
import { storeKinds } from '../support/stores.ts'

// Generous: a slow shared machine runs PostgreSQL and an SMTP server alongside.
const suite = { timeout: 180_000 }
const templates = '/console/email/templates'
const resetTemplate = `${templates}/AdminForcedPasswordReset/en`
const previewPolicy =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
const readerPassword = 'Mail-Reader-Passphrase-7'

const goodTemplate = {
  subject: 'Reset your {{tenant-domain}} password, {{user-name}}',
  html: '<p>Hello {{user-name}},</p><p><a href="{{reset-link}}">Choose a new password now</a></p>',
  text: 'Hello {{user-name}},\n\nChoose a new password now: {{reset-link}}\n',
}

/** Opens `page` (for its CSRF token, as a browser shows the form first) and posts `fields` to `action`. */
async function submit(
  client: PageClient,
  page: string,
  action: string,
  fields: Record<string, string>,
): Promise<PageAnswer> {
  const shown = await client.get(page)
  assert.equal(shown.status, 200, shown.body.slice(0, 2000))
  return client.post(action, fields)
}

/** The ids of the messages a listing shows, in order. */
const messageIds = (html: string) =>
  [...html.matchAll(/<tr data-message="([^"]+)"/g)].map((match) => match[1]!)

/** A listing's link to the next (older) page, with its entities decoded. */
const olderLink = (html: string) => /href="([^"]+)" rel="next"/.exec(html)?.[1]?.replace(/&amp;/g, '&')

function assertPreviewHeaders(answer: PageAnswer) {
  assert.equal(answer.headers['content-security-policy'], previewPolicy)
  assert.equal(answer.headers['x-frame-options'], 'SAMEORIGIN')
  assert.equal(answer.headers['cache-control'], 'no-store')
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: console email — templates, mailbox, tenant relay`, {
    skip: kind.skip,
    ...suite,
  }, () => {
    let h: Harness
    let admin: PageClient
    const clock = new ManualClock(Date.now())
    const auditOf = async (action: string) =>
      (
        await call(h.app, {
          method: 'GET',
          url: `/api/admin/audit?action=${action}&limit=100`,
          auth: h.adminAuth,
        })
      ).body.events

    before(async () => {
      h = await openHarness(kind, { clock, env: { REKEY_SMTP_ALLOW_TENANT_RELAYS: 'true' } })
      admin = await consoleClient(h.app)
    })
    after(async () => h?.close())

    it('lands on the email pages and lists every template type in every shipped locale', async () => {
      const landing = await admin.get('/console/email')
      assert.equal(landing.status, 200)
      for (const part of ['templates', 'smtp', 'outbox', 'mailbox'])
        assert.match(landing.body, new RegExp(`href="/console/email/${part}"`), part)

      const list = await admin.get(templates)
      assert.equal(list.status, 200)
      assert.match(list.body, /<nav class="email-subnav" aria-label="Email pages">/)
      assert.match(list.body, /href="\/console\/email\/templates" aria-current="page">Templates</)
      const rows = [...list.body.matchAll(/<tr data-template="([^"]+)">/g)].map((match) => match[1])
      assert.equal(rows.length, TEMPLATE_TYPES.length * 2)
      for (const type of TEMPLATE_TYPES)
        for (const locale of ['en', 'fr']) assert.ok(rows.includes(`${type}/${locale}`), `${type}/${locale}`)
      assert.equal([...list.body.matchAll(/badge neutral">Default</g)].length, TEMPLATE_TYPES.length * 2)
      assert.doesNotMatch(list.body, /badge info">Custom</)
    })

    it('edits and saves a template: the editor shows it, and mail queued afterwards uses it', async () => {
      const editor = await admin.get(resetTemplate)
      assert.equal(editor.status, 200)
      assert.match(editor.body, /<textarea class="input" id="template-html" name="html"/)
      assert.match(
        editor.body,
        /<code>\{\{reset-link\}\}<\/code> <span class="badge warn">Required in both bodies/,
      )
      assert.match(
        editor.body,
        /<code class="email-sample">https:\/\/rekey\.example\/reset\?token=EXAMPLE<\/code>/,
      )
      assert.match(editor.body, /<pre class="preview" data-field="preview-text">/)
      assert.match(
        editor.body,
        /<iframe class="preview" name="html-preview" sandbox title="[^"]+" src="\/console\/email\/templates\/AdminForcedPasswordReset\/en\/preview\.html">/,
      )
      assert.match(
        editor.body,
        /formaction="\/console\/email\/templates\/AdminForcedPasswordReset\/en\/preview\.html" formtarget="html-preview"/,
      )

      // Browsers send a textarea's line breaks as CRLF; the template keeps the LF typed.
      const saved = await admin.post(resetTemplate, {
        ...goodTemplate,
        text: goodTemplate.text.replace(/\n/g, '\r\n'),
      })
      assert.equal(saved.status, 303, saved.body.slice(0, 2000))
      assert.equal(saved.location, `${resetTemplate}?done=email-template-saved`)
      const shown = await admin.follow(saved)
      assert.match(pageText(shown.body), /The template was saved/)
      assert.match(shown.body, /badge info">Custom</)
      assert.match(
        shown.body,
        /&lt;p&gt;Hello \{\{user-name\}\},&lt;\/p&gt;/,
        'the HTML is shown escaped in the textarea',
      )
      assert.match(shown.body, /data-field="preview-subject">Reset your carbon\.super password, alex</)

      const stored = await h.container.templates.get(h.defaultTenant, 'AdminForcedPasswordReset', 'en')
      assert.deepEqual({ subject: stored.subject, html: stored.html, text: stored.text }, goodTemplate)
      assert.equal(stored.updatedBy, 'admin')
      assert.equal((await auditOf('template.updated'))[0].target, 'AdminForcedPasswordReset/en')

      const link = `https://rekey.example/reset-password?token=${randomBytes(12).toString('hex')}`
      await queueMail(h.container, {
        tenant: h.defaultTenant,
        type: 'AdminForcedPasswordReset',
        to: 'edith@example.com',
        values: { 'user-name': 'edith', 'reset-link': link, 'expiry-minutes': '30' },
        idempotencyKey: `console-email:${link}`,
      })
      const text = await latestMailText(h.container, h.defaultTenant, 'edith@example.com')
      assert.equal(text, `Hello edith,\n\nChoose a new password now: ${link}\n`)
    })

    it('previews a draft with sample values without saving it, on the page and in the sandboxed frame', async () => {
      const before = await snapshotNotifications(h.container.store.db)
      const draft = {
        ...goodTemplate,
        subject: 'Draft for {{user-name}}',
        text: 'Draft text: {{reset-link}}',
      }
      const page = await submit(admin, resetTemplate, `${resetTemplate}/preview`, draft)
      assert.equal(page.status, 200)
      assert.match(page.body, /data-field="preview-subject">Draft for alex</)
      assert.match(
        page.body,
        /data-field="preview-text">Draft text: https:\/\/rekey\.example\/reset\?token=EXAMPLE</,
      )
      assert.match(page.body, /Your draft, not saved\./)
      assert.match(
        page.body,
        /<input class="input" id="template-subject" name="subject" type="text" value="Draft for \{\{user-name\}\}"/,
      )

      const frame = await submit(admin, resetTemplate, `${resetTemplate}/preview.html`, {
        ...draft,
        html: '<p>Frame {{first-name}}</p><p><a href="{{reset-link}}">go</a></p><script>alert(1)</script>',
      })
      assert.equal(frame.status, 200)
      assertPreviewHeaders(frame)
      assert.match(String(frame.headers['content-type']), /^text\/html/)
      assert.match(
        frame.body,
        /<p>Frame Alex<\/p><p><a href="https:\/\/rekey\.example\/reset\?token=EXAMPLE">go<\/a><\/p>/,
      )

      const saved = await admin.get(`${resetTemplate}/preview.html`)
      assert.equal(saved.status, 200)
      assertPreviewHeaders(saved)
      assert.match(saved.body, /Choose a new password now/)
      assert.deepEqual(await snapshotNotifications(h.container.store.db), before, 'a preview saves nothing')
    })

    it('refuses an invalid template with the use case’s words and saves nothing', async () => {
      const before = await snapshotNotifications(h.container.store.db)
      const refused = await submit(admin, resetTemplate, resetTemplate, {
        ...goodTemplate,
        subject: 'Hello {{userName}}',
        text: 'No link at all',
      })
      assert.equal(refused.status, 400)
      const text = pageText(refused.body)
      assert.match(text, /There is a problem/)
      assert.match(text, /Unknown placeholder.*user-name/)
      assert.match(text, /must contain "\{\{reset-link\}\}"/)
      assert.match(refused.body, /<a href="#template-subject">/)
      assert.match(
        refused.body,
        /id="template-subject" name="subject" type="text" value="Hello \{\{userName\}\}"[^>]*aria-invalid="true"/,
      )
      assert.match(
        refused.body,
        /id="template-text" name="text"[^>]*aria-invalid="true"[^>]*>No link at all<\/textarea>/,
      )

      // A line break in the subject would add a header: refused, whoever crafted the post.
      const injected = await submit(admin, resetTemplate, resetTemplate, {
        ...goodTemplate,
        subject: 'Reset\r\nBcc: victim@example.com',
      })
      assert.equal(injected.status, 400)
      assert.match(pageText(injected.body), /line break/)

      const badPreview = await submit(admin, resetTemplate, `${resetTemplate}/preview`, {
        ...goodTemplate,
        html: '<p>{{#section}}</p>',
      })
      assert.equal(badPreview.status, 400)
      const badFrame = await submit(admin, resetTemplate, `${resetTemplate}/preview.html`, {
        ...goodTemplate,
        html: 'no link {{nope}}',
      })
      assert.equal(badFrame.status, 400)
      assertPreviewHeaders(badFrame)
      assert.match(pageText(badFrame.body), /The draft cannot be shown.*nope/)

      // Unknown type or malformed locale: the error page, not an editor.
      assert.equal((await admin.get(`${templates}/NoSuchType/en`)).status, 404)
      assert.equal((await admin.get(`${templates}/AdminForcedPasswordReset/${'x'.repeat(40)}`)).status, 400)
      assert.equal((await admin.get(`${templates}/AdminForcedPasswordReset/not%20a%20locale`)).status, 400)
      assert.deepEqual(await snapshotNotifications(h.container.store.db), before, 'nothing was saved')
    })

    it('refuses a form without its CSRF token, and saves nothing', async () => {
      const before = await snapshotNotifications(h.container.store.db)
      await admin.get(resetTemplate)
      const forged = await admin.post(resetTemplate, { ...goodTemplate, subject: 'Forged' }, { csrf: false })
      assert.equal(forged.status, 403)
      assert.match(pageText(forged.body), /This form has expired/)
      const wrong = await admin.post(`${resetTemplate}/reset`, {}, { csrf: 'not-the-token' })
      assert.equal(wrong.status, 403)
      assert.deepEqual(await snapshotNotifications(h.container.store.db), before)
    })

    it('resets a template to the default after a confirmation page', async () => {
      const confirm = await admin.get(`${resetTemplate}/reset`)
      assert.equal(confirm.status, 200)
      assert.match(pageText(confirm.body), /Reset AdminForcedPasswordReset \(en\) to the default\?/)
      const reset = await admin.post(`${resetTemplate}/reset`, {})
      assert.equal(reset.status, 303)
      assert.equal(reset.location, `${resetTemplate}?done=email-template-reset`)
      const shown = await admin.follow(reset)
      assert.match(pageText(shown.body), /The template was reset to the default/)
      assert.match(shown.body, /badge neutral">Default</)
      assert.equal(
        (await h.container.templates.get(h.defaultTenant, 'AdminForcedPasswordReset', 'en')).customized,
        false,
      )
      assert.equal((await auditOf('template.reset'))[0].target, 'AdminForcedPasswordReset/en')
      const nothingLeft = await admin.get(`${resetTemplate}/reset`)
      assert.match(pageText(nothingLeft.body), /there is nothing to reset/)
    })

    it('writes a template in a new language, then removes it again', async () => {
      const opened = await admin.get(`${templates}/new?type=PasswordResetSuccess&locale=de_de`)
      assert.equal(opened.status, 303)
      assert.equal(opened.location, `${templates}/PasswordResetSuccess/de-DE`)
      const editor = await admin.follow(opened)
      assert.match(pageText(editor.body), /No PasswordResetSuccess template exists in de-DE yet/)
      assert.doesNotMatch(editor.body, /<iframe[^>]+src=/, 'nothing saved to show in the frame yet')
      const german = {
        subject: 'Passwort geändert, {{user-name}}',
        html: '<p>Geändert.</p>',
        text: 'Geändert.',
      }
      const saved = await admin.post(`${templates}/PasswordResetSuccess/de-DE`, german)
      assert.equal(saved.status, 303)
      const listed = await admin.get(templates)
      assert.match(
        listed.body,
        /<tr data-template="PasswordResetSuccess\/de-DE">[\s\S]*?No default in this language/,
      )
      const removed = await submit(
        admin,
        `${templates}/PasswordResetSuccess/de-DE/reset`,
        `${templates}/PasswordResetSuccess/de-DE/reset`,
        {},
      )
      assert.equal(removed.location, `${templates}?done=email-template-removed`)
      assert.equal((await admin.get(`${templates}/new?type=Nope&locale=de`)).status, 400)
      const badLocale = await admin.get(`${templates}/new?type=PasswordResetSuccess&locale=..%2Fx`)
      assert.equal(badLocale.status, 400)
      assert.match(badLocale.body, /id="new-locale"[^>]*aria-invalid="true"/)

      const locale = await submit(admin, templates, `${templates}/default-locale`, { defaultLocale: 'fr_CA' })
      assert.equal(locale.status, 303)
      assert.match(
        (await admin.follow(locale)).body,
        /id="default-locale" name="defaultLocale" type="text" value="fr-CA"/,
      )
      const refusedLocale = await submit(admin, templates, `${templates}/default-locale`, {
        defaultLocale: 'not a locale',
      })
      assert.equal(refusedLocale.status, 400)
      assert.equal(await h.container.templates.defaultLocale(h.container.store.db, h.defaultTenant), 'fr-CA')
      await submit(admin, templates, `${templates}/default-locale`, { defaultLocale: 'en' })
    })

    it('lists the mailbox without bodies and audits each reading of a message, page and frame', async () => {
      clock.advance(1000)
      const link = `https://rekey.example/reset-password?token=${randomBytes(18).toString('base64url')}`
      const id = await queueMail(h.container, {
        tenant: h.defaultTenant,
        type: 'AdminForcedPasswordReset',
        to: 'alex@example.com',
        values: { 'user-name': 'alex', 'reset-link': link, 'expiry-minutes': '30' },
        idempotencyKey: `console-mailbox:${link}`,
      })
      await h.container.outboxWorker.drain()
      const readsBefore = (await auditOf('mailbox.read')).length

      const list = await admin.get('/console/email/mailbox')
      assert.equal(list.status, 200)
      assert.equal(messageIds(list.body)[0], id)
      assert.match(list.body, new RegExp(`href="/console/email/mailbox/${id}"`))
      assert.ok(!list.body.includes(link.slice(-20)), 'the list carries no body')
      const filtered = await admin.get('/console/email/mailbox?recipient=nobody%40example.com')
      assert.deepEqual(messageIds(filtered.body), [])
      assert.equal((await auditOf('mailbox.read')).length, readsBefore, 'listing is not reading')

      const message = await admin.get(`/console/email/mailbox/${id}`)
      assert.equal(message.status, 200)
      assert.equal(message.headers['cache-control'], 'no-store')
      assert.ok(pageText(message.body).includes(link), 'the text version shows the link')
      assert.match(
        message.body,
        new RegExp(
          `<iframe class="preview" sandbox title="[^"]+" src="/console/email/mailbox/${id}/preview\\.html">`,
        ),
      )
      const frame = await admin.get(`/console/email/mailbox/${id}/preview.html`)
      assert.equal(frame.status, 200)
      assertPreviewHeaders(frame)
      assert.ok(frame.body.includes(`href="${link}"`))

      const reads = await auditOf('mailbox.read')
      assert.equal(reads.length, readsBefore + 2)
      assert.deepEqual(
        reads
          .slice(0, 2)
          .map((event: { target: string; actor: string; detail: object }) => [
            event.target,
            event.actor,
            event.detail,
          ]),
        [
          [id, 'user:admin', { part: 'html' }],
          [id, 'user:admin', { part: 'text' }],
        ],
      )
      assert.equal((await admin.get('/console/email/mailbox/not-a-message-id')).status, 404)
    })

    it('pages the outbox newest first through messages queued in the same millisecond', async () => {
      clock.advance(1000)
      const ids = new Set<string>()
      for (let index = 0; index < 55; index++)
        ids.add(
          await queueMail(h.container, {
            tenant: h.defaultTenant,
            type: 'PasswordExpiryReminder',
            to: `page-${index}@example.com`,
            values: { 'user-name': `page-${index}`, 'reset-link': 'https://rekey.example/x' },
            idempotencyKey: `console-paging:${index}`,
          }),
        )
      for (const status of ['queued', '']) {
        const first = await admin.get(`/console/email/outbox?type=PasswordExpiryReminder&status=${status}`)
        assert.equal(first.status, 200)
        const firstIds = messageIds(first.body)
        assert.equal(firstIds.length, 50)
        const older = olderLink(first.body)
        assert.ok(older, 'a link to older messages')
        assert.match(older, /type=PasswordExpiryReminder/)
        const second = await admin.get(older)
        const secondIds = messageIds(second.body)
        assert.equal(secondIds.length, 5)
        assert.equal(olderLink(second.body), undefined)
        assert.deepEqual(new Set([...firstIds, ...secondIds]), ids, `every message once (status "${status}")`)
      }
      assert.equal((await admin.get('/console/email/outbox?status=bogus')).status, 400)
      assert.equal((await admin.get('/console/email/outbox?before=soon')).status, 400)
      await h.container.outboxWorker.drain()
    })

    it('saves a tenant relay without ever showing its password, reports a closed port, and removes it', async () => {
      const secret = 'Relay-Secret-4711'
      const port = await freePort()
      const smtp = '/console/email/smtp'
      const mailboxOnly = await admin.get(smtp)
      assert.match(pageText(mailboxOnly.body), /Route The built-in mailbox/)
      assert.match(pageText(mailboxOnly.body), /A test needs a relay/)
      const noRelay = await admin.post(`${smtp}/test`, { to: 'ops@example.com' })
      assert.equal(noRelay.status, 409)
      assert.match(pageText(noRelay.body), /built-in mailbox/)

      const invalid = await submit(admin, smtp, smtp, {
        url: `http://mailer:${secret}@127.0.0.1`,
        from: 'Ops <ops@example.com>',
      })
      assert.equal(invalid.status, 400)
      assert.match(invalid.body, /id="smtp-url"[^>]*aria-invalid="true"/)
      assert.ok(!invalid.body.includes(secret), 'a refusal never shows the URL')
      assert.equal((await h.container.tenantSmtp.get(h.defaultTenant)).configured, false)

      const saved = await submit(admin, smtp, smtp, {
        url: `smtp://mailer:${secret}@127.0.0.1:${port}`,
        from: 'Ops <ops@example.com>',
      })
      assert.equal(saved.status, 303)
      const shown = await admin.follow(saved)
      assert.match(pageText(shown.body), /The relay was saved/)
      assert.match(
        shown.body,
        new RegExp(
          `<code data-field="smtp-endpoint">smtp://mailer@127\\.0\\.0\\.1:${port} \\(starttls-required\\)</code>`,
        ),
      )
      assert.ok(!shown.body.includes(secret))

      const failed = await admin.post(`${smtp}/test`, { to: 'ops@example.com' })
      assert.equal(failed.status, 200)
      const text = pageText(failed.body)
      assert.match(text, /There is a problem/)
      assert.match(text, /could not deliver the test message for now.*connection refused/i)
      assert.ok(!failed.body.includes(secret))
      assert.equal((await auditOf('smtp.tested'))[0].outcome, 'failure')

      const removed = await admin.post(`${smtp}/remove`, {})
      assert.equal(removed.location, `${smtp}?done=email-smtp-removed`)
      assert.match(pageText((await admin.follow(removed)).body), /Route The built-in mailbox/)
      assert.equal((await h.container.tenantSmtp.get(h.defaultTenant)).configured, false)
    })

    it('keeps another tenant’s messages out of this console', async () => {
      const other = await createTenant(h, 'email-iso.example', 'Tenant-Admin-Passphrase-9')
      const id = await queueMail(h.container, {
        tenant: other,
        type: 'PasswordResetSuccess',
        to: 'other@example.com',
        values: { 'user-name': 'other' },
        idempotencyKey: 'console-iso:1',
      })
      await h.container.outboxWorker.drain()
      for (const url of [
        `/console/email/mailbox/${id}`,
        `/console/email/mailbox/${id}/preview.html`,
        `/console/email/outbox/${id}`,
      ])
        assert.equal((await admin.get(url)).status, 404, url)
      const resend = await submit(admin, '/console/email/outbox', `/console/email/outbox/${id}/resend`, {})
      assert.equal(resend.status, 404)
      assert.ok(!messageIds((await admin.get('/console/email/mailbox')).body).includes(id))
      const theirs = await consoleClient(h.app, {
        base: '/t/email-iso.example',
        password: 'Tenant-Admin-Passphrase-9',
      })
      assert.equal((await theirs.get(`/t/email-iso.example/console/email/mailbox/${id}`)).status, 200)
    })

    it('gives an administrator without config:write the outbox and mailbox lists only', async () => {
      await createAdministrator(h, {
        username: 'mail-reader',
        password: readerPassword,
        role: 'mail-readers',
        permissions: ['audit:read'],
      })
      const reader = await consoleClient(h.app, { username: 'mail-reader', password: readerPassword })
      const landing = await reader.get('/console/email')
      assert.equal(landing.status, 200)
      assert.doesNotMatch(landing.body, /href="\/console\/email\/templates"/)
      assert.match(landing.body, /href="\/console\/email\/outbox"/)
      for (const url of [templates, resetTemplate, `${resetTemplate}/preview.html`, '/console/email/smtp']) {
        const refused = await reader.get(url)
        assert.equal(refused.status, 403, url)
        assert.match(pageText(refused.body), /This needs the config:write permission/)
      }
      const outbox = await reader.get('/console/email/outbox')
      assert.equal(outbox.status, 200)
      assert.doesNotMatch(outbox.body, /\/resend"/, 'no resend buttons without users:write')
      const mailbox = await reader.get('/console/email/mailbox')
      assert.equal(mailbox.status, 200)
      const [id] = messageIds(mailbox.body)
      assert.ok(id)
      assert.doesNotMatch(mailbox.body, /href="\/console\/email\/mailbox\/[0-9a-f-]{36}"/)
      assert.equal((await reader.get(`/console/email/mailbox/${id}`)).status, 403)
      assert.equal((await reader.post(`/console/email/outbox/${id}/resend`, {})).status, 403)
      assert.equal((await reader.post(resetTemplate, goodTemplate)).status, 403)
    })
  })

  describe(`${kind.kind}: console email — server relay and outbox`, { skip: kind.skip, ...suite }, () => {
    let h: Harness
    let sink: SmtpSink
    let admin: PageClient

    before(async () => {
      sink = await SmtpSink.start()
      h = await openHarness(kind, {
        env: { REKEY_SMTP_URL: sink.url(), REKEY_SMTP_FROM: 'Rekey <no-reply@rekey.test>' },
      })
      admin = await consoleClient(h.app)
    })
    after(async () => {
      await h?.close()
      await sink?.stop()
    })

    it('sends a test message through the server relay and shows the relay’s answer', async () => {
      const smtp = '/console/email/smtp'
      const page = await admin.get(smtp)
      assert.match(pageText(page.body), /The server’s relay/)
      assert.match(page.body, new RegExp(`smtp://127\\.0\\.0\\.1:${sink.port} \\(starttls-opportunistic\\)`))
      assert.match(pageText(page.body), /turned off for organisations on this server/)
      assert.doesNotMatch(page.body, /id="smtp-url"/)

      sink.reset()
      const sent = await admin.post(`${smtp}/test`, { to: 'ops@example.com' })
      assert.equal(sent.status, 200)
      assert.match(pageText(sent.body), /accepted the test message to ops@example\.com\. Its answer: 250 /)
      assert.equal(sink.messages.length, 1)
      assert.deepEqual(sink.messages[0]!.rcptTo, ['ops@example.com'])

      sink.rejectNext(1, { code: 554, message: '5.7.1 Relaying denied' })
      const refused = await admin.post(`${smtp}/test`, { to: 'ops@example.com' })
      assert.equal(refused.status, 200)
      assert.match(pageText(refused.body), /refused the test message \(reply code 554\): .*Relaying denied/)

      for (const to of [
        'not an address',
        'a@example.com\r\nBcc: b@example.com',
        `${'a'.repeat(320)}@example.com`,
      ]) {
        const invalid = await admin.post(`${smtp}/test`, { to })
        assert.equal(invalid.status, 400, to)
        assert.match(invalid.body, /id="smtp-test-to"[^>]*aria-invalid="true"/)
      }
      assert.equal(sink.messages.length, 1, 'nothing more was sent')
      const disabled = await admin.post(smtp, { url: sink.url(), from: 'x <x@example.com>' })
      assert.equal(disabled.status, 409)
    })

    it('filters the outbox by status, recipient and type, and resends a dead message', async () => {
      sink.reset()
      sink.rejectNext(1, { code: 550, message: '5.1.1 No such mailbox here' })
      const dead = await queueMail(h.container, {
        tenant: h.defaultTenant,
        type: 'PasswordResetSuccess',
        to: 'bounce@example.com',
        values: { 'user-name': 'bounce' },
        idempotencyKey: 'console-outbox:dead',
      })
      await h.container.outboxWorker.drain()
      const sent = await queueMail(h.container, {
        tenant: h.defaultTenant,
        type: 'PasswordResetSuccess',
        to: 'fine@example.com',
        values: { 'user-name': 'fine' },
        idempotencyKey: 'console-outbox:sent',
      })
      await h.container.outboxWorker.drain()
      const queued = await queueMail(h.container, {
        tenant: h.defaultTenant,
        type: 'AdminForcedPasswordReset',
        to: 'waiting@example.com',
        values: { 'user-name': 'waiting', 'reset-link': 'https://rekey.example/r', 'expiry-minutes': '30' },
        idempotencyKey: 'console-outbox:queued',
      })

      const all = await admin.get('/console/email/outbox')
      assert.equal(all.status, 200)
      assert.deepEqual(messageIds(all.body), [queued, sent, dead])
      assert.match(all.body, /data-field="count-dead">1</)
      const deadOnly = await admin.get('/console/email/outbox?status=dead')
      assert.deepEqual(messageIds(deadOnly.body), [dead])
      assert.match(pageText(deadOnly.body), /550 5\.1\.1 No such mailbox here/)
      assert.match(deadOnly.body, new RegExp(`action="/console/email/outbox/${dead}/resend"`))
      assert.deepEqual(
        messageIds((await admin.get('/console/email/outbox?recipient=fine%40example.com')).body),
        [sent],
      )
      assert.deepEqual(
        messageIds((await admin.get('/console/email/outbox?type=AdminForcedPasswordReset')).body),
        [queued],
      )
      assert.deepEqual(
        messageIds((await admin.get('/console/email/outbox?status=sent&type=AdminForcedPasswordReset')).body),
        [],
      )
      assert.doesNotMatch(
        all.body,
        new RegExp(`/console/email/outbox/(${sent}|${queued})/resend`),
        'only a kept body can be resent',
      )

      const detail = await admin.get(`/console/email/outbox/${dead}`)
      assert.match(
        pageText(detail.body),
        /permanent rejected by the server at DATA: 550 5\.1\.1 No such mailbox here/,
      )

      const resent = await admin.post(`/console/email/outbox/${dead}/resend`, {})
      assert.equal(resent.status, 303)
      assert.equal(resent.location, `/console/email/outbox/${dead}?done=email-message-resent`)
      const requeued = await admin.follow(resent)
      assert.match(pageText(requeued.body), /The message is queued again/)
      assert.match(requeued.body, /data-field="message-status">queued</)
      await h.container.outboxWorker.drain()
      await sink.waitForMessages(2)
      assert.ok(sink.messages.some((message) => message.rcptTo.includes('bounce@example.com')))
      const delivered = await admin.get(`/console/email/outbox/${dead}`)
      assert.match(delivered.body, /data-field="message-status">sent</)
      assert.match(pageText(delivered.body), /Erased once the relay accepted it/)

      // The relay took it and its body is gone: the use case refuses, the page says why.
      const again = await admin.post(`/console/email/outbox/${dead}/resend`, {})
      assert.equal(again.status, 409)
      assert.match(pageText(again.body), /body was erased/)
      const audit = await call(h.app, {
        method: 'GET',
        url: '/api/admin/audit?action=notification.resent',
        auth: h.adminAuth,
      })
      assert.equal(audit.body.events[0].target, dead)
    })
  })
}
