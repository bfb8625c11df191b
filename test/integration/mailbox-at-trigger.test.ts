import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { openStoredBody } from '../../src/notifications/outbox/stored-body.ts'
import { cliActor } from '../../src/observability/audit.ts'
import { inTransaction } from '../../src/persistence/executor.ts'
import { usersRepository } from '../../src/persistence/repositories/users.ts'
import { SealedBox } from '../../src/security/sealed-box.ts'
import { freshUser, staffRole } from '../support/fresh-user.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import { SmtpSink } from '../support/smtp-sink.ts'
import { storeKinds } from '../support/stores.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'
const FORCED = 'http://wso2.org/claims/identity/adminForcedPasswordReset'
const suite = { timeout: 120_000 }

/** The outbox rows and delivery attempts of the messages to `recipient`. */
async function mailTo(h: Harness, recipient: string) {
  const db = h.container.store.db
  const messages = await db
    .selectFrom('outbox_messages')
    .selectAll()
    .where('recipient', '=', recipient)
    .orderBy('created_at')
    .execute()
  const attempts =
    messages.length === 0
      ? []
      : await db
          .selectFrom('outbox_attempts')
          .selectAll()
          .where(
            'message_id',
            'in',
            messages.map((message) => message.id),
          )
          .execute()
  return { messages, attempts }
}

const forceReset = (h: Harness, userId: string) =>
  call(h.app, {
    method: 'POST',
    url: `/api/admin/users/${userId}/force-password-reset`,
    auth: h.adminAuth,
    payload: { mode: 'email-link' },
  })

