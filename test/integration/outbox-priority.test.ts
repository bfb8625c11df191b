import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { cliActor } from '../../src/observability/audit.ts'
import { inTransaction } from '../../src/persistence/executor.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { SmtpSink } from '../support/smtp-sink.ts'
import { storeKinds } from '../support/stores.ts'

const suite = { timeout: 120_000 }
const EMAIL = 'http://wso2.org/claims/emailaddress'

/** Queues one message unrelated to any bulk job. */
async function queueOther(h: Harness, code: string): Promise<void> {
  await inTransaction(h.container.store.db, (trx) =>
    h.container.notifier.enqueue(trx, {
      tenant: h.defaultTenant,
      type: 'SelfServiceResetCode',
      to: 'other@example.com',
      values: { 'user-name': 'Other', 'confirmation-code': code, 'expiry-minutes': '15' },
      idempotencyKey: `priority:${code}`,
    }),
  )
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: mail delivery beside a bulk reset`, { skip: kind.skip, ...suite }, () => {
    let sink: SmtpSink
    let h: Harness

    before(async () => {
      sink = await SmtpSink.start()
      h = await openHarness(kind, {
        env: {
          REKEY_SMTP_URL: sink.url(),
          REKEY_SMTP_FROM: 'Rekey <no-reply@rekey.test>',
          REKEY_NOTIFICATIONS_POLL_INTERVAL_MS: '50',
        },
      })
      for (let index = 1; index <= 6; index++)
        await h.container.users.create(
          h.defaultTenant,
          { username: `prio-${index}`, claims: { [EMAIL]: `prio-${index}@example.com` } },
          cliActor,
        )
    })
    after(async () => {
      await h?.container.outboxWorker.stop()
      await h?.container.deliveryRouter.close()
      await h?.close()
      await sink?.stop()
    })

    it('delivery waits while the job forces its users, then delivers everything', async () => {
      const runner = h.container.bulkResetRunner
      const job = await h.container.bulkResets.create(
        h.defaultTenant,
        { filter: 'userName sw "prio-"', mode: 'email-otp' },
        { actor: cliActor, channel: 'cli' },
      )
      h.container.outboxWorker.start()
      const seenDuringJob: number[] = []
      assert.equal(runner.busy, false)
      await runner.runJob(job.id, async () => {
        assert.equal(runner.busy, true)
        // Queued while the job runs: the worker is nudged at once.
        await queueOther(h, 'PRIO-DURING')
        // Long enough for an idle worker polling every 50 ms to have delivered.
        await sleep(400)
        seenDuringJob.push(sink.messages.length)
      })
      assert.equal(runner.busy, false)
      assert.ok(
        seenDuringJob.every((count) => count === 0),
        `${seenDuringJob}`,
      )
      // Once the job is done: the message queued during it and the job's six.
      const received = await sink.waitForMessages(7, 30_000)
      assert.ok(received.some((message) => message.parsed.text?.includes('PRIO-DURING')))
    })
  })
}
