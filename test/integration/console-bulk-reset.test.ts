import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { cliActor } from '../../src/observability/audit.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { consoleClient } from '../support/console.ts'
import {
  consoleClientAt,
  createAdministrator,
  createTenant,
  errorSummary,
} from '../support/console-fixtures.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { type PageClient, pageText } from '../support/page-client.ts'
import { snapshotStore } from '../support/store-snapshot.ts'
import { storeKinds } from '../support/stores.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'
const OTHER_PASSWORD = 'Other-Tenant-Admin-Passphrase-4'
const HELPDESK_PASSWORD = 'helpdesk-console-passphrase-7'
const suite = { timeout: 300_000 }

/** The hidden fields of the page's form that posts to `action`, as a browser would send them. */
function hiddenFields(html: string, action: string): Record<string, string> {
  const form = new RegExp(`<form method="post" action="${action}">([\\s\\S]*?)</form>`).exec(html)?.[1]
  assert.ok(form, `a form posting to ${action}`)
  const fields: Record<string, string> = {}
  for (const [, name, value] of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    fields[name!] = value!
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
  return fields
}

const jobIdOf = (location: string | undefined) =>
  /\/bulk-reset\/jobs\/([0-9a-f-]{36})/.exec(location ?? '')?.[1]

for (const kind of storeKinds) {
  describe(`${kind.kind}: console bulk force reset`, { skip: kind.skip, ...suite }, () => {
    let h: Harness
    let other: TenantRow

    /** Users `<prefix>-01…n` with addresses, and `<prefix>-nomail` without one; their ids by name. */
    async function seed(tenant: TenantRow, prefix: string, count: number) {
      const ids: Record<string, string> = {}
      const names = [
        ...Array.from({ length: count }, (_, index) => `${prefix}-${String(index + 1).padStart(2, '0')}`),
        `${prefix}-nomail`,
      ]
      for (const name of names) {
        const user = await h.container.users.create(
          tenant,
          {
            username: name,
            password: `${name}-password-1`,
            roles: ['staff'],
            claims: name.endsWith('nomail') ? {} : { [EMAIL]: `${name}@console-bulk.example` },
          },
          cliActor,
        )
        ids[name] = user.id
      }
      return ids
    }

    const jobCount = async () =>
      (await h.container.store.db.selectFrom('bulk_reset_jobs').select('id').execute()).length

    const admin = (): Promise<PageClient> => consoleClientAt(h.app, '/console/bulk-reset')

    before(async () => {
      h = await openHarness(kind)
      await h.container.roles.create(h.defaultTenant, 'staff', ['login'], cliActor)
      await createAdministrator(h, {
        username: 'helpdesk-1',
        password: HELPDESK_PASSWORD,
        role: 'helpdesk',
        permissions: ['users:read'],
      })
      other = await createTenant(h, 'bulk-other.example', OTHER_PASSWORD)
      await h.container.roles.create(other, 'staff', ['login'], cliActor)
    })
    after(async () => h?.close())

    it('shows the form with the tenant’s mode chosen, and the recent jobs', async () => {
      const client = await consoleClient(h.app)
      const page = await client.get('/console/bulk-reset')
      assert.equal(page.status, 200)
      assert.match(page.body, /<a href="\/console\/bulk-reset" aria-current="page">/)
      assert.match(page.body, /<textarea class="input" id="bulk-filter" name="filter"/)
      assert.match(page.body, /<textarea class="input" id="bulk-names" name="names"/)
      assert.match(
        page.body,
        /<option value="email-link" selected>Email link \(this organisation’s setting\)/,
      )
      assert.match(page.body, /<label for="bulk-reset-reason">Reason/)
      assert.match(pageText(page.body), /No bulk reset has been run in this organisation yet/)
    })

    it('counts a filter’s users and names the first ten, and changes nothing', async () => {
      await seed(h.defaultTenant, 'cnt', 12)
      const client = await admin()
      const before = await snapshotStore(h.container.store.db)
      const preview = await client.post('/console/bulk-reset/preview', {
        filter: 'userName sw "cnt-" and emails.value pr',
        names: '',
        mode: 'email-otp',
        reason: 'Leaked password list',
      })
      assert.equal(preview.status, 200, preview.body)
      const text = pageText(preview.body)
      assert.match(text, /Force a password reset in mode Email one-time password for 12 users/)
      const sample = pageText(/data-field="bulk-sample">([\s\S]*?)<\/ul>/.exec(preview.body)?.[1] ?? '')
      assert.equal(
        sample,
        Array.from({ length: 10 }, (_, i) => `cnt-${String(i + 1).padStart(2, '0')}`).join(' '),
      )
      assert.match(text, /The first 10 users, by name/)
      assert.deepEqual(hiddenFields(preview.body, '/console/bulk-reset'), {
        csrf: hiddenFields(preview.body, '/console/bulk-reset').csrf!,
        filter: 'userName sw "cnt-" and emails.value pr',
        names: '',
        mode: 'email-otp',
        reason: 'Leaked password list',
        count: '12',
      })
      const withNoMail = await client.post('/console/bulk-reset/preview', {
        filter: 'userName sw "cnt-"',
        names: '',
        mode: 'email-link',
        reason: '',
      })
      assert.match(pageText(withNoMail.body), /for 13 users .* 1 of them has no email address/)
      // "Change the selection": the form again, with what was typed.
      const back = await client.post('/console/bulk-reset/preview', {
        ...hiddenFields(preview.body, '/console/bulk-reset'),
        edit: '1',
      })
      assert.equal(back.status, 200)
      assert.match(
        back.body,
        /id="bulk-filter" name="filter"[^>]*>userName sw &quot;cnt-&quot; and emails.value pr<\/textarea>/,
      )
      assert.match(back.body, /<option value="email-otp" selected>/)
      assert.deepEqual(await snapshotStore(h.container.store.db), before)
    })

    it('answers bad selections with the form again (400), its errors by the fields, and changes nothing', async () => {
      await seed(h.defaultTenant, 'bad', 2)
      await seed(other, 'far', 1)
      const client = await admin()
      const before = await snapshotStore(h.container.store.db)
      const cases: Array<{ fields: Record<string, string>; field: string; error: RegExp }> = [
        {
          fields: { filter: 'userName xx "bad-"' },
          field: 'bulk-filter',
          error: /The filter is not valid: Expected an operator/,
        },
        {
          fields: { filter: 'userName eq "nobody-here"' },
          field: 'bulk-filter',
          error: /No user .* matches the filter/,
        },
        { fields: { filter: '   ', names: '\n \n' }, field: 'bulk-filter', error: /Choose the users/ },
        { fields: { filter: 'userName pr', names: 'bad-01' }, field: 'bulk-filter', error: /not both/ },
        {
          fields: { names: 'bad-01\nghost-1\n\nbad-02\nghost-2' },
          field: 'bulk-names',
          error: /No user of this organisation has these names: ghost-1 \(line 2\), ghost-2 \(line 5\)/,
        },
        { fields: { names: 'team//x' }, field: 'bulk-names', error: /Line 1 is not a user name/ },
        {
          fields: { names: Array.from({ length: 5001 }, (_, i) => `u${i}`).join('\n') },
          field: 'bulk-names',
          error: /at most 5,000 user names/,
        },
        {
          fields: { names: 'bad-01', mode: 'carrier-pigeon' },
          field: 'bulk-mode',
          error: /Choose one of the reset modes/,
        },
        {
          fields: { names: 'bad-01', reason: 'r'.repeat(501) },
          field: 'bulk-reset-reason',
          error: /under 500 characters/,
        },
      ]
      for (const { fields, field, error } of cases) {
        for (const url of ['/console/bulk-reset/preview', '/console/bulk-reset']) {
          const answer = await client.post(url, {
            filter: '',
            names: '',
            mode: '',
            reason: '',
            count: '2',
            ...fields,
          })
          assert.equal(answer.status, 400, `${url} ${JSON.stringify(fields).slice(0, 80)}`)
          assert.match(errorSummary(answer.body), error)
          assert.match(answer.body, new RegExp(`<a href="#${field}">`))
          assert.match(answer.body, new RegExp(`id="${field}"[^>]*aria-invalid="true"`))
        }
      }
      // Names from another tenant are not users here.
      const outsider = await client.post('/console/bulk-reset/preview', {
        filter: '',
        names: 'far-01',
        mode: '',
        reason: '',
      })
      assert.equal(outsider.status, 400)
      assert.match(errorSummary(outsider.body), /has the name far-01 \(line 1\)/)
      assert.deepEqual(await snapshotStore(h.container.store.db), before)
    })

    it('starts the confirmed job, follows its progress on a page that survives reloads, and leaves the users pending', async () => {
      const ids = await seed(h.defaultTenant, 'run', 4)
      const client = await admin()
      const preview = await client.post('/console/bulk-reset/preview', {
        filter: '',
        names: 'run-01\r\nPRIMARY/RUN-02\nrun-03\nrun-04\nrun-nomail\nrun-01',
        mode: 'email-link',
        reason: 'Quarterly rotation',
      })
      assert.equal(preview.status, 200, preview.body)
      assert.match(pageText(preview.body), /Force a password reset in mode Email link for 5 users/)
      const confirmed = await client.post(
        '/console/bulk-reset',
        hiddenFields(preview.body, '/console/bulk-reset'),
      )
      assert.equal(confirmed.status, 303, confirmed.body)
      const jobId = jobIdOf(confirmed.location)
      assert.ok(jobId, confirmed.location)
      assert.equal(confirmed.location, `/console/bulk-reset/jobs/${jobId}?done=bulk-reset-started`)

      const queued = await client.follow(confirmed)
      assert.equal(queued.status, 200)
      assert.match(queued.body, /<meta http-equiv="refresh" content="2">/)
      assert.match(queued.body, /data-field="job-status">Queued</)
      assert.match(queued.body, /<progress id="job-progress" max="5" value="0">/)
      assert.match(pageText(queued.body), /The job is under way/)
      assert.match(queued.body, /data-field="job-requested-by">admin</)
      assert.match(queued.body, /data-field="job-mode">Email link</)
      assert.match(queued.body, new RegExp(`action="/console/bulk-reset/jobs/${jobId}/cancel"`))
      // The reader can stop the refresh (WCAG 2.2.1) and reload by hand.
      assert.match(
        queued.body,
        new RegExp(`<a href="/console/bulk-reset/jobs/${jobId}\\?refresh=off">Stop refreshing</a>`),
      )
      const still = await client.get(`/console/bulk-reset/jobs/${jobId}?refresh=off`)
      assert.equal(still.status, 200)
      assert.doesNotMatch(still.body, /http-equiv="refresh"/)
      assert.match(pageText(still.body), /Automatic refresh is off/)
      assert.match(
        still.body,
        new RegExp(`<a href="/console/bulk-reset/jobs/${jobId}">follow the job automatically</a>`),
      )
      assert.equal((await client.get(`/console/bulk-reset/jobs/${jobId}?refresh=sometimes`)).status, 400)

      const [started] = await h.container.audit.list(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        limit: 1,
        action: 'bulk-reset.started',
      })
      assert.equal(started?.target, jobId)
      assert.equal(started?.detail.reason, 'Quarterly rotation')
      assert.equal(started?.detail.channel, 'console')

      const seen: string[] = []
      const runner = h.container.bulkResetRunner.withOptions({ batchSize: 2, parallelBatches: 1 })
      await runner.runJob(jobId, async () => {
        // A reload mid-way reads the job from the store.
        const midway = await client.get(`/console/bulk-reset/jobs/${jobId}`)
        assert.equal(midway.status, 200)
        assert.match(midway.body, /data-field="job-status">Running</)
        assert.match(midway.body, /<meta http-equiv="refresh" content="2">/)
        seen.push(/<progress id="job-progress" max="5" value="(\d+)">/.exec(midway.body)?.[1] ?? '')
      })
      assert.deepEqual(seen, ['2', '4', '5'])

      const done = await client.get(`/console/bulk-reset/jobs/${jobId}`)
      assert.equal(done.status, 200)
      assert.match(done.body, /data-field="job-status">Completed</)
      assert.doesNotMatch(done.body, /http-equiv="refresh"/)
      assert.doesNotMatch(done.body, /Cancel the job/)
      assert.match(done.body, /<progress id="job-progress" max="5" value="5">/)
      assert.match(done.body, /data-field="job-done">4</)
      assert.match(done.body, /data-field="job-failed">1</)
      assert.match(done.body, /data-field="job-remaining">0</)
      assert.match(pageText(done.body), /run-nomail No email address to send the reset to/)

      for (const name of ['run-01', 'run-02', 'run-03', 'run-04']) {
        const user = await h.container.users.require(h.defaultTenant, ids[name]!)
        assert.deepEqual([user.status, user.lock_reason], ['locked', 'reset-pending'], name)
      }
      const untouched = await h.container.users.require(h.defaultTenant, ids['run-nomail']!)
      assert.equal(untouched.status, 'active')

      const list = await client.get('/console/bulk-reset')
      assert.match(list.body, new RegExp(`<a href="/console/bulk-reset/jobs/${jobId}">`))
      assert.match(pageText(list.body), /Completed Email link 5 4 1 admin/)
    })

    it('asks again when the selection changed since it was counted', async () => {
      await seed(h.defaultTenant, 'chg', 2)
      const client = await admin()
      const preview = await client.post('/console/bulk-reset/preview', {
        filter: 'userName sw "chg-0"',
        names: '',
        mode: 'offline-otp',
        reason: '',
      })
      assert.match(pageText(preview.body), /for 2 users/)
      await h.container.users.create(
        h.defaultTenant,
        { username: 'chg-03', password: 'chg-03-password-1', roles: ['staff'] },
        cliActor,
      )
      const jobs = await jobCount()
      const refused = await client.post(
        '/console/bulk-reset',
        hiddenFields(preview.body, '/console/bulk-reset'),
      )
      assert.equal(refused.status, 409)
      assert.match(errorSummary(refused.body), /it now selects 3 users/)
      assert.match(
        pageText(refused.body),
        /Force a password reset in mode Offline one-time password for 3 users/,
      )
      assert.equal(await jobCount(), jobs)
      const confirmed = await client.post(
        '/console/bulk-reset',
        hiddenFields(refused.body, '/console/bulk-reset'),
      )
      assert.equal(confirmed.status, 303)
      assert.equal(await jobCount(), jobs + 1)
      await h.container.bulkResetRunner.runPending()
    })

    it('cancels a job with work left, and says so when the job had already ended', async () => {
      await seed(h.defaultTenant, 'stop', 2)
      const client = await admin()
      const preview = await client.post('/console/bulk-reset/preview', {
        filter: 'userName sw "stop-"',
        names: '',
        mode: 'email-otp',
        reason: '',
      })
      const started = await client.post(
        '/console/bulk-reset',
        hiddenFields(preview.body, '/console/bulk-reset'),
      )
      const jobId = jobIdOf(started.location)!
      await client.get(`/console/bulk-reset/jobs/${jobId}`)
      const cancelled = await client.post(`/console/bulk-reset/jobs/${jobId}/cancel`, {})
      assert.equal(cancelled.status, 303)
      assert.equal(cancelled.location, `/console/bulk-reset/jobs/${jobId}?done=bulk-reset-cancelled`)
      const page = await client.follow(cancelled)
      assert.match(page.body, /data-field="job-status">Cancelled</)
      assert.match(pageText(page.body), /The job was cancelled/)
      assert.doesNotMatch(page.body, /http-equiv="refresh"/)
      assert.equal(await h.container.bulkResetRunner.runPending(), 0)

      const finished = await client.post(
        '/console/bulk-reset',
        hiddenFields(preview.body, '/console/bulk-reset'),
      )
      assert.equal(finished.status, 303)
      const finishedId = jobIdOf(finished.location)!
      await h.container.bulkResetRunner.runPending()
      await client.get('/console/bulk-reset')
      const late = await client.post(`/console/bulk-reset/jobs/${finishedId}/cancel`, {})
      assert.equal(late.status, 409)
      assert.match(errorSummary(late.body), /had already ended/)
      assert.match(late.body, /data-field="job-status">Completed</)
    })

    it('refuses a form without its CSRF token (403) and changes nothing', async () => {
      await seed(h.defaultTenant, 'csrf', 1)
      const client = await admin()
      const before = await snapshotStore(h.container.store.db)
      for (const url of ['/console/bulk-reset/preview', '/console/bulk-reset']) {
        const answer = await client.post(
          url,
          { filter: 'userName sw "csrf-"', names: '', mode: 'email-link', reason: '', count: '2' },
          { csrf: false },
        )
        assert.equal(answer.status, 403, url)
        assert.match(pageText(answer.body), /This form has expired/)
      }
      assert.deepEqual(await snapshotStore(h.container.store.db), before)
    })

    it('refuses an administrator without reset:force (403), even a crafted post, and creates no job', async () => {
      await seed(h.defaultTenant, 'perm', 1)
      const helpdesk = await consoleClient(h.app, { username: 'helpdesk-1', password: HELPDESK_PASSWORD })
      assert.doesNotMatch(helpdesk.lastPage, /href="\/console\/bulk-reset"/)
      const page = await helpdesk.get('/console/bulk-reset')
      assert.equal(page.status, 403)
      assert.match(pageText(page.body), /This needs the reset:force permission/)
      await helpdesk.get('/console/roles')
      const jobs = await jobCount()
      const crafted = await helpdesk.post('/console/bulk-reset', {
        filter: 'userName sw "perm-"',
        names: '',
        mode: 'email-link',
        reason: '',
        count: '2',
      })
      assert.equal(crafted.status, 403)
      assert.equal(await jobCount(), jobs)
      assert.equal(
        (await helpdesk.post('/console/bulk-reset/preview', { filter: 'userName pr' })).status,
        403,
      )
    })

    it('does not find another tenant’s job, nor a malformed id (404)', async () => {
      await seed(other, 'iso', 1)
      const otherJob = await h.container.bulkResets.create(
        other,
        { filter: 'userName sw "iso-"' },
        { actor: cliActor, channel: 'cli' },
      )
      const client = await admin()
      for (const id of [otherJob.id, 'not-a-job', '00000000-0000-4000-8000-000000000000']) {
        const page = await client.get(`/console/bulk-reset/jobs/${id}`)
        assert.equal(page.status, 404, id)
        assert.match(pageText(page.body), /No bulk reset job/)
      }
      await client.get('/console/bulk-reset')
      const cancel = await client.post(`/console/bulk-reset/jobs/${otherJob.id}/cancel`, {})
      assert.equal(cancel.status, 404)
      assert.equal((await h.container.bulkResets.get(other, otherJob.id)).status, 'queued')
      assert.doesNotMatch((await client.get('/console/bulk-reset')).body, new RegExp(otherJob.id))

      // The other tenant's console sees its own job.
      const otherAdmin = await consoleClient(h.app, {
        base: '/t/bulk-other.example',
        password: OTHER_PASSWORD,
      })
      const own = await otherAdmin.get(`/t/bulk-other.example/console/bulk-reset/jobs/${otherJob.id}`)
      assert.equal(own.status, 200)
      assert.match(own.body, /data-field="job-requested-by">cli \(cli\)</)
    })
  })
}
