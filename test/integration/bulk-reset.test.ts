import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { buildContainer } from '../../src/container.ts'
import type { BulkResetRunner } from '../../src/flows/bulk-reset/runner.ts'
import { BatchTrigger } from '../../src/flows/forced-reset/trigger-batch.ts'
import { cliActor } from '../../src/observability/audit.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { openStore } from '../../src/persistence/database.ts'
import { type Executor, inTransaction } from '../../src/persistence/executor.ts'
import { claimsRepository } from '../../src/persistence/repositories/claims.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { SealedBox } from '../../src/security/sealed-box.ts'
import { staffRole } from '../support/fresh-user.ts'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { type Answer, assertProblem, call } from '../support/http.ts'
import { snapshotNotifications } from '../support/notifications.ts'
import { snapshotStore } from '../support/store-snapshot.ts'
import { storeKinds } from '../support/stores.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'
const FORCED = 'http://wso2.org/claims/identity/adminForcedPasswordReset'
const suite = { timeout: 300_000 }

/** What a reset left on one user: all of it (forced) or none of it (untouched). */
async function stateOf(db: Executor, userId: string) {
  const user = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow()
  const count = async (table: 'pending_resets' | 'reset_codes' | 'outbox_messages') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('user_id', '=', userId)
          .executeTakeFirstOrThrow()
      ).n,
    )
  // As every interface reads it: from the pending reset while one is.
  const claims = await claimsRepository.forUser(db, userId)
  const audits = await db
    .selectFrom('audit_events')
    .select('detail')
    .where('action', '=', 'user.reset-forced')
    .where('target', '=', userId)
    .execute()
  return {
    status: user.status,
    lockReason: user.lock_reason,
    pending: await count('pending_resets'),
    codes: await count('reset_codes'),
    messages: await count('outbox_messages'),
    claim: claims[FORCED] ?? null,
    audits: audits.length,
  }
}

