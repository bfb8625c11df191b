import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { bootstrap } from '../../src/bootstrap.ts'
import { buildContainer, type Container } from '../../src/container.ts'
import { openStoredBody } from '../../src/notifications/outbox/stored-body.ts'
import {
  DEFAULT_TEMPLATE_LOCALES,
  defaultTemplate,
  TEMPLATE_TYPES,
} from '../../src/notifications/templates/index.ts'
import { systemActor } from '../../src/observability/audit.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { inTransaction } from '../../src/persistence/executor.ts'
import { type OutboxRow, outboxRepository, queuedRow } from '../../src/persistence/repositories/outbox.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { SealedBox } from '../../src/security/sealed-box.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { SmtpSink } from '../support/smtp-sink.ts'
import { storeKinds } from '../support/stores.ts'

const suite = { timeout: 120_000 }
const env = { REKEY_SMTP_FROM: 'Rekey <no-reply@rekey.test>', REKEY_NOTIFICATIONS_POLL_INTERVAL_MS: '50' }

let sequence = 0
const freshCode = () => `R3N-${process.pid}-${++sequence}-D9L`

/** Queues a reset-code message for `name` and answers its id and code. */
async function queue(container: Container, tenant: TenantRow, name = 'Robin') {
  const code = freshCode()
  const { id } = await inTransaction(container.store.db, (trx) =>
    container.notifier.enqueue(trx, {
      tenant,
      type: 'SelfServiceResetCode',
      to: `${code.toLowerCase()}@example.com`,
      values: { 'user-name': name, 'confirmation-code': code, 'expiry-minutes': '15' },
      idempotencyKey: `rendering:${code}`,
    }),
  )
  return { id, code }
}

async function stored(h: Harness, id: string): Promise<OutboxRow> {
  const row = await outboxRepository.find(h.container.store.db, h.defaultTenant.id, id)
  assert.ok(row, `message ${id} is in the outbox`)
  return row
}

/** Saves the tenant's reset-code template with a marker line in both bodies. */
async function editTemplate(h: Harness, marker: string): Promise<void> {
  const shipped = defaultTemplate('SelfServiceResetCode', 'en')
  await h.container.templates.save(
    h.defaultTenant,
    'SelfServiceResetCode',
    'en',
    {
      subject: `${marker} subject for {{tenant-domain}}`,
      html: shipped.html.replace('<body', `<p>${marker}</p><body`),
      text: `${marker}\n${shipped.text}`,
    },
    systemActor,
  )
}

