import assert from 'node:assert/strict'
import { after, afterEach, before, beforeEach, describe, it } from 'node:test'
import { sql } from 'kysely'
import { buildContainer, type Container } from '../../src/container.ts'
import { systemActor } from '../../src/observability/audit.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { openStore } from '../../src/persistence/database.ts'
import { type Executor, inTransaction } from '../../src/persistence/executor.ts'
import { type OutboxRow, outboxRepository } from '../../src/persistence/repositories/outbox.ts'
import { type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { waitFor } from '../support/processes.ts'
import { type ReceivedMessage, SmtpSink } from '../support/smtp-sink.ts'
import { postgresKind, storeKinds } from '../support/stores.ts'

// Generous: a slow shared 2-core machine runs PostgreSQL, the sink and 200 deliveries in these.
const suite = { timeout: 300_000 }
const from = 'Rekey Notices <no-reply@rekey.test>'
// Short enough that tests move the clock past them in one step; real settings are minutes.
const LEASE_SECONDS = 5
const RETRY_MAX_SECONDS = 4
const MAX_ATTEMPTS = 3
// Characters that must come out as entities in HTML and unchanged in the text body.
const hostileName = '<b>&"'

/** Notification settings small enough that retries and leases run out within a test. */
const outboxEnv = {
  REKEY_SMTP_FROM: from,
  REKEY_NOTIFICATIONS_LEASE_SECONDS: String(LEASE_SECONDS),
  REKEY_NOTIFICATIONS_RETRY_BASE_SECONDS: '1',
  REKEY_NOTIFICATIONS_RETRY_MAX_SECONDS: String(RETRY_MAX_SECONDS),
  REKEY_NOTIFICATIONS_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  REKEY_NOTIFICATIONS_POLL_INTERVAL_MS: '50',
}

let sequence = 0
/** A code no other message of the run carries, so finding it anywhere means this message. */
const freshCode = () => `Q7X-${process.pid}-${++sequence}-K2D`

interface Queued {
  id: string
  queued: boolean
  code: string
  to: string
}

interface EnqueueOptions {
  to?: string
  name?: string
  code?: string
  key?: string
}

/** Queues a reset-code message in a transaction of its own, or in `trx` when given. */
async function enqueue(h: Harness, options: EnqueueOptions = {}, trx?: Executor): Promise<Queued> {
  const code = options.code ?? freshCode()
  const to = options.to ?? `user-${++sequence}@example.com`
  const request = {
    tenant: h.defaultTenant,
    type: 'SelfServiceResetCode' as const,
    to,
    userId: null,
    values: { 'user-name': options.name ?? 'Alex', 'confirmation-code': code, 'expiry-minutes': '15' },
    idempotencyKey: options.key ?? `test:${code}`,
  }
  const result = trx
    ? await h.container.notifier.enqueue(trx, request)
    : await inTransaction(h.container.store.db, (own) => h.container.notifier.enqueue(own, request))
  return { ...result, code, to }
}

async function row(h: Harness, id: string): Promise<OutboxRow> {
  const found = await outboxRepository.find(h.container.store.db, h.defaultTenant.id, id)
  assert.ok(found, `message ${id} is in the outbox`)
  return found
}

/** How many times the sink accepted each Message-ID. */
function receivedPerMessageId(messages: readonly ReceivedMessage[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const message of messages) {
    const id = message.parsed.messageId ?? ''
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return counts
}

/** Closes what the harness leaves open: the worker's loop and the pooled SMTP connections. */
async function closeHarness(h: Harness | undefined): Promise<void> {
  if (!h) return
  await h.container.outboxWorker.stop()
  await h.container.deliveryRouter.close()
  await h.close()
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: outbox delivery over SMTP`, { skip: kind.skip, ...suite }, () => {
    let sink: SmtpSink
    let h: Harness
    const clock = new ManualClock()
    const worker = () => h.container.outboxWorker
    const metrics = () => h.container.metrics

    before(async () => {
      sink = await SmtpSink.start()
      h = await openHarness(kind, { clock, env: { ...outboxEnv, REKEY_SMTP_URL: sink.url() } })
    })
    after(async () => {
      await closeHarness(h)
      await sink?.stop()
    })
    beforeEach(() => sink.reset())
    afterEach(async () => {
      // Every test leaves nothing due behind, so the next one leases only its own messages.
      await worker().stop()
      const queued = await h.container.store.db
        .selectFrom('outbox_messages')
        .select('id')
        .where('status', '=', 'queued')
        .execute()
      assert.deepEqual(queued, [], 'no message is left queued')
    })

    it('delivers a message over SMTP: headers, both bodies filled and escaped, body erased after acceptance', async () => {
      const sentBefore = metrics().outboxSent.value({ transport: 'smtp' })
      const message = await enqueue(h, { name: hostileName, to: 'alex@example.com' })
      assert.equal(message.queued, true)

      const stored = await row(h, message.id)
      assert.equal(stored.status, 'queued')
      assert.ok(stored.body_sealed, 'the body is stored until delivery')
      for (const plain of [message.code, hostileName, 'Hello', 'confirmation code'])
        assert.ok(!stored.body_sealed.includes(plain), `the stored body is sealed, not plaintext (${plain})`)

      assert.equal(await worker().drain(), 1)
      const [received, ...others] = await sink.waitForMessages(1)
      assert.equal(others.length, 0)
      const mail = received!.parsed
      assert.equal(mail.messageId, `<${message.id}@rekey>`)
      assert.equal(mail.from?.text, '"Rekey Notices" <no-reply@rekey.test>')
      assert.equal(received!.mailFrom, 'no-reply@rekey.test')
      assert.deepEqual(received!.rcptTo, ['alex@example.com'])
      const to = Array.isArray(mail.to) ? mail.to : [mail.to]
      assert.deepEqual(
        to.flatMap((address) => address?.value.map((entry) => entry.address) ?? []),
        ['alex@example.com'],
      )
      assert.equal(mail.subject, `Your password reset code for ${h.defaultTenant.domain}`)
      assert.equal(mail.headers.get('auto-submitted'), 'auto-generated')

      const text = mail.text ?? ''
      const html = typeof mail.html === 'string' ? mail.html : ''
      for (const body of [text, html]) {
        assert.ok(body.includes(message.code), 'the code is in both bodies')
        assert.ok(body.includes('15 minutes'), 'the expiry is filled in')
        assert.ok(body.includes(h.defaultTenant.domain), 'the tenant domain is filled in')
        assert.ok(body.includes('no-reply@rekey.test'), 'the support address defaults to the From address')
        assert.ok(!/\{\{|\}\}/.test(body), 'no placeholder is left')
      }
      assert.ok(text.includes(`Hello ${hostileName},`), 'the text body has the name as it is')
      assert.ok(html.includes('Hello &lt;b&gt;&amp;&quot;,'), 'the HTML body has the name escaped')
      assert.ok(!html.includes(hostileName), 'the HTML body never has the name raw')

      const sent = await row(h, message.id)
      assert.equal(sent.status, 'sent')
      assert.equal(sent.transport, 'smtp')
      assert.match(sent.smtp_response ?? '', /^250 .*queued as sink-1/)
      assert.equal(sent.body_sealed, null, 'the body is erased once the relay took the message')
      assert.equal(sent.sent_at, clock.now())
      assert.equal(sent.attempts, 1)
      assert.equal(sent.lease_owner, null)
      assert.equal(sent.last_error, null)
      const attempts = await outboxRepository.attempts(h.container.store.db, message.id)
      assert.deepEqual(
        attempts.map(({ outcome, worker, detail, attempted_at }) => ({
          outcome,
          worker,
          detail,
          attempted_at,
        })),
        [{ outcome: 'sent', worker: worker().id, detail: sent.smtp_response, attempted_at: clock.now() }],
      )
      assert.equal(metrics().outboxSent.value({ transport: 'smtp' }), sentBefore + 1)
    })

    it('queues one message for one idempotency key, however often and however concurrently it is asked', async () => {
      const key = `reset:idempotent:${freshCode()}`
      const first = await enqueue(h, { key, to: 'once@example.com' })
      const again = await enqueue(h, { key, to: 'once@example.com' })
      const racing = await Promise.all([
        enqueue(h, { key, to: 'once@example.com' }),
        enqueue(h, { key, to: 'once@example.com' }),
      ])
      assert.deepEqual(
        [first.queued, again.queued, ...racing.map((entry) => entry.queued)],
        [true, false, false, false],
      )
      const racingKey = `reset:race:${freshCode()}`
      const race = await Promise.all(
        Array.from({ length: 4 }, () => enqueue(h, { key: racingKey, to: 'race@example.com' })),
      )
      assert.equal(race.filter((entry) => entry.queued).length, 1, 'one of four concurrent requests queues')

      const stored = await h.container.store.db
        .selectFrom('outbox_messages')
        .select(['id', 'idempotency_key'])
        .where('idempotency_key', 'in', [key, racingKey])
        .execute()
      assert.deepEqual(stored.map((entry) => entry.idempotency_key).sort(), [key, racingKey].sort())
      assert.equal(await worker().drain(), 2)
      const received = await sink.waitForMessages(2)
      assert.deepEqual(received.map((message) => message.rcptTo[0]).sort(), [
        'once@example.com',
        'race@example.com',
      ])
      assert.equal(await worker().drain(), 0)
    })

    it('keeps messages queued while SMTP is down, and delivers each exactly once after it comes back', async () => {
      const count = 12
      const retriedBefore = metrics().outboxRetried.value()
      await sink.stop()
      const messages = await Promise.all(Array.from({ length: count }, () => enqueue(h)))
      const ids = messages.map((message) => message.id)
      worker().start()

      // The worker finds them at its first look; every attempt fails on the refused connection.
      const failed = await waitFor(
        'every message to fail its first attempt',
        async () => {
          const rows = await Promise.all(ids.map((id) => row(h, id)))
          return rows.every((entry) => entry.attempts === 1 && entry.lease_owner === null) ? rows : undefined
        },
        120_000,
      )
      for (const entry of failed) {
        assert.equal(entry.status, 'queued')
        assert.match(entry.last_error ?? '', new RegExp(`cannot reach 127\\.0\\.0\\.1:${sink.port}`))
        assert.ok(entry.next_attempt_at > clock.now(), 'the next attempt waits')
        assert.ok(entry.next_attempt_at <= clock.now() + 1000, 'the first retry comes after the base delay')
        assert.ok(entry.body_sealed, 'the body is kept for the retry')
      }
      assert.equal(metrics().outboxRetried.value(), retriedBefore + count)
      const history = await outboxRepository.attempts(h.container.store.db, ids[0]!)
      assert.deepEqual(
        history.map((attempt) => attempt.outcome),
        ['temporary'],
      )

      // Nothing is due until the clock reaches the retry time: the worker keeps polling in vain.
      await new Promise((resolve) => setTimeout(resolve, 300))
      assert.ok((await Promise.all(ids.map((id) => row(h, id)))).every((entry) => entry.attempts === 1))

      await sink.restart()
      clock.advance(RETRY_MAX_SECONDS * 1000)
      const received = await sink.waitForMessages(count, 120_000)
      await waitFor(
        'every message to be recorded as sent',
        async () => {
          const rows = await Promise.all(ids.map((id) => row(h, id)))
          return rows.every((entry) => entry.status === 'sent') ? rows : undefined
        },
        120_000,
      )
      await worker().stop()
      // Whatever the worker still had in hand has been settled: nothing is sent a second time.
      assert.equal(await worker().drain(), 0)
      const perId = receivedPerMessageId(sink.messages)
      assert.equal(sink.messages.length, count)
      assert.equal(received.length, count)
      for (const id of ids) assert.equal(perId.get(`<${id}@rekey>`), 1, `message ${id} arrived exactly once`)
      // The sink answers its n-th message with `queued as sink-n`: each row keeps its own answer.
      const answers = new Map(
        sink.messages.map((mail, index) => [mail.parsed.messageId, `sink-${index + 1}`]),
      )
      for (const id of ids) {
        const entry = await row(h, id)
        assert.equal(entry.attempts, 2)
        assert.equal(entry.last_error, null)
        assert.equal(entry.body_sealed, null)
        assert.match(
          entry.smtp_response ?? '',
          new RegExp(`^250 .*queued as ${answers.get(`<${id}@rekey>`)}$`),
        )
      }
    })

    it('marks a message dead on a permanent rejection, with the reason, an audit event and a metric', async () => {
      const deadBefore = metrics().outboxDead.value()
      sink.rejectRecipient('nobody@example.com', {
        code: 550,
        message: '5.1.1 No such user here',
        at: 'rcpt',
      })
      const rejected = await enqueue(h, { to: 'nobody@example.com' })
      const accepted = await enqueue(h, { to: 'somebody@example.com' })

      assert.equal(await worker().drain(), 2)
      const received = await sink.waitForMessages(1)
      assert.deepEqual(
        received.map((message) => message.rcptTo),
        [['somebody@example.com']],
      )
      const dead = await row(h, rejected.id)
      assert.equal(dead.status, 'dead')
      assert.equal(dead.attempts, 1)
      assert.match(dead.last_error ?? '', /^rejected by the server at RCPT TO: 550 5\.1\.1 No such user here/)
      assert.ok(dead.body_sealed, 'a dead message keeps its body, so that it can be resent')
      assert.equal((await row(h, accepted.id)).status, 'sent')
      const history = await outboxRepository.attempts(h.container.store.db, rejected.id)
      assert.deepEqual(
        history.map((attempt) => [attempt.outcome, attempt.detail]),
        [['permanent', dead.last_error]],
      )

      const events = await h.container.audit.list(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        action: 'notification.dead',
        target: rejected.id,
        limit: 10,
      })
      assert.equal(events.length, 1)
      assert.equal(events[0]!.outcome, 'failure')
      assert.equal(events[0]!.actor, 'system:system')
      assert.deepEqual(events[0]!.detail, {
        type: 'SelfServiceResetCode',
        recipient: 'nobody@example.com',
        reason: dead.last_error,
      })
      assert.equal(metrics().outboxDead.value(), deadBefore + 1)
      assert.match(metrics().render(), new RegExp(`rekey_outbox_messages_dead_total ${deadBefore + 1}`))
    })

    it(`gives up after ${MAX_ATTEMPTS} temporary failures`, async () => {
      const deadBefore = metrics().outboxDead.value()
      const retriedBefore = metrics().outboxRetried.value()
      sink.rejectNext(MAX_ATTEMPTS, { code: 451, message: '4.3.0 Try again later' })
      const message = await enqueue(h)

      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        assert.equal(await worker().drain(), 1, `attempt ${attempt} is due`)
        const entry = await row(h, message.id)
        assert.equal(entry.attempts, attempt)
        if (attempt < MAX_ATTEMPTS) {
          assert.equal(entry.status, 'queued')
          assert.match(entry.last_error ?? '', /^deferred by the server at DATA: 451 4\.3\.0 Try again later/)
          assert.equal(await worker().drain(), 0, 'the retry waits for its time')
          clock.advance(RETRY_MAX_SECONDS * 1000)
        }
      }
      const dead = await row(h, message.id)
      assert.equal(dead.status, 'dead')
      assert.match(
        dead.last_error ?? '',
        new RegExp(`^gave up after ${MAX_ATTEMPTS} attempts; last: deferred by the server at DATA: 451`),
      )
      const history = await outboxRepository.attempts(h.container.store.db, message.id)
      assert.deepEqual(
        history.map((attempt) => attempt.outcome),
        Array.from({ length: MAX_ATTEMPTS }, () => 'temporary'),
      )
      assert.equal(sink.rejections.length, MAX_ATTEMPTS)
      assert.equal(sink.messages.length, 0)
      assert.equal(metrics().outboxRetried.value(), retriedBefore + MAX_ATTEMPTS - 1)
      assert.equal(metrics().outboxDead.value(), deadBefore + 1)
      const events = await h.container.audit.list(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        action: 'notification.dead',
        target: message.id,
        limit: 10,
      })
      assert.equal(events.length, 1)
      assert.equal(events[0]!.detail.reason, dead.last_error)
    })

    it('leaves messages a crashed worker leased alone until the lease ends, then delivers them', async () => {
      const messages = await Promise.all(Array.from({ length: 3 }, () => enqueue(h)))
      const ids = messages.map((message) => message.id).sort()
      // What a worker that died right after leasing left behind: leased, never settled.
      const crashed = 'crashed-worker'
      const now = clock.now()
      const leased = await inTransaction(h.container.store.db, (trx) =>
        outboxRepository.lease(trx, crashed, now, now + LEASE_SECONDS * 1000, 100),
      )
      assert.deepEqual(leased.map((entry) => entry.id).sort(), ids)

      assert.equal(await worker().runOnce(), 0, 'the lease holds')
      clock.advance(LEASE_SECONDS * 1000 - 1)
      assert.equal(await worker().runOnce(), 0, 'the lease holds to its last millisecond')
      assert.equal(sink.messages.length, 0)

      clock.advance(1)
      assert.equal(await worker().drain(), 3, 'an expired lease is taken over')
      const received = await sink.waitForMessages(3)
      const perId = receivedPerMessageId(received)
      for (const id of ids) assert.equal(perId.get(`<${id}@rekey>`), 1)
      for (const id of ids) {
        const entry = await row(h, id)
        assert.equal(entry.status, 'sent')
        // The crashed worker's lease counted as an attempt.
        assert.equal(entry.attempts, 2)
        const history = await outboxRepository.attempts(h.container.store.db, id)
        assert.deepEqual(
          history.map((attempt) => [attempt.worker, attempt.outcome]),
          [[worker().id, 'sent']],
        )
      }
      // Had the crashed worker come back to settle, its word would no longer count.
      const late = await outboxRepository.markRetry(h.container.store.db, {
        id: ids[0]!,
        worker: crashed,
        now: clock.now(),
        next: clock.now(),
        error: 'late',
      })
      assert.equal(late, false)
      assert.equal((await row(h, ids[0]!)).status, 'sent')
    })
  })
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: a running worker and messages queued by its process`, {
    skip: kind.skip,
    ...suite,
  }, () => {
    let sink: SmtpSink
    let h: Harness

    before(async () => {
      sink = await SmtpSink.start()
      // The longest poll interval there is: a message found before it ends was found by a nudge.
      // One message per batch, and so one lane: no idle lane hears a nudge for a busy one.
      h = await openHarness(kind, {
        env: {
          ...outboxEnv,
          REKEY_SMTP_URL: sink.url(),
          REKEY_NOTIFICATIONS_POLL_INTERVAL_MS: '60000',
          REKEY_NOTIFICATIONS_BATCH_SIZE: '1',
        },
      })
      h.container.outboxWorker.start()
    })
    after(async () => {
      await closeHarness(h)
      await sink?.stop()
    })
    beforeEach(() => sink.reset())

    it('picks up a message whose transaction commits after the nudge', async () => {
      const message = await inTransaction(h.container.store.db, async (trx) => {
        const queued = await enqueue(h, {}, trx)
        // The rest of the caller's work: the nudge comes while the transaction is still open.
        await new Promise((resolve) => setTimeout(resolve, 200))
        return queued
      })
      const [received] = await sink.waitForMessages(1, 20_000)
      assert.equal(received!.parsed.messageId, `<${message.id}@rekey>`)
    })

    it('picks up a message queued while the worker is busy with a batch', async () => {
      // Holds the worker inside its batch (at the route look-up) until the second message is queued.
      const router = h.container.deliveryRouter
      const routeFor = router.routeFor
      let entered!: () => void
      const inBatch = new Promise<void>((resolve) => {
        entered = resolve
      })
      let release!: () => void
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      router.routeFor = async (tenantId) => {
        entered()
        await held
        return routeFor.call(router, tenantId)
      }
      try {
        const first = await enqueue(h)
        await inBatch
        const second = await enqueue(h)
        // The nudge is sent on the turn after the enqueue.
        await new Promise((resolve) => setImmediate(resolve))
        router.routeFor = routeFor
        release()
        const received = await sink.waitForMessages(2, 20_000)
        assert.deepEqual(
          received.map((mail) => mail.parsed.messageId),
          [`<${first.id}@rekey>`, `<${second.id}@rekey>`],
        )
      } finally {
        router.routeFor = routeFor
        release()
      }
    })
  })
}

describe('postgres: two workers on one store', { skip: postgresKind.skip, ...suite }, () => {
  const count = 200
  let sink: SmtpSink
  let h: Harness
  let second: Container | undefined
  const clock = new ManualClock()

  before(async () => {
    sink = await SmtpSink.start()
    // Small batches, so the two workers lease side by side many times rather than once each.
    h = await openHarness(postgresKind, {
      clock,
      env: { ...outboxEnv, REKEY_SMTP_URL: sink.url(), REKEY_NOTIFICATIONS_BATCH_SIZE: '10' },
    })
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
      h.container.store.db,
    )
    // Another instance: its own pool on the same schema, its own worker and SMTP pool.
    const store = openStore(h.config, { searchPath: rows[0]!.schema })
    second = buildContainer(h.config, { store, clock, logger: createLogger('silent') })
  })
  after(async () => {
    await second?.close()
    await closeHarness(h)
    await sink?.stop()
  })

  it(`deliver ${count} queued messages between them, each exactly once`, async () => {
    const ids: string[] = []
    // Queued as an application would: several messages per transaction.
    for (let batch = 0; batch < count / 20; batch++) {
      const queued = await inTransaction(h.container.store.db, async (trx) => {
        const results = []
        for (let index = 0; index < 20; index++) {
          const code = freshCode()
          results.push(
            await h.container.notifier.enqueue(trx, {
              tenant: h.defaultTenant,
              type: 'SelfServiceResetCode',
              to: `pair-${batch}-${index}@example.com`,
              values: { 'user-name': 'Pat', 'confirmation-code': code, 'expiry-minutes': '15' },
              idempotencyKey: `pair:${code}`,
            }),
          )
        }
        return results
      })
      ids.push(...queued.map((entry) => entry.id))
    }
    assert.equal(new Set(ids).size, count)

    const [first, other] = await Promise.all([h.container.outboxWorker.drain(), second!.outboxWorker.drain()])
    assert.equal(first + other, count, 'every message was leased exactly once')
    assert.ok(first > 0 && other > 0, `both workers took part (${first} and ${other})`)

    const received = await sink.waitForMessages(count, 120_000)
    const perId = receivedPerMessageId(received)
    assert.equal(received.length, count)
    for (const id of ids) assert.equal(perId.get(`<${id}@rekey>`), 1, `message ${id} arrived exactly once`)
    const rows = await h.container.store.db
      .selectFrom('outbox_messages')
      .select(['status', 'attempts'])
      .where('id', 'in', ids)
      .execute()
    assert.ok(rows.every((entry) => entry.status === 'sent' && entry.attempts === 1))
    const workers = await h.container.store.db
      .selectFrom('outbox_attempts')
      .select(['worker', (eb) => eb.fn.countAll<number>().as('count')])
      .where('message_id', 'in', ids)
      .groupBy('worker')
      .execute()
    assert.deepEqual(Object.fromEntries(workers.map((entry) => [entry.worker, Number(entry.count)])), {
      [h.container.outboxWorker.id]: first,
      [second!.outboxWorker.id]: other,
    })
  })
})