for (const kind of storeKinds) {
  describe(`${kind.kind}: a forced reset's mail to the built-in mailbox`, {
    skip: kind.skip,
    ...suite,
  }, () => {
    const lines: string[] = []
    let h: Harness

    before(async () => {
      h = await openHarness(kind, {
        env: { REKEY_SMTP_URL: '' },
        logDestination: { write: (line) => lines.push(line) },
      })
      await staffRole(h)
    })
    after(async () => h?.close())

    it('is delivered in the trigger’s own transaction: sent, attempted once, readable, logged without the link', async () => {
      const userId = await freshUser(h, {
        username: 'mara',
        password: 'Harbour-Lantern-73',
        roles: ['staff'],
        claims: { [EMAIL]: 'mara@example.com' },
      })
      const sentBefore = h.container.metrics.outboxSent.value({ transport: 'mailbox' })
      const forced = await forceReset(h, userId)
      assert.equal(forced.status, 200, JSON.stringify(forced.body))

      // No worker ran: the trigger itself left the message delivered.
      const { messages, attempts } = await mailTo(h, 'mara@example.com')
      assert.equal(messages.length, 1)
      const [message] = messages
      assert.equal(message!.id, forced.body.messageId)
      assert.equal(message!.status, 'sent')
      assert.equal(message!.transport, 'mailbox')
      assert.equal(message!.attempts, 1)
      assert.equal(message!.smtp_response, 'delivered to the built-in mailbox')
      assert.equal(message!.lease_owner, null)
      assert.equal(typeof message!.sent_at, 'number')
      assert.deepEqual(
        attempts.map((attempt) => [attempt.outcome, attempt.detail]),
        [['mailbox', 'delivered to the built-in mailbox']],
      )
      assert.equal(h.container.metrics.outboxSent.value({ transport: 'mailbox' }), sentBefore + 1)
      assert.equal(await h.container.outboxWorker.drain(), 0, 'nothing is left for the worker')

      const read = await h.container.outbox.readMailbox(h.defaultTenant, message!.id, cliActor)
      const link = /reset-password\?token=([A-Za-z0-9_%-]+)/.exec(read.text)?.[1]
      assert.ok(link, read.text)
      assert.ok(read.html.includes(link), 'both parts carry the link')
      assert.ok(!message!.body_sealed!.includes(link), 'the stored body is sealed')
      // Its values and the shipped template's snapshot (decision 0028), not a rendered copy.
      const box = new SealedBox(h.container.secretKey, 'outbox-body')
      assert.equal(openStoredBody(box, message!.id, message!.body_sealed!)?.kind, 'snapshot')
      assert.ok(message!.body_sealed!.length < 1000, `${message!.body_sealed!.length} characters`)

      const logged = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.messageId === message!.id)
      assert.equal(logged.length, 1, 'one log line for the delivery')
      assert.equal(logged[0]!.to, 'mara@example.com')
      assert.match(String(logged[0]!.msg), /built-in mailbox/)
      for (const line of lines) assert.ok(!line.includes(link), `the link is never logged: ${line}`)

      // The link the mailbox shows is the live one: it opens the reset page.
      const page = await call(h.app, { method: 'GET', url: `/reset-password?token=${link}` })
      assert.equal(page.status, 200)
    })

    it('a trigger rolled back leaves neither a message nor an attempt', async () => {
      const userId = await freshUser(h, {
        username: 'noor',
        password: 'Harbour-Lantern-73',
        roles: ['staff'],
        claims: { [EMAIL]: 'noor@example.com' },
      })
      const user = (await usersRepository.findById(h.container.store.db, h.defaultTenant.id, userId))!
      await assert.rejects(
        inTransaction(h.container.store.db, async (trx) => {
          await h.container.forcedResets.writeClaimsIn(
            trx,
            h.defaultTenant,
            user,
            { [FORCED]: 'true' },
            { actor: cliActor, channel: 'cli' },
          )
          throw new Error('abandoned after the trigger')
        }),
        /abandoned after the trigger/,
      )
      assert.deepEqual(await mailTo(h, 'noor@example.com'), { messages: [], attempts: [] })
    })

    it("a bulk job's messages stay queued for the worker, which delivers them after the job", async () => {
      for (const name of ['bulk-mb-1', 'bulk-mb-2'])
        await freshUser(h, {
          username: name,
          password: `${name}-Lantern-73`,
          roles: ['staff'],
          claims: { [EMAIL]: `${name}@example.com` },
        })
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/force-password-reset',
        auth: h.adminAuth,
        payload: { filter: 'userName sw "bulk-mb-"', mode: 'email-link' },
      })
      assert.equal(created.status, 202, JSON.stringify(created.body))
      await h.container.bulkResetRunner.withOptions({ batchSize: 2, parallelBatches: 1 }).runPending()
      for (const name of ['bulk-mb-1', 'bulk-mb-2']) {
        const { messages, attempts } = await mailTo(h, `${name}@example.com`)
        assert.deepEqual(
          messages.map((message) => [message.status, message.attempts]),
          [['queued', 0]],
        )
        assert.equal(attempts.length, 0)
      }
      assert.equal(await h.container.outboxWorker.drain(), 2)
      for (const name of ['bulk-mb-1', 'bulk-mb-2']) {
        const { messages } = await mailTo(h, `${name}@example.com`)
        assert.deepEqual(
          messages.map((message) => [message.status, message.transport]),
          [['sent', 'mailbox']],
        )
      }
    })
  })

  describe(`${kind.kind}: a forced reset's mail to an SMTP relay`, { skip: kind.skip, ...suite }, () => {
    let sink: SmtpSink
    let h: Harness

    before(async () => {
      sink = await SmtpSink.start()
      h = await openHarness(kind, { env: { REKEY_SMTP_URL: sink.url() } })
      await staffRole(h)
    })
    after(async () => {
      await h?.close()
      await sink?.stop()
    })

    it('stays queued until the worker hands it to the relay', async () => {
      const userId = await freshUser(h, {
        username: 'ines',
        password: 'Harbour-Lantern-73',
        roles: ['staff'],
        claims: { [EMAIL]: 'ines@example.com' },
      })
      const forced = await forceReset(h, userId)
      assert.equal(forced.status, 200, JSON.stringify(forced.body))
      const queued = await mailTo(h, 'ines@example.com')
      assert.deepEqual(
        queued.messages.map((message) => [message.status, message.attempts]),
        [['queued', 0]],
      )
      assert.equal(queued.attempts.length, 0)

      assert.equal(await h.container.outboxWorker.drain(), 1)
      const sent = await mailTo(h, 'ines@example.com')
      assert.deepEqual(
        sent.messages.map((message) => [message.status, message.transport, message.body_sealed]),
        [['sent', 'smtp', null]],
      )
      assert.deepEqual(
        sink.messages.map((message) => message.rcptTo),
        [['ines@example.com']],
      )
    })
  })
  describe(`${kind.kind}: a forced reset whose relay cannot be built`, { skip: kind.skip, ...suite }, () => {
    let h: Harness

    before(async () => {
      // Valid as configuration; the CA file is read only when a transport is built.
      h = await openHarness(kind, {
        env: { REKEY_SMTP_URL: 'smtp://127.0.0.1:2525?tls_ca_file=/nonexistent/rekey-ca.pem' },
      })
      await staffRole(h)
    })
    after(async () => h?.close())

    it('still locks the account and queues the mail for the worker to report', async () => {
      const userId = await freshUser(h, {
        username: 'omar',
        password: 'Harbour-Lantern-73',
        roles: ['staff'],
        claims: { [EMAIL]: 'omar@example.com' },
      })
      const forced = await forceReset(h, userId)
      assert.equal(forced.status, 200, JSON.stringify(forced.body))
      const user = await h.container.users.get(h.defaultTenant, userId)
      assert.equal(user.lockReason, 'reset-pending')
      const { messages, attempts } = await mailTo(h, 'omar@example.com')
      assert.deepEqual(
        messages.map((message) => [message.status, message.attempts]),
        [['queued', 0]],
      )
      assert.equal(attempts.length, 0)
      const login = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'omar', password: 'Harbour-Lantern-73' },
      })
      assert.equal(login.status, 401)
    })
  })
}
