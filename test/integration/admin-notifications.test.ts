import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { DEFAULT_TEMPLATES, TEMPLATE_TYPES } from '../../src/notifications/templates/index.ts'
import { type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { type Answer, assertProblem, bearer, call } from '../support/http.ts'
import { queueMail, snapshotNotifications } from '../support/notifications.ts'
import { SmtpSink } from '../support/smtp-sink.ts'
import { snapshotStore } from '../support/store-snapshot.ts'
import { storeKinds } from '../support/stores.ts'

// Generous: a slow shared machine runs PostgreSQL and an SMTP server alongside.
const suite = { timeout: 180_000 }
const base = '/api/admin'
const resetTemplate = `${base}/email-templates/AdminForcedPasswordReset/en`
const from = 'Rekey Notices <no-reply@rekey.test>'

const goodTemplate = {
  subject: 'Reset your {{tenant-domain}} password, {{user-name}}',
  html: '<p>Hello {{user-name}},</p><p><a href="{{reset-link}}">Choose a new password</a></p>',
  text: 'Hello {{user-name}},\n\nChoose a new password: {{reset-link}}\n',
}

const templateOf = (body: { subject: string; html: string; text: string }) => ({
  subject: body.subject,
  html: body.html,
  text: body.text,
})

for (const kind of storeKinds) {
  describe(`${kind.kind}: admin API — email templates and mail`, { skip: kind.skip, ...suite }, () => {
    let h: Harness
    let sink: SmtpSink
    const clock = new ManualClock()
    const admin = () => h.adminAuth
    const tokens: Record<string, string> = {}
    /** A message delivered to the built-in mailbox, for the permission checks. */
    let mailboxId: string

    const get = (url: string, auth = admin()) => call(h.app, { method: 'GET', url, auth })
    const send = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, auth = admin()) =>
      call(h.app, { method, url, auth, ...(payload ? { payload } : {}) })
    const auditOf = async (action: string) =>
      (await get(`${base}/audit?action=${action}&limit=100`)).body.events
    // Delivery routers re-read a tenant's relay settings at most every 5 seconds.
    const relayChanged = () => clock.advance(6_000)
    const useSink = async () => {
      const saved = await send('PUT', `${base}/smtp-settings`, { url: sink.url(), from })
      assert.equal(saved.status, 200, JSON.stringify(saved.body))
      relayChanged()
    }
    const dropRelay = async () => {
      assert.equal((await send('DELETE', `${base}/smtp-settings`)).status, 204)
      relayChanged()
    }

    before(async () => {
      sink = await SmtpSink.start()
      h = await openHarness(kind, {
        clock,
        env: { REKEY_SMTP_FROM: from, REKEY_SMTP_ALLOW_TENANT_RELAYS: 'true' },
      })
      for (const scope of ['users:read', 'users:write', 'audit:read', 'config:write']) {
        const created = await send('POST', `${base}/tokens`, { name: `only ${scope}`, scopes: [scope] })
        assert.equal(created.status, 201)
        tokens[scope] = bearer(created.body.token)
      }
    })
    after(async () => {
      await h?.container.deliveryRouter.close()
      await h?.close()
      await sink?.stop()
    })

    it('lists, saves, previews and resets a template, refusing invalid ones with every problem', async () => {
      const listed = await get(`${base}/email-templates`)
      assert.equal(listed.status, 200)
      assert.equal(listed.body.templates.length, TEMPLATE_TYPES.length * 2)
      for (const entry of listed.body.templates) {
        assert.ok(TEMPLATE_TYPES.includes(entry.type), entry.type)
        assert.ok(['en', 'fr'].includes(entry.locale), entry.locale)
        assert.deepEqual([entry.customized, entry.hasDefault, entry.updatedAt], [false, true, null])
      }

      const shipped = await get(resetTemplate)
      assert.equal(shipped.status, 200)
      assert.deepEqual(templateOf(shipped.body), DEFAULT_TEMPLATES.en!.AdminForcedPasswordReset)
      assert.deepEqual(
        [shipped.body.customized, shipped.body.updatedAt, shipped.body.updatedBy],
        [false, null, null],
      )

      const saved = await send('PUT', resetTemplate, goodTemplate)
      assert.equal(saved.status, 200, JSON.stringify(saved.body))
      assert.deepEqual(templateOf(saved.body), goodTemplate)
      assert.equal(saved.body.customized, true)
      assert.equal(saved.body.updatedAt, new Date(clock.now()).toISOString())
      assert.equal(saved.body.updatedBy, 'admin')
      assert.deepEqual((await get(resetTemplate)).body, saved.body)
      const entry = (await get(`${base}/email-templates`)).body.templates.find(
        (item: { type: string; locale: string }) =>
          item.type === 'AdminForcedPasswordReset' && item.locale === 'en',
      )
      assert.deepEqual(entry, {
        type: 'AdminForcedPasswordReset',
        locale: 'en',
        customized: true,
        hasDefault: true,
        updatedAt: saved.body.updatedAt,
      })

      // The saved template, with sample values that are no working secret.
      const preview = await send('POST', `${resetTemplate}/preview`)
      assert.equal(preview.status, 200)
      assert.equal(preview.body.subject, 'Reset your carbon.super password, alex')
      assert.match(preview.body.html, /<a href="https:\/\/rekey\.example\/reset\?token=EXAMPLE">/)
      assert.match(preview.body.text, /Choose a new password: https:\/\/rekey\.example\/reset\?token=EXAMPLE/)
      assert.deepEqual(Object.keys(preview.body).sort(), ['html', 'subject', 'text'])
      // A draft, rendered without being saved.
      const draft = { ...goodTemplate, subject: 'Draft for {{user-name}}' }
      const drafted = await send('POST', `${resetTemplate}/preview`, draft)
      assert.equal(drafted.body.subject, 'Draft for alex')
      assert.equal((await get(resetTemplate)).body.subject, goodTemplate.subject, 'a preview saves nothing')

      const refusals: Array<[object, string, RegExp]> = [
        [{ ...goodTemplate, subject: 'Hello {{userName}}' }, '/subject', /Unknown placeholder.*user-name/],
        [
          { ...goodTemplate, text: 'No link here, {{user-name}}.' },
          '/text',
          /must contain "\{\{reset-link\}\}"/,
        ],
        [{ ...goodTemplate, subject: 'Reset\r\nBcc: victim@example.com' }, '/subject', /line break/],
        [{ ...goodTemplate, subject: 'Reset\nnow' }, '/subject', /line break/],
      ]
      for (const [body, pointer, reason] of refusals) {
        const refused = await send('PUT', resetTemplate, body)
        assertProblem(refused, 400, 'template.invalid')
        assert.ok(
          refused.body.errors.some(
            (error: { pointer: string; message: string }) =>
              error.pointer === pointer && reason.test(error.message),
          ),
          JSON.stringify(refused.body.errors),
        )
        assertProblem(await send('POST', `${resetTemplate}/preview`, body), 400, 'template.invalid')
      }
      // Every problem at once, each with its position.
      const many = await send('PUT', resetTemplate, {
        subject: 'Hi {{userName}}\r\n',
        html: '<p>{{nope}}</p>',
        text: 'plain',
      })
      assertProblem(many, 400, 'template.invalid')
      const pointers = many.body.errors.map((error: { pointer: string }) => error.pointer)
      assert.deepEqual([...new Set(pointers)].sort(), ['/html', '/subject', '/text'])
      assert.ok(
        many.body.errors.some((error: { message: string }) => /^line 1, column \d+: /.test(error.message)),
      )
      const half = await send('POST', `${resetTemplate}/preview`, { subject: 'Only a subject' })
      assertProblem(half, 400, 'request.invalid')
      assert.deepEqual(half.body.errors.map((error: { pointer: string }) => error.pointer).sort(), [
        '/body/html',
        '/body/text',
      ])
      assert.deepEqual((await get(resetTemplate)).body, saved.body, 'refusals change nothing')

      clock.advance(1000)
      const reset = await send('DELETE', resetTemplate)
      assert.equal(reset.status, 200)
      assert.deepEqual(templateOf(reset.body), DEFAULT_TEMPLATES.en!.AdminForcedPasswordReset)
      assert.equal(reset.body.customized, false)
      assert.equal((await get(resetTemplate)).body.customized, false)
      assert.equal((await send('DELETE', resetTemplate)).status, 200, 'resetting a default is harmless')

      const updated = await auditOf('template.updated')
      assert.equal(updated.length, 1)
      assert.equal(updated[0].target, 'AdminForcedPasswordReset/en')
      assert.equal(updated[0].actor, 'user:admin')
      const resets = await auditOf('template.reset')
      assert.equal(resets.length, 1, 'only a reset that removed something is recorded')
      assert.equal(resets[0].target, 'AdminForcedPasswordReset/en')
    })

    it('adds a locale no default ships in, canonicalises its tag, and falls back once it is reset', async () => {
      const saved = await send('PUT', `${base}/email-templates/AdminForcedPasswordReset/de_de`, goodTemplate)
      assert.equal(saved.status, 200, JSON.stringify(saved.body))
      assert.equal(saved.body.locale, 'de-DE')
      assert.equal(
        (await get(`${base}/email-templates/AdminForcedPasswordReset/DE-de`)).body.subject,
        goodTemplate.subject,
      )
      const listed = (await get(`${base}/email-templates`)).body.templates
      assert.ok(
        listed.some(
          (item: { locale: string; customized: boolean; hasDefault: boolean }) =>
            item.locale === 'de-DE' && item.customized && !item.hasDefault,
        ),
      )
      assertProblem(
        await get(`${base}/email-templates/PasswordResetSuccess/de-DE`),
        404,
        'template.not-found',
      )

      // Mail in de-DE is written in English again: that is what the reset answers.
      const reset = await send('DELETE', `${base}/email-templates/AdminForcedPasswordReset/de-DE`)
      assert.equal(reset.status, 200, JSON.stringify(reset.body))
      assert.equal(reset.body.locale, 'en')
      assert.equal(reset.body.customized, false)
      assertProblem(
        await get(`${base}/email-templates/AdminForcedPasswordReset/de-DE`),
        404,
        'template.not-found',
      )
      assertProblem(
        await send('DELETE', `${base}/email-templates/AdminForcedPasswordReset/de-DE`),
        404,
        'template.not-found',
      )
    })

    it('writes mail in the tenant default locale, falling back to the shipped French templates', async () => {
      assert.deepEqual((await get(`${base}/notification-settings`)).body, { defaultLocale: 'en' })
      // Queued before the change: the default this process remembers must not outlive it.
      const before = await queueMail(h.container, {
        tenant: h.defaultTenant,
        type: 'PasswordResetSuccess',
        to: 'claire@example.com',
        userLocale: null,
        values: { 'user-name': 'claire' },
        idempotencyKey: 'locale:before',
      })
      const set = await send('PUT', `${base}/notification-settings`, { defaultLocale: 'fr_CA' })
      assert.equal(set.status, 200)
      assert.deepEqual(set.body, { defaultLocale: 'fr-CA' })
      assert.deepEqual((await get(`${base}/notification-settings`)).body, { defaultLocale: 'fr-CA' })
      const event = (await auditOf('tenant.updated'))[0]
      assert.deepEqual(event.detail, { defaultLocale: 'fr-CA' })

      const shipped = await get(`${base}/email-templates/PasswordResetSuccess/fr`)
      assert.equal(shipped.status, 200)
      assert.deepEqual(templateOf(shipped.body), DEFAULT_TEMPLATES.fr!.PasswordResetSuccess)

      const message = (userLocale: string | null, key: string) =>
        queueMail(h.container, {
          tenant: h.defaultTenant,
          type: 'PasswordResetSuccess',
          to: 'claire@example.com',
          userLocale,
          values: { 'user-name': 'claire' },
          idempotencyKey: key,
        })
      const tenantDefault = await message(null, 'locale:none')
      const canadian = await message('fr-CA', 'locale:fr-CA')
      const british = await message('en-GB', 'locale:en-GB')
      await h.container.outboxWorker.drain()
      const french = DEFAULT_TEMPLATES.fr!.PasswordResetSuccess.subject.replace(
        '{{tenant-domain}}',
        'carbon.super',
      )
      for (const [id, locale, subject] of [
        [before, 'en', undefined],
        [tenantDefault, 'fr', french],
        [canadian, 'fr', french],
        [british, 'en', undefined],
      ] as const) {
        const shown = await get(`${base}/outbox/${id}`)
        assert.equal(shown.status, 200)
        assert.equal(shown.body.message.locale, locale, id)
        if (subject) assert.equal(shown.body.message.subject, subject)
      }

      assertProblem(
        await send('PUT', `${base}/notification-settings`, { defaultLocale: 'not a locale' }),
        400,
        'request.invalid',
      )
      assert.deepEqual((await send('PUT', `${base}/notification-settings`, { defaultLocale: 'en' })).body, {
        defaultLocale: 'en',
      })
    })

    it('delivers to the built-in mailbox: lists without bodies, and audits each reading', async () => {
      // Newer than the messages of the tests before: listings are newest first.
      clock.advance(1000)
      const link = `https://rekey.example/reset?token=${randomBytes(18).toString('base64url')}`
      const id = await queueMail(h.container, {
        tenant: h.defaultTenant,
        type: 'AdminForcedPasswordReset',
        to: 'alex@example.com',
        userId: null,
        values: { 'user-name': 'alex', 'reset-link': link, 'expiry-minutes': '30' },
        idempotencyKey: `reset:${link}`,
      })
      mailboxId = id
      const queued = await get(`${base}/outbox?status=queued`)
      assert.deepEqual(
        queued.body.messages.map((message: { id: string }) => message.id),
        [id],
      )
      assert.equal(queued.body.messages[0].transport, null)
      assert.equal(queued.body.counts.queued, 1)

      assert.equal(await h.container.outboxWorker.drain(), 1)
      const listed = await get(`${base}/mailbox`)
      assert.equal(listed.status, 200)
      const entry = listed.body.messages[0]
      assert.equal(entry.id, id)
      assert.equal(entry.to, 'alex@example.com')
      assert.equal(entry.status, 'sent')
      assert.equal(entry.transport, 'mailbox')
      assert.equal(entry.bodyKept, true)
      assert.equal(entry.createdAt, new Date(clock.now()).toISOString())
      assert.equal(entry.html, undefined)
      assert.equal(entry.text, undefined)
      assert.deepEqual(
        (await get(`${base}/mailbox?recipient=alex@example.com`)).body.messages.map(
          (m: { id: string }) => m.id,
        ),
        [id],
      )
      assert.deepEqual((await get(`${base}/mailbox?recipient=nobody@example.com`)).body.messages, [])
      assert.equal((await get(`${base}/mailbox?limit=1`)).body.messages.length, 1)
      const older = await get(`${base}/mailbox?before=${encodeURIComponent(entry.createdAt)}`)
      assert.ok(!older.body.messages.some((message: { id: string }) => message.id === id))

      const outbox = await get(`${base}/outbox?status=sent&recipient=alex@example.com`)
      assert.deepEqual(
        outbox.body.messages.map((message: { id: string }) => message.id),
        [id],
      )
      assert.ok(outbox.body.counts.sent >= 1)
      const shown = await get(`${base}/outbox/${id}`)
      assert.equal(shown.status, 200)
      assert.deepEqual(
        shown.body.history.map((attempt: { outcome: string; detail: string }) => [
          attempt.outcome,
          attempt.detail,
        ]),
        [['mailbox', 'delivered to the built-in mailbox']],
      )
      for (const answer of [queued, listed, outbox, shown])
        assert.ok(!JSON.stringify(answer.body).includes(link.slice(-20)), 'no listing carries the link')
      assert.equal((await auditOf('mailbox.read')).length, 0, 'listing is not reading')

      const opened = await get(`${base}/mailbox/${id.toUpperCase()}`)
      assert.equal(opened.status, 200)
      assert.equal(opened.headers['cache-control'], 'no-store')
      assert.equal(opened.body.id, id)
      assert.ok(opened.body.html.includes(`href="${link}"`), opened.body.html)
      assert.ok(opened.body.text.includes(link))
      const reads = await auditOf('mailbox.read')
      assert.equal(reads.length, 1)
      assert.equal(reads[0].target, id)
      assert.equal(reads[0].actor, 'user:admin')
      assert.ok(!JSON.stringify(reads).includes(link.slice(-20)), 'the audit log does not carry the link')
    })

    it('keeps a message the relay refused for good, with its attempts, and resends it', async () => {
      await useSink()
      sink.reset()
      sink.rejectNext(1, { code: 550, message: '5.1.1 No such mailbox here' })
      const id = await queueMail(h.container, {
        tenant: h.defaultTenant,
        type: 'PasswordResetSuccess',
        to: 'bounce@example.com',
        values: { 'user-name': 'bounce' },
        idempotencyKey: 'dead:1',
      })
      await h.container.outboxWorker.drain()
      assert.equal(sink.rejections.length, 1, 'the relay really refused it')

      const dead = await get(`${base}/outbox?status=dead`)
      assert.deepEqual(
        dead.body.messages.map((message: { id: string }) => message.id),
        [id],
      )
      assert.equal(dead.body.counts.dead, 1)
      assert.match(dead.body.messages[0].lastError, /550/)
      assert.equal(dead.body.messages[0].bodyKept, true)
      const shown = await get(`${base}/outbox/${id}`)
      assert.equal(shown.body.message.status, 'dead')
      assert.equal(shown.body.history.length, 1)
      assert.equal(shown.body.history[0].outcome, 'permanent')
      assert.match(shown.body.history[0].detail, /550 5\.1\.1 No such mailbox here/)
      assert.equal((await auditOf('notification.dead'))[0].target, id)

      assertProblem(
        await send('POST', `${base}/outbox/${id}/resend`, undefined, tokens['audit:read']),
        403,
        'auth.forbidden',
      )
      const resent = await send('POST', `${base}/outbox/${id}/resend`)
      assert.equal(resent.status, 200, JSON.stringify(resent.body))
      assert.equal(resent.body.status, 'queued')
      assert.equal(resent.body.attempts, 0)
      assert.equal(resent.body.lastError, null)
      const resends = await auditOf('notification.resent')
      assert.equal(resends[0].target, id)
      assert.equal(resends[0].actor, 'user:admin')

      await h.container.outboxWorker.drain()
      const received = await sink.waitForMessages(1)
      assert.deepEqual(received[0]!.rcptTo, ['bounce@example.com'])
      const delivered = await get(`${base}/outbox/${id}`)
      assert.equal(delivered.body.message.status, 'sent')
      assert.equal(delivered.body.message.transport, 'smtp')
      assert.equal(delivered.body.message.bodyKept, false)
      assert.match(delivered.body.message.smtpResponse, /^250/)
      assert.deepEqual(
        delivered.body.history.map((attempt: { outcome: string }) => attempt.outcome),
        ['permanent', 'sent'],
      )
      // Its body was erased once the relay took it: there is nothing left to send again.
      assertProblem(await send('POST', `${base}/outbox/${id}/resend`), 409, 'outbox.not-resendable')
      assertProblem(await get(`${base}/mailbox/${id}`), 404, 'outbox.not-found')
      await dropRelay()
    })

    it("sends a test message through the tenant's relay and answers its outcome; 409 without one", async () => {
      const test = (to = 'ops@example.com') => send('POST', `${base}/smtp/test`, { to })
      assertProblem(await test(), 409, 'smtp.not-configured')

      await useSink()
      sink.reset()
      const sent = await test()
      assert.equal(sent.status, 200, JSON.stringify(sent.body))
      assert.equal(sent.body.result, 'sent')
      assert.equal(sent.body.endpoint, `smtp://127.0.0.1:${sink.port} (starttls-opportunistic)`)
      assert.match(sent.body.response, /^250 /)
      assert.equal(sink.messages.length, 1)
      assert.deepEqual(sink.messages[0]!.rcptTo, ['ops@example.com'])
      assert.equal(sink.messages[0]!.parsed.subject, 'Rekey SMTP test')

      sink.rejectNext(1, { code: 554, message: '5.7.1 Relaying denied' })
      const refused = await test()
      assert.equal(refused.status, 200)
      assert.equal(refused.body.result, 'permanent')
      assert.equal(refused.body.responseCode, 554)
      assert.match(refused.body.reason, /Relaying denied/)
      assert.equal(refused.body.response, undefined)

      const events = await auditOf('smtp.tested')
      assert.deepEqual(
        events.map((event: { outcome: string; detail: { result: string } }) => [
          event.outcome,
          event.detail.result,
        ]),
        [
          ['failure', 'permanent'],
          ['success', 'sent'],
        ],
      )
      assertProblem(await test('not an address'), 400, 'request.invalid')
      assertProblem(await test('a@example.com\r\nBcc: b@example.com'), 400, 'request.invalid')
      await dropRelay()
      assertProblem(await test(), 409, 'smtp.not-configured')
    })

    it("never shows the tenant relay's password: not in answers, audit events or the stored row", async () => {
      const pass = 'Relay-Secret:Pass/word@4711'
      const base64 = (value: string) => Buffer.from(value).toString('base64')
      const forms = [pass, encodeURIComponent(pass), base64(pass), 'Relay-Secret']
      const assertHidden = (value: unknown, label: string) => {
        const text = JSON.stringify(value)
        for (const form of forms) assert.ok(!text.includes(form), `${label} shows the password: ${text}`)
      }
      const url = `smtp://mailer%40rekey.test:${encodeURIComponent(pass)}@mail.rekey.test:2525?starttls=required`

      const saved = await send('PUT', `${base}/smtp-settings`, { url, from })
      assert.equal(saved.status, 200, JSON.stringify(saved.body))
      assert.deepEqual(saved.body, {
        configured: true,
        endpoint: 'smtp://mailer%40rekey.test@mail.rekey.test:2525 (starttls-required)',
        from,
        updatedAt: new Date(clock.now()).toISOString(),
      })
      const shown = await get(`${base}/smtp-settings`)
      assert.deepEqual(shown.body, saved.body)
      const event = (await auditOf('smtp.updated'))[0]
      assert.deepEqual(event.detail, { endpoint: saved.body.endpoint })
      assert.equal(event.target, h.defaultTenant.id)
      const row = await h.container.store.db
        .selectFrom('tenant_smtp_settings')
        .selectAll()
        .executeTakeFirstOrThrow()
      for (const [value, label] of [
        [saved.body, 'PUT'],
        [shown.body, 'GET'],
        [await auditOf('smtp.updated'), 'the audit log'],
        [row, 'the stored row'],
      ] as const)
        assertHidden(value, label)
      // Sealed for this tenant: it opens with its id as context, and with no other.
      assert.equal(h.container.smtpSecrets.open(row.url_sealed, h.defaultTenant.id), url)
      assert.equal(h.container.smtpSecrets.open(row.url_sealed, randomUUID()), undefined)

      const encoded = encodeURIComponent(pass)
      const refusals: Array<[object, string]> = [
        [{ url: `http://mailer:${encoded}@mail.rekey.test`, from }, '/url'],
        [{ url: `smtp://mailer:${encoded}@mail.rekey.test/inbox`, from }, '/url'],
        [{ url: `smtp://mailer:${encoded}@mail.rekey.test?starttls=sometimes`, from }, '/url'],
        [{ url: `smtp://mailer:${encoded}@mail.rekey.test:99999`, from }, '/url'],
        [{ url: `smtp://:${encoded}@mail.rekey.test`, from }, '/url'],
        [{ url: `smtp://mailer:${pass}%zz@mail.rekey.test`, from }, '/url'],
        [{ url: `smtp://mailer:${encoded}@mail.rekey.test`, from: 'nobody' }, '/from'],
        [
          { url: `smtp://mailer:${encoded}@mail.rekey.test`, from: 'a@example.com\r\nBcc: b@example.com' },
          '/from',
        ],
        // A file on the server's disk is not the tenant's to name.
        [{ url: 'smtp://mail.rekey.test?tls_ca_file=/etc/passwd', from }, '/url'],
      ]
      for (const [body, pointer] of refusals) {
        const refused = await send('PUT', `${base}/smtp-settings`, body)
        assertProblem(refused, 400, 'smtp.invalid')
        assert.equal(typeof refused.body.detail, 'string')
        assert.equal(refused.body.errors[0].pointer, pointer, refused.body.detail)
        assertHidden(refused.body, `the refusal of ${JSON.stringify(body)}`)
      }
      assert.deepEqual((await get(`${base}/smtp-settings`)).body, saved.body, 'refusals change nothing')

      assert.equal((await send('DELETE', `${base}/smtp-settings`)).status, 204)
      assert.deepEqual((await get(`${base}/smtp-settings`)).body, {
        configured: false,
        endpoint: null,
        from: null,
        updatedAt: null,
      })
      assert.deepEqual((await auditOf('smtp.updated'))[0].detail, { removed: true })
      const count = (await auditOf('smtp.updated')).length
      assert.equal(
        (await send('DELETE', `${base}/smtp-settings`)).status,
        204,
        'removing nothing is harmless',
      )
      assert.equal((await auditOf('smtp.updated')).length, count, 'and not recorded')
      relayChanged()
    })

    it('holds each caller to the permission of each notification route', async () => {
      const id = mailboxId
      assert.ok(id, 'the mailbox test ran first')
      const routes: Array<
        [method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, permission: string, body?: object]
      > = [
        ['GET', `${base}/email-templates`, 'config:write'],
        ['GET', resetTemplate, 'config:write'],
        ['PUT', resetTemplate, 'config:write', goodTemplate],
        ['DELETE', resetTemplate, 'config:write'],
        ['POST', `${resetTemplate}/preview`, 'config:write'],
        ['GET', `${base}/notification-settings`, 'config:write'],
        ['PUT', `${base}/notification-settings`, 'config:write', { defaultLocale: 'fr' }],
        ['GET', `${base}/outbox`, 'audit:read'],
        ['GET', `${base}/outbox/${id}`, 'audit:read'],
        ['POST', `${base}/outbox/${id}/resend`, 'users:write'],
        ['GET', `${base}/mailbox`, 'audit:read'],
        ['GET', `${base}/mailbox/${id}`, 'users:write'],
        ['POST', `${base}/smtp/test`, 'config:write', { to: 'ops@example.com' }],
        ['GET', `${base}/smtp-settings`, 'config:write'],
        ['PUT', `${base}/smtp-settings`, 'config:write', { url: 'smtp://mail.rekey.test', from }],
        ['DELETE', `${base}/smtp-settings`, 'config:write'],
      ]
      const before = {
        ...(await snapshotStore(h.container.store.db)),
        ...(await snapshotNotifications(h.container.store.db)),
      }
      for (const [method, url, permission, body] of routes) {
        const refused = await send(method, url, body, tokens['users:read'])
        assertProblem(refused, 403, 'auth.forbidden')
        assert.ok(refused.body.detail.includes(permission), `${method} ${url}: ${refused.body.detail}`)
        for (const [scope, auth] of Object.entries(tokens)) {
          if (scope === permission || scope === 'users:read') continue
          assertProblem(await send(method, url, body, auth), 403, 'auth.forbidden')
        }
      }
      assert.deepEqual(
        {
          ...(await snapshotStore(h.container.store.db)),
          ...(await snapshotNotifications(h.container.store.db)),
        },
        before,
        'refused calls change nothing',
      )
      // The holders of each permission get through (reads only, to change nothing here).
      assert.equal((await get(`${base}/outbox`, tokens['audit:read'])).status, 200)
      assert.equal((await get(`${base}/mailbox`, tokens['audit:read'])).status, 200)
      assert.equal((await get(`${base}/email-templates`, tokens['config:write'])).status, 200)
      assert.equal((await get(`${base}/smtp-settings`, tokens['config:write'])).status, 200)
      const read = await get(`${base}/mailbox/${id}`, tokens['users:write'])
      assert.equal(read.status, 200)
      assert.equal((await auditOf('mailbox.read'))[0].actor, 'token:only users:write')
    })

    it('answers bad input with a problem and changes nothing, never a 500', async () => {
      const before = await snapshotNotifications(h.container.store.db)
      const expect = async (answer: Promise<Answer>, status: number, code: string) =>
        assertProblem(await answer, status, code)
      const raw = (method: 'POST' | 'PUT', url: string, payload: string, type = 'application/json') =>
        call(h.app, { method, url, auth: admin(), headers: { 'content-type': type }, payload })

      for (const [method, url] of [
        ['PUT', resetTemplate],
        ['POST', `${resetTemplate}/preview`],
        ['PUT', `${base}/notification-settings`],
        ['POST', `${base}/smtp/test`],
        ['PUT', `${base}/smtp-settings`],
      ] as const) {
        await expect(raw(method, url, '{"subject": '), 400, 'request.malformed-json')
        await expect(
          raw(method, url, 'subject=x', 'application/x-www-form-urlencoded'),
          415,
          'request.unsupported-media-type',
        )
      }

      const wrongTypes = await send('PUT', resetTemplate, { subject: 5, html: [], text: null })
      assertProblem(wrongTypes, 400, 'request.invalid')
      assert.deepEqual(wrongTypes.body.errors.map((error: { pointer: string }) => error.pointer).sort(), [
        '/body/html',
        '/body/subject',
        '/body/text',
      ])
      await expect(
        send('PUT', resetTemplate, { ...goodTemplate, bcc: 'x@example.com' }),
        400,
        'request.invalid',
      )
      await expect(send('PUT', resetTemplate, { subject: 'x', html: 'y' }), 400, 'request.invalid')
      await expect(send('PUT', resetTemplate), 400, 'request.invalid')
      await expect(send('PUT', `${base}/smtp-settings`, { url: 5, from }), 400, 'request.invalid')
      await expect(
        send('PUT', `${base}/smtp-settings`, { url: 'smtp://mail.rekey.test' }),
        400,
        'request.invalid',
      )
      await expect(send('POST', `${base}/smtp/test`, { to: ['ops@example.com'] }), 400, 'request.invalid')
      await expect(send('POST', `${base}/smtp/test`, {}), 400, 'request.invalid')
      await expect(
        send('PUT', `${base}/notification-settings`, { defaultLocale: '' }),
        400,
        'request.invalid',
      )
      await expect(send('PUT', `${base}/notification-settings`, { defaultLocale: 7 }), 400, 'request.invalid')

      for (const query of [
        'limit=0',
        'limit=501',
        'limit=ten',
        'status=bounced',
        'before=yesterday',
        'page=2',
      ])
        await expect(get(`${base}/outbox?${query}`), 400, 'request.invalid')
      for (const query of ['limit=0', 'before=2026-13-40T00:00:00Z', 'status=sent'])
        await expect(get(`${base}/mailbox?${query}`), 400, 'request.invalid')

      // Unknown template types and locales, and locales that are no tag at all.
      const unknownType = `${base}/email-templates/NoSuchType/en`
      for (const [method, url, payload] of [
        ['GET', unknownType, undefined],
        ['PUT', unknownType, goodTemplate],
        ['DELETE', unknownType, undefined],
        ['POST', `${unknownType}/preview`, undefined],
      ] as const)
        await expect(
          call(h.app, { method, url, auth: admin(), ...(payload ? { payload } : {}) }),
          404,
          'template.not-found',
        )
      await expect(get(`${base}/email-templates/AdminForcedPasswordReset/de`), 404, 'template.not-found')
      await expect(
        send('POST', `${base}/email-templates/AdminForcedPasswordReset/de/preview`),
        404,
        'template.not-found',
      )
      for (const locale of ['en%20US', '%2E%2E%2Fetc', 'e', 'en-', 'x'.repeat(36)]) {
        const answer = await get(`${base}/email-templates/AdminForcedPasswordReset/${locale}`)
        assertProblem(answer, 400, 'request.invalid')
        await expect(
          send('PUT', `${base}/email-templates/AdminForcedPasswordReset/${locale}`, goodTemplate),
          400,
          'request.invalid',
        )
      }

      // Message ids are UUIDs; another one names nothing here.
      for (const url of [
        `${base}/outbox/not-a-uuid`,
        `${base}/mailbox/42`,
        `${base}/outbox/${'f'.repeat(36)}`,
      ])
        await expect(get(url), 400, 'request.invalid')
      await expect(send('POST', `${base}/outbox/not-a-uuid/resend`), 400, 'request.invalid')
      const unknown = randomUUID()
      await expect(get(`${base}/outbox/${unknown}`), 404, 'outbox.not-found')
      await expect(get(`${base}/mailbox/${unknown}`), 404, 'outbox.not-found')
      await expect(send('POST', `${base}/outbox/${unknown}/resend`), 404, 'outbox.not-found')
      const long = await get(`${base}/outbox/${'a'.repeat(600)}`)
      assert.ok([400, 404, 414].includes(long.status), `${long.status}`)

      assert.deepEqual(await snapshotNotifications(h.container.store.db), before)
    })
  })
}