for (const kind of storeKinds) {
  describe(`${kind.kind}: the built-in mailbox when no SMTP server is configured`, {
    skip: kind.skip,
    ...suite,
  }, () => {
    const lines: string[] = []
    let h: Harness

    before(async () => {
      h = await openHarness(kind, {
        env: { ...outboxEnv, REKEY_SMTP_URL: '' },
        logDestination: { write: (line) => lines.push(line) },
      })
    })
    after(() => closeHarness(h))

    it('delivers to the mailbox, keeps the body readable there, and logs who and what but never the code', async () => {
      const message = await enqueue(h, { to: 'mailbox@example.com', name: hostileName })
      assert.equal(await h.container.outboxWorker.drain(), 1)

      const stored = await row(h, message.id)
      assert.equal(stored.status, 'sent')
      assert.equal(stored.transport, 'mailbox')
      assert.equal(stored.smtp_response, 'delivered to the built-in mailbox')
      assert.ok(stored.body_sealed, 'the mailbox keeps the body')
      assert.ok(!stored.body_sealed.includes(message.code), 'still sealed')
      assert.equal(h.container.metrics.outboxSent.value({ transport: 'mailbox' }), 1)

      const listed = await h.container.outbox.mailbox(h.defaultTenant, { limit: 10 })
      assert.deepEqual(
        listed.map((entry) => [entry.id, entry.to, entry.bodyKept]),
        [[message.id, 'mailbox@example.com', true]],
      )
      const read = await h.container.outbox.readMailbox(h.defaultTenant, message.id, systemActor)
      assert.equal(read.subject, `Your password reset code for ${h.defaultTenant.domain}`)
      assert.ok(read.text.includes(message.code) && read.html.includes(message.code))
      assert.ok(read.text.includes(`Hello ${hostileName},`))
      assert.ok(read.html.includes('Hello &lt;b&gt;&amp;&quot;,'))

      const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
      const delivery = logged.filter((entry) => entry.messageId === message.id)
      assert.equal(delivery.length, 1, 'one log line for the delivery')
      assert.equal(delivery[0]!.to, 'mailbox@example.com')
      assert.equal(delivery[0]!.subject, read.subject)
      assert.match(String(delivery[0]!.msg), /built-in mailbox/)
      for (const line of lines) assert.ok(!line.includes(message.code), `the code is never logged: ${line}`)
    })
  })
}