const forcedByMail = {
  status: 'locked',
  lockReason: 'reset-pending',
  pending: 1,
  codes: 1,
  messages: 1,
  claim: 'true',
  audits: 1,
}
const untouched = {
  status: 'active',
  lockReason: null,
  pending: 0,
  codes: 0,
  messages: 0,
  claim: null,
  audits: 0,
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: bulk forced password reset`, { skip: kind.skip, ...suite }, () => {
    let h: Harness
    let other: TenantRow
    const otherAdmin = basicAuth('admin', 'other-admin-password-1')

    /** Users `<prefix>-1…n` with addresses, and `<prefix>-nomail` without one. */
    async function seed(tenant: TenantRow, prefix: string, count: number): Promise<Record<string, string>> {
      const ids: Record<string, string> = {}
      const names = [
        ...Array.from({ length: count }, (_, index) => `${prefix}-${index + 1}`),
        `${prefix}-nomail`,
      ]
      for (const name of names) {
        const user = await h.container.users.create(
          tenant,
          {
            username: name,
            password: `${name}-password-1`,
            roles: ['staff'],
            claims: name.endsWith('nomail') ? {} : { [EMAIL]: `${name}@bulk.example` },
          },
          cliActor,
        )
        ids[name] = user.id
      }
      return ids
    }

    const post = (payload: object, auth = h.adminAuth, base = '/api/admin') =>
      call(h.app, { method: 'POST', url: `${base}/force-password-reset`, auth, payload })
    const job = (id: string, auth = h.adminAuth, base = '/api/admin') =>
      call(h.app, { method: 'GET', url: `${base}/force-password-reset/jobs/${id}`, auth })
    const cancel = (id: string, auth = h.adminAuth, base = '/api/admin') =>
      call(h.app, { method: 'DELETE', url: `${base}/force-password-reset/jobs/${id}`, auth })
    /** Another process leases the job (this one looks dead to it). */
    const takeOver = (jobId: string) =>
      h.container.store.db
        .updateTable('bulk_reset_jobs')
        .set({ lease_owner: 'another-process', lease_expires_at: h.container.clock.now() + 600_000 })
        .where('id', '=', jobId)
        .execute()
    const leaseRunsOut = (jobId: string) =>
      h.container.store.db
        .updateTable('bulk_reset_jobs')
        .set({ lease_expires_at: 0 })
        .where('id', '=', jobId)
        .execute()
    /** The users left fully forced by mail, and those left untouched. */
    const statesOf = async (userIds: readonly string[]) => {
      const states = await Promise.all(userIds.map((id) => stateOf(h.container.store.db, id)))
      const alike = (expected: object) =>
        states.filter((state) => JSON.stringify(state) === JSON.stringify(expected))
      return { forced: alike(forcedByMail), left: alike(untouched) }
    }
    const snapshot = async () => ({
      ...(await snapshotStore(h.container.store.db)),
      ...(await snapshotNotifications(h.container.store.db)),
      jobs: (await h.container.store.db.selectFrom('bulk_reset_jobs').select('id').execute()).map(
        (r) => r.id,
      ),
      pending: (await h.container.store.db.selectFrom('pending_resets').select('user_id').execute()).length,
    })

    before(async () => {
      h = await openHarness(kind)
      await staffRole(h)
      const tenant = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: 'other.example', adminPassword: 'other-admin-password-1' },
      })
      assert.equal(tenant.status, 201, JSON.stringify(tenant.body))
      other = await h.container.tenants.require('other.example')
      await call(h.app, {
        method: 'POST',
        url: '/t/other.example/api/admin/roles',
        auth: otherAdmin,
        payload: { name: 'staff', permissions: ['login'] },
      })
    })
    after(async () => h?.close())

    it('a dry run counts the users, names a few and those without an address, and changes nothing', async () => {
      await seed(h.defaultTenant, 'dry', 3)
      const before = await snapshot()
      const answer = await post({ filter: 'userName sw "dry-"', mode: 'email-otp', dryRun: true })
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      assert.deepEqual(answer.body, {
        count: 4,
        mode: 'email-otp',
        sample: ['dry-1', 'dry-2', 'dry-3', 'dry-nomail'],
        withoutEmail: 1,
      })
      const offline = await post({ filter: 'userName sw "dry-"', mode: 'offline-otp', dryRun: true })
      assert.equal(offline.body.withoutEmail, 0, 'the offline mode needs no address')
      const none = await post({ filter: 'userName eq "nobody-at-all"', dryRun: true })
      assert.equal(none.status, 200)
      assert.equal(none.body.count, 0)
      assert.deepEqual(await snapshot(), before)
    })

    it('forces every user a filter selects, in batches, and reports those without an address', async () => {
      const ids = await seed(h.defaultTenant, 'flt', 5)
      // The same names in another tenant: a filter never reaches past its own tenant.
      const outsiders = await seed(other, 'flt', 2)
      const created = await post({
        filter: 'userName sw "flt-" and emails.value ew "@bulk.example" or userName eq "flt-nomail"',
        mode: 'email-otp',
      })
      assert.equal(created.status, 202, JSON.stringify(created.body))
      assert.equal(created.body.total, 6)
      assert.equal(created.body.status, 'queued')
      assert.equal(created.body.location, `/api/admin/force-password-reset/jobs/${created.body.jobId}`)
      assert.equal(created.headers.location, created.body.location)
      const queued = await job(created.body.jobId)
      assert.equal(queued.body.remaining, 6)

      await h.container.bulkResetRunner.withOptions({ batchSize: 2, parallelBatches: 3 }).runPending()
      const done = await job(created.body.jobId)
      assert.equal(done.status, 200)
      assert.equal(done.body.status, 'completed')
      if (h.kind === 'postgres') {
        // A job of more than one batch refreshes the statistics its reads and the outbox's
        // lease are planned from (refreshPlannerStatistics).
        const { rows } = await sql<{ relname: string; analyzed: boolean }>`
          select relname, last_analyze is not null as analyzed from pg_stat_user_tables
          where schemaname = current_schema() and relname in ('bulk_reset_targets', 'outbox_messages')
          order by relname`.execute(h.container.store.db)
        assert.deepEqual(rows, [
          { relname: 'bulk_reset_targets', analyzed: true },
          { relname: 'outbox_messages', analyzed: true },
        ])
      }
      assert.deepEqual(
        {
          total: done.body.total,
          done: done.body.done,
          failed: done.body.failed,
          remaining: done.body.remaining,
        },
        { total: 6, done: 5, failed: 1, remaining: 0 },
      )
      assert.deepEqual(done.body.failures, [
        { userId: ids['flt-nomail'], userName: 'flt-nomail', reason: 'reset.no-email' },
      ])
      const db = h.container.store.db
      for (const name of ['flt-1', 'flt-2', 'flt-3', 'flt-4', 'flt-5'])
        assert.deepEqual(await stateOf(db, ids[name]!), forcedByMail, name)
      assert.deepEqual(await stateOf(db, ids['flt-nomail']!), untouched)
      for (const [name, id] of Object.entries(outsiders))
        assert.deepEqual(await stateOf(db, id), untouched, name)

      const [event] = await h.container.audit.list(db, {
        tenantId: h.defaultTenant.id,
        limit: 1,
        action: 'user.reset-forced',
        target: ids['flt-3'],
      })
      assert.equal(event?.detail.channel, 'bulk')
      assert.equal(event?.detail.job, created.body.jobId)
      assert.equal(event?.actor, 'user:admin')
      const started = await h.container.audit.list(db, {
        tenantId: h.defaultTenant.id,
        limit: 1,
        action: 'bulk-reset.started',
      })
      assert.equal(started[0]?.target, created.body.jobId)
      const finished = await h.container.audit.list(db, {
        tenantId: h.defaultTenant.id,
        limit: 1,
        action: 'bulk-reset.finished',
      })
      assert.deepEqual(finished[0]?.detail, {
        status: 'completed',
        total: 6,
        done: 5,
        failed: 1,
        requestedBy: 'admin',
      })
      assert.equal(
        (await db.selectFrom('bulk_reset_targets').selectAll().execute()).length,
        0,
        'targets are dropped when the job ends',
      )

      // The emailed one-time password signs the user in to set a new password.
      await h.container.outboxWorker.drain()
      const [message] = await h.container.outbox.mailbox(h.defaultTenant, {
        limit: 1,
        recipient: 'flt-2@bulk.example',
      })
      const text = (await h.container.outbox.readMailbox(h.defaultTenant, message!.id, cliActor)).text
      const otp = /^ {4}([A-Z2-9]{8})$/m.exec(text)?.[1]
      assert.ok(otp, text)
      const signIn = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'flt-2', password: otp },
      })
      assert.equal(signIn.status, 200, JSON.stringify(signIn.body))
      assert.equal(signIn.body.requiredAction, 'set-password')
    })

    it('forces users named by id or user name, in the offline mode without mail', async () => {
      const ids = await seed(h.defaultTenant, 'lst', 3)
      const byId = await post({ ids: [ids['lst-1'], ids['lst-nomail']!.toUpperCase()], mode: 'offline-otp' })
      assert.equal(byId.status, 202, JSON.stringify(byId.body))
      const byName = await post({ userNames: ['lst-2', 'PRIMARY/LST-3'], mode: 'email-link' })
      assert.equal(byName.status, 202, JSON.stringify(byName.body))
      assert.equal(byName.body.total, 2)
      assert.equal(await h.container.bulkResetRunner.runPending(), 2)
      assert.equal((await job(byId.body.jobId)).body.done, 2, 'offline: no address needed')
      const db = h.container.store.db
      for (const name of ['lst-1', 'lst-nomail'])
        assert.deepEqual(await stateOf(db, ids[name]!), { ...forcedByMail, messages: 0 }, name)
      const [code] = await db
        .selectFrom('reset_codes')
        .selectAll()
        .where('user_id', '=', ids['lst-1']!)
        .execute()
      assert.ok(code?.sealed_secret, 'the offline code is sealed for read-back')
      for (const name of ['lst-2', 'lst-3'])
        assert.deepEqual(await stateOf(db, ids[name]!), forcedByMail, name)
    })

    it('gives a user deleted after the batch read it nothing to orphan: skipped as not found', async () => {
      const ids = await seed(h.defaultTenant, 'gone', 3)
      const db = h.container.store.db
      const { container } = h
      const trigger = new BatchTrigger({
        config: container.config,
        clock: container.clock,
        audit: container.audit,
        notifier: container.notifier,
        secretKey: container.secretKey,
        offlineCodes: new SealedBox(container.secretKey, 'offline-otp'),
      })
      const runWith = async (mode: 'offline-otp' | 'email-otp', names: string[]) => {
        const read = await db
          .selectFrom('users')
          .selectAll()
          .where(
            'id',
            'in',
            names.map((name) => ids[name]!),
          )
          .orderBy('id')
          .execute()
        // Deleted between the batch's read and its lock: the reset's rows have no foreign key
        // to refuse them, so the trigger itself must leave this user out.
        await container.users.delete(h.defaultTenant, ids[names[0]!]!, cliActor)
        return inTransaction(db, async (trx) =>
          trigger.run(trx, h.defaultTenant, read, {
            mode,
            policy: await container.tenantPolicies.resetPolicy(h.defaultTenant, trx),
            actor: cliActor,
            channel: 'cli',
          }),
        )
      }
      const leftFor = async (name: string) => {
        const rows: Record<string, number> = {}
        for (const table of ['pending_resets', 'reset_codes', 'outbox_messages'] as const)
          rows[table] = (
            await db.selectFrom(table).select('user_id').where('user_id', '=', ids[name]!).execute()
          ).length
        const audits = await db
          .selectFrom('audit_events')
          .select('id')
          .where('action', '=', 'user.reset-forced')
          .where('target', '=', ids[name]!)
          .execute()
        return { ...rows, audits: audits.length }
      }
      const nothing = { pending_resets: 0, reset_codes: 0, outbox_messages: 0, audits: 0 }

      // Offline mode: the claims (gone with the user) are not needed, so only the lock can tell.
      const offline = await runWith('offline-otp', ['gone-1', 'gone-2'])
      assert.deepEqual(
        offline.skipped.map((skip) => [skip.user.id, skip.reason]),
        [[ids['gone-1'], 'user.not-found']],
      )
      assert.deepEqual(
        offline.triggered.map((result) => result.userId),
        [ids['gone-2']],
      )
      assert.deepEqual(await stateOf(db, ids['gone-2']!), { ...forcedByMail, messages: 0 })
      assert.deepEqual(await leftFor('gone-1'), nothing)

      // A mailed mode reads the address first: the deleted user has none left, and is reported
      // as gone, not as a user without an address.
      const mailed = await runWith('email-otp', ['gone-3', 'gone-nomail'])
      assert.deepEqual(
        mailed.skipped.map((skip) => [skip.user.id, skip.reason]).sort(),
        [
          [ids['gone-3'], 'user.not-found'],
          [ids['gone-nomail'], 'reset.no-email'],
        ].sort(),
      )
      assert.deepEqual(mailed.triggered, [])
      assert.deepEqual(await leftFor('gone-3'), nothing)
    })

    it('refuses bad selections with a clear error, changing nothing', async () => {
      const ids = await seed(h.defaultTenant, 'bad', 1)
      const [outsider] = Object.values(await seed(other, 'bad', 1))
      const before = await snapshot()
      for (const filter of [
        'userName sw',
        'userName xx "a"',
        'nosuchattribute eq "x"',
        'password eq "secret"',
        '(userName eq "a"',
        '   ',
        `userName eq "${'a'.repeat(5000)}"`,
      ]) {
        for (const dryRun of [true, false]) {
          const answer = await post({ filter, dryRun })
          assertProblem(answer, 400, 'bulk-reset.invalid-filter')
          assert.equal(answer.body.errors[0].pointer, '/filter')
          assert.ok(answer.body.detail.length > 0)
        }
      }
      assertProblem(await post({}), 400, 'request.invalid')
      assertProblem(await post({ filter: 'userName pr', ids: [ids['bad-1']] }), 400, 'request.invalid')
      assertProblem(await post({ ids: [] }), 400, 'request.invalid')
      assertProblem(await post({ ids: ['not-a-uuid'] }), 400, 'request.invalid')
      assertProblem(await post({ filter: 'userName pr', mode: 'sms' }), 400, 'request.invalid')
      assertProblem(await post({ filter: 'userName pr', extra: 1 }), 400, 'request.invalid')
      // Unknown users, and users of another tenant, are "not found": nothing is forced.
      const unknown = await post({ ids: [ids['bad-1'], outsider, '00000000-0000-4000-8000-000000000000'] })
      assertProblem(unknown, 404, 'user.not-found')
      assert.deepEqual(
        unknown.body.errors.map((error: { pointer: string }) => error.pointer),
        ['/ids/1', '/ids/2'],
      )
      assertProblem(await post({ userNames: ['bad-1', 'nobody-here'] }), 404, 'user.not-found')
      assertProblem(await post({ userNames: ['a/b/c'] }), 400, 'request.invalid')
      const empty = await post({ filter: 'userName eq "nobody-at-all"' })
      assertProblem(empty, 409, 'bulk-reset.no-match')
      assert.deepEqual(await snapshot(), before)
    })

    it('reads, lists and cancels jobs of its own tenant only; refuses callers without reset:force', async () => {
      const ids = await seed(h.defaultTenant, 'can', 5)
      const created = await post({ filter: 'userName sw "can-"', mode: 'email-otp' })
      assert.equal(created.status, 202)
      const jobId = created.body.jobId
      // After the first batch of two, the job is cancelled: it stops there.
      const runner = h.container.bulkResetRunner.withOptions({ batchSize: 2, parallelBatches: 1 })
      let cancelled: Answer | undefined
      const end = await runner.runJob(jobId, async (progress) => {
        if (!cancelled) {
          assert.equal(progress.done + progress.failed, 2)
          cancelled = await cancel(jobId)
        }
      })
      assert.equal(cancelled?.status, 200, JSON.stringify(cancelled?.body))
      assert.equal(cancelled?.body.status, 'cancelled')
      assert.equal(end?.status, 'cancelled')
      const read = await job(jobId)
      assert.equal(read.body.status, 'cancelled')
      assert.equal(read.body.done + read.body.failed, 2)
      assert.equal(read.body.remaining, 4)
      const { forced, left } = await statesOf(Object.values(ids))
      assert.equal(forced.length, read.body.done)
      assert.equal(left.length, 6 - read.body.done, 'every other user is untouched')
      // Cancelling again answers the cancelled job; a job that ended cannot be cancelled.
      assert.equal((await cancel(jobId)).body.status, 'cancelled')
      const small = await post({ ids: [ids['can-5']], mode: 'offline-otp' })
      await h.container.bulkResetRunner.runPending()
      assertProblem(await cancel(small.body.jobId), 409, 'bulk-reset.already-finished')

      const listed = await call(h.app, {
        method: 'GET',
        url: '/api/admin/force-password-reset/jobs?limit=2',
        auth: h.adminAuth,
      })
      assert.deepEqual(
        listed.body.jobs.map((entry: { id: string }) => entry.id),
        [small.body.jobId, jobId],
      )
      const otherList = await call(h.app, {
        method: 'GET',
        url: '/t/other.example/api/admin/force-password-reset/jobs',
        auth: otherAdmin,
      })
      assert.equal(otherList.status, 200)
      assert.ok(!JSON.stringify(otherList.body).includes(jobId))
      const base = '/t/other.example/api/admin'
      assertProblem(await job(jobId, otherAdmin, base), 404, 'bulk-reset.not-found')
      assertProblem(await cancel(jobId, otherAdmin, base), 404, 'bulk-reset.not-found')
      assertProblem(await job('ghost'), 404, 'bulk-reset.not-found')
      assertProblem(await job('00000000-0000-4000-8000-000000000000'), 404, 'bulk-reset.not-found')

      // users:write alone does not force resets.
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: h.adminAuth,
        payload: { name: 'writers', permissions: ['users:write'] },
      })
      await h.container.users.create(
        h.defaultTenant,
        { username: 'writer', password: 'writer-password-1', roles: ['writers'] },
        cliActor,
      )
      const writer = basicAuth('writer', 'writer-password-1')
      assertProblem(await post({ filter: 'userName pr', dryRun: true }, writer), 403, 'auth.forbidden')
      assertProblem(await job(jobId, writer), 403, 'auth.forbidden')
    })

    it('resumes after a crash: each user fully forced or untouched, no mail sent twice', async () => {
      const ids = await seed(h.defaultTenant, 'crs', 7)
      const created = await post({ filter: 'userName sw "crs-"', mode: 'email-otp' })
      const jobId = created.body.jobId
      const db = h.container.store.db
      const crashed = h.container.bulkResetRunner.withOptions({ batchSize: 3, parallelBatches: 1 })
      // Batch 1 commits. While batch 2 runs, another process takes the job over (this one
      // looks dead to it): batch 2 has written everything but cannot move the job's counts, and
      // rolls back whole, as a crash before its commit would.
      let batches = 0
      await crashed.runJob(jobId, async () => {
        batches++
        if (batches === 1) await takeOver(jobId)
      })
      assert.equal(batches, 1)
      const midway = await job(jobId)
      assert.equal(midway.body.status, 'running')
      assert.equal(midway.body.done + midway.body.failed, 3)
      const { forced, left } = await statesOf(Object.values(ids))
      assert.equal(forced.length, midway.body.done, 'batch 1 is forced')
      assert.equal(left.length, 8 - midway.body.done, 'batch 2 rolled back: its users are untouched')

      // The other process died too: its lease runs out, and a new process (a restarted
      // `rekey serve`, another container on the same store) goes on with the targets left.
      await leaseRunsOut(jobId)
      const schema =
        kind.kind === 'postgres'
          ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
          : undefined
      const store = openStore(h.config, schema ? { searchPath: schema } : {})
      const restarted = buildContainer(h.config, { store, logger: createLogger('silent') })
      try {
        const runner: BulkResetRunner = restarted.bulkResetRunner.withOptions({
          batchSize: 3,
          parallelBatches: 1,
        })
        assert.equal(await runner.runPending(), 1)
      } finally {
        await restarted.close()
      }
      const finished = await job(jobId)
      assert.deepEqual(
        { status: finished.body.status, done: finished.body.done, failed: finished.body.failed },
        { status: 'completed', done: 7, failed: 1 },
      )
      for (const [name, id] of Object.entries(ids))
        assert.deepEqual(await stateOf(db, id), name.endsWith('nomail') ? untouched : forcedByMail, name)
    })

    it('runs batches side by side: a job taken over mid-way leaves each user whole, and the rest is forced once', async () => {
      const ids = await seed(h.defaultTenant, 'par', 11)
      const created = await post({ filter: 'userName sw "par-"', mode: 'email-otp' })
      assert.equal(created.body.total, 12)
      const jobId = created.body.jobId
      const db = h.container.store.db
      const parallel = h.container.bulkResetRunner.withOptions({ batchSize: 2, parallelBatches: 3 })
      // When the first batch has committed, another process takes the job over: batches still
      // in flight cannot move the counts and roll back whole; no new batch starts.
      let progressCalls = 0
      await parallel.runJob(jobId, async () => {
        progressCalls++
        if (progressCalls === 1) await takeOver(jobId)
      })
      const midway = await job(jobId)
      assert.equal(midway.body.status, 'running')
      const processed = midway.body.done + midway.body.failed
      assert.ok(processed >= 2 && processed < 12, `processed ${processed}`)
      const { forced, left } = await statesOf(Object.values(ids))
      assert.equal(forced.length, midway.body.done, 'the committed batches are forced')
      assert.equal(forced.length + left.length, 12, 'no user is half forced')
      // The targets left are exactly the users no batch committed.
      const targets = await db
        .selectFrom('bulk_reset_targets')
        .select('user_id')
        .where('job_id', '=', jobId)
        .execute()
      assert.equal(targets.length, 12 - processed)
      assert.equal(midway.body.remaining, 12 - processed)
      for (const { user_id } of targets) assert.deepEqual(await stateOf(db, user_id), untouched)

      await leaseRunsOut(jobId)
      assert.equal(
        await h.container.bulkResetRunner.withOptions({ batchSize: 2, parallelBatches: 3 }).runPending(),
        1,
      )
      const finished = await job(jobId)
      assert.deepEqual(
        { status: finished.body.status, done: finished.body.done, failed: finished.body.failed },
        { status: 'completed', done: 11, failed: 1 },
      )
      // Every user forced once: one code, one message, one audit event each.
      for (const [name, id] of Object.entries(ids))
        assert.deepEqual(await stateOf(db, id), name.endsWith('nomail') ? untouched : forcedByMail, name)
    })
  })
}