async function restoreTemplate(h: Harness): Promise<void> {
  await h.container.templates.reset(h.defaultTenant, 'SelfServiceResetCode', 'en', systemActor)
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: queued mail keeps its values and is rendered at delivery`, {
    skip: kind.skip,
    ...suite,
  }, () => {
    let sink: SmtpSink
    let h: Harness
    let box: SealedBox

    before(async () => {
      sink = await SmtpSink.start()
      h = await openHarness(kind, { env: { ...env, REKEY_SMTP_URL: sink.url() } })
      box = new SealedBox(h.container.secretKey, 'outbox-body')
    })
    after(async () => {
      await h?.container.outboxWorker.stop()
      await h?.container.deliveryRouter.close()
      await h?.close()
      await sink?.stop()
    })
    beforeEach(async () => {
      sink.reset()
      await restoreTemplate(h)
    })

    it('stores the sealed values, not a rendered body, and the subject rendered', async () => {
      const { id, code } = await queue(h.container, h.defaultTenant, 'Robin <&>')
      const row = await stored(h, id)
      assert.equal(row.subject, `Your password reset code for ${h.defaultTenant.domain}`)
      assert.ok(row.body_sealed)
      assert.ok(!row.body_sealed.includes(code), 'sealed')
      // A rendered reset message is kilobytes; its values are a few hundred bytes.
      assert.ok(row.body_sealed.length < 600, `stored body is ${row.body_sealed.length} characters`)
      assert.deepEqual(openStoredBody(box, id, row.body_sealed), {
        kind: 'values',
        values: {
          'user-name': 'Robin <&>',
          'confirmation-code': code,
          'expiry-minutes': '15',
          'tenant-domain': h.defaultTenant.domain,
          'support-email': 'no-reply@rekey.test',
        },
      })
      assert.equal(openStoredBody(box, 'another-id', row.body_sealed), undefined, 'bound to its message')
      assert.equal(await h.container.outboxWorker.drain(), 1)
      const [received] = await sink.waitForMessages(1)
      assert.ok(received!.parsed.text?.includes(code))
      assert.ok(String(received!.parsed.html).includes('Hello Robin &lt;&amp;&gt;,'), 'escaped at delivery')
    })

    it('delivers with the template as it is at delivery, and the subject as queued', async () => {
      const { id, code } = await queue(h.container, h.defaultTenant)
      await editTemplate(h, 'Edited-while-queued')
      assert.equal(await h.container.outboxWorker.drain(), 1)
      const [received] = await sink.waitForMessages(1)
      const mail = received!.parsed
      assert.equal(mail.messageId, `<${id}@rekey>`)
      assert.equal(
        mail.subject,
        `Your password reset code for ${h.defaultTenant.domain}`,
        'subject as listed',
      )
      assert.ok(mail.text?.startsWith('Edited-while-queued\n'), 'the text body follows the edited template')
      assert.ok(String(mail.html).includes('<p>Edited-while-queued</p>'))
      assert.ok(mail.text?.includes(code) && String(mail.html).includes(code), 'with the values queued')
    })

    it('delivers a message queued with a rendered body as it is', async () => {
      const id = '0193a5f0-0000-7000-8000-00000000aa01'
      const now = Date.now()
      const body = { html: '<p>Queued earlier: CODE-EARLIER</p>', text: 'Queued earlier: CODE-EARLIER' }
      await h.container.store.db
        .insertInto('outbox_messages')
        .values(
          queuedRow(
            {
              id,
              tenant_id: h.defaultTenant.id,
              idempotency_key: `rendering:earlier:${id}`,
              type: 'SelfServiceResetCode',
              locale: 'en',
              recipient: 'earlier@example.com',
              user_id: null,
              subject: 'Queued before values were stored',
              body_sealed: h.container.notifier.sealDelivered(id, body),
            },
            now,
          ),
        )
        .execute()
      assert.equal(await h.container.outboxWorker.drain(), 1)
      const [received] = await sink.waitForMessages(1)
      assert.equal(received!.parsed.subject, 'Queued before values were stored')
      assert.equal(received!.parsed.text?.trim(), body.text)
      assert.equal((await stored(h, id)).status, 'sent')
    })

    it('declares a message of an unknown type dead, with the reason, and sends nothing', async () => {
      const { id } = await queue(h.container, h.defaultTenant)
      await h.container.store.db
        .updateTable('outbox_messages')
        .set({ type: 'NoSuchTemplateType' })
        .where('id', '=', id)
        .execute()
      assert.equal(await h.container.outboxWorker.drain(), 1)
      const row = await stored(h, id)
      assert.equal(row.status, 'dead')
      assert.match(row.last_error ?? '', /type is unknown/)
      assert.ok(row.body_sealed, 'kept, so that it can be resent once the type is known again')
      assert.equal(sink.messages.length, 0)
    })
  })

  describe(`${kind.kind}: the mailbox keeps what it delivered`, { skip: kind.skip, ...suite }, () => {
    let h: Harness

    before(async () => {
      h = await openHarness(kind, { env: { ...env, REKEY_SMTP_URL: '' } })
    })
    after(async () => {
      await h?.container.outboxWorker.stop()
      await h?.close()
    })

    const box = () => new SealedBox(h.container.secretKey, 'outbox-body')

    it('keeps a shipped template as a snapshot, and shows the message as delivered after the template changes', async () => {
      const { id, code } = await queue(h.container, h.defaultTenant)
      assert.equal(await h.container.outboxWorker.drain(), 1)
      await editTemplate(h, 'Edited-after-delivery')
      try {
        const read = await h.container.outbox.readMailbox(h.defaultTenant, id, systemActor)
        assert.ok(read.text.includes(code))
        assert.ok(!read.text.includes('Edited-after-delivery'), 'not re-rendered with the new template')
        assert.ok(!read.html.includes('Edited-after-delivery'))
        assert.ok(!('snapshot' in read), 'the reading shows the body, not how it is kept')
        const row = await stored(h, id)
        const kept = openStoredBody(box(), id, row.body_sealed!)
        assert.equal(kept?.kind, 'snapshot')
        // Values and a reference: a few hundred bytes where the rendered body is kilobytes.
        assert.ok(row.body_sealed!.length < 1000, `${row.body_sealed!.length} characters`)
      } finally {
        await restoreTemplate(h)
      }
    })

    it("keeps the rendered body of a message written with the tenant's own template", async () => {
      await editTemplate(h, 'Tenant-wording')
      const { id, code } = await queue(h.container, h.defaultTenant)
      assert.equal(await h.container.outboxWorker.drain(), 1)
      // The tenant's template has no snapshot this server stored: the rendered body is kept.
      await restoreTemplate(h)
      const row = await stored(h, id)
      assert.equal(openStoredBody(box(), id, row.body_sealed!)?.kind, 'rendered')
      const read = await h.container.outbox.readMailbox(h.defaultTenant, id, systemActor)
      assert.ok(read.text.includes('Tenant-wording'), 'as delivered, though the template is gone')
      assert.ok(read.text.includes(code))
    })

    it('resends a mailbox message as it was delivered, and keeps it as a snapshot again', async () => {
      const { id, code } = await queue(h.container, h.defaultTenant)
      assert.equal(await h.container.outboxWorker.drain(), 1)
      const before = await h.container.outbox.readMailbox(h.defaultTenant, id, systemActor)
      await h.container.outbox.resend(h.defaultTenant, id, systemActor)
      assert.equal((await stored(h, id)).status, 'queued')
      assert.equal(await h.container.outboxWorker.drain(), 1)
      const row = await stored(h, id)
      assert.equal(row.status, 'sent')
      assert.equal(openStoredBody(box(), id, row.body_sealed!)?.kind, 'snapshot')
      const after = await h.container.outbox.readMailbox(h.defaultTenant, id, systemActor)
      assert.ok(after.text.includes(code))
      assert.equal(after.text, before.text)
      assert.equal(after.html, before.html)
    })

    it('stores each shipped template once, however often the server starts', async () => {
      const count = async () =>
        Number(
          (
            await h.container.store.db
              .selectFrom('template_snapshots')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        )
      const shipped = h.container.templates.shipped().length
      assert.equal(shipped, DEFAULT_TEMPLATE_LOCALES.length * TEMPLATE_TYPES.length)
      assert.equal(await count(), shipped)
      await h.container.notifier.snapshotShippedTemplates(h.container.store.db)
      await bootstrap(h.container)
      assert.equal(await count(), shipped)
    })

    // Last: it removes the snapshots this suite's later messages would refer to.
    it('renders with the template as it is now when the snapshot is missing, unreadable or changed', async () => {
      const first = await queue(h.container, h.defaultTenant)
      const second = await queue(h.container, h.defaultTenant)
      assert.equal(await h.container.outboxWorker.drain(), 2)
      const snapshotOf = async (id: string) => {
        const kept = openStoredBody(box(), id, (await stored(h, id)).body_sealed!)
        assert.equal(kept?.kind, 'snapshot')
        return kept.kind === 'snapshot' ? kept.snapshot : ''
      }
      const ids = [await snapshotOf(first.id), await snapshotOf(second.id)]
      assert.equal(ids[0], ids[1], 'one snapshot for both')
      // Another server on the same store, which has read back and kept no snapshot yet.
      const fresh = buildContainer(h.config, { store: h.container.store, logger: createLogger('silent') })
      try {
        // Changed in the store: other text under the same id no longer hashes to it.
        await h.container.store.db
          .updateTable('template_snapshots')
          .set({
            text_parts: JSON.stringify(['Planted https://phish.example/ ', { placeholder: 'user-name' }]),
          })
          .where('id', '=', ids[0]!)
          .execute()
        const changed = await fresh.outbox.readMailbox(h.defaultTenant, first.id, systemActor)
        assert.ok(changed.text.includes(first.code))
        assert.ok(!changed.text.includes('Planted'), changed.text)
        await h.container.store.db
          .updateTable('template_snapshots')
          .set({ html_parts: '{"not":"a list"}' })
          .where('id', '=', ids[0]!)
          .execute()
        const another = buildContainer(h.config, { store: h.container.store, logger: createLogger('silent') })
        const unreadable = await another.outbox
          .readMailbox(h.defaultTenant, first.id, systemActor)
          .finally(() => another.deliveryRouter.close())
        assert.ok(unreadable.text.includes(first.code))
        await h.container.store.db.deleteFrom('template_snapshots').where('id', '=', ids[0]!).execute()
        const missing = await fresh.outbox.readMailbox(h.defaultTenant, second.id, systemActor)
        assert.ok(missing.text.includes(second.code))
        assert.ok(missing.html.includes(second.code))
      } finally {
        await fresh.deliveryRouter.close()
      }
    })
  })
}
