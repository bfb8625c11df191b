import assert from 'node:assert/strict'
import { text } from 'node:stream/consumers'
import { after, before, describe, it } from 'node:test'
import { auditExportBody, csvCell } from '../../src/http/console/routes/audit-export.ts'
import { consoleClient } from '../support/console.ts'
import { createAdministrator, createTenant } from '../support/console-fixtures.ts'
import { type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import { createStaffUser, type PageClient, pageText } from '../support/page-client.ts'
import { storeKinds } from '../support/stores.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
/** A name a spreadsheet would run as a formula were it written into a cell as it is. */
const FORMULA_NAME = '=HYPERLINK("evil.example","open")'
const FORMULA_ROLE = '=SUM(1+1)'
const READER_PASSWORD = 'console-audit-reader-1'

/** The events a page lists, in order: what a reader sees in each row. */
function rows(html: string) {
  return [...html.matchAll(/<tr data-event="(\d+)">([\s\S]*?)<\/tr>/g)].map(([, id, row]) => {
    const cells = [...row!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map(([, cell]) => pageText(cell!))
    return {
      id: Number(id),
      time: cells[0]!,
      actor: cells[1]!,
      action: cells[2]!,
      target: cells[3]!,
      outcome: cells[4]!,
      detail: cells[5]!,
    }
  })
}

/** The href of a link with this text, as the browser would follow it. */
function linkTo(html: string, text: string): string | undefined {
  const match = new RegExp(`<a class="[^"]*" href="([^"]+)"[^>]*>${text}</a>`).exec(html)
  return match?.[1]?.replaceAll('&amp;', '&')
}

/** RFC 4180 records of a CSV body (quoted fields with commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let field = ''
  let quoted = false
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"'
        index++
      } else if (char === '"') quoted = false
      else field += char
    } else if (char === '"') quoted = true
    else if (char === ',') {
      record.push(field)
      field = ''
    } else if (char === '\r' && text[index + 1] === '\n') {
      record.push(field)
      records.push(record)
      record = []
      field = ''
      index++
    } else field += char
  }
  assert.equal(field, '', 'the body ends with CRLF')
  return records
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: console audit log`, { skip: kind.skip }, () => {
    let h: Harness
    let client: PageClient
    let annId: string
    const clock = new ManualClock(Date.UTC(2026, 0, 1))

    const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
      call(h.app, { method, url, auth: h.adminAuth, ...(payload ? { payload } : {}) })
    const failedSignIn = (username: string) =>
      call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username, password: 'not-the-password-1' },
      })

    before(async () => {
      h = await openHarness(kind, { clock })
      // 2 January, 10:00 UTC: the administrator creates Ann and a role named like a formula.
      clock.advance(DAY + 10 * HOUR)
      annId = await createStaffUser(h.app, h.adminAuth, { username: 'ann', password: 'ann-passphrase-1' })
      const role = await api('POST', '/api/admin/roles', { name: FORMULA_ROLE, permissions: ['login'] })
      assert.equal(role.status, 201)
      // 3 January, 10:00 UTC: failed sign-ins, one under a name made to be a formula.
      clock.advance(DAY)
      assert.equal((await failedSignIn(FORMULA_NAME)).status, 401)
      assert.equal((await failedSignIn('ann')).status, 401)
      // 4 January, 10:00 UTC: Ann is locked.
      clock.advance(DAY)
      assert.equal((await api('POST', `/api/admin/users/${annId}/lock`, {})).status, 200)
      // 5 January: thirty failed sign-ins of one name, a second apart, to page through.
      clock.advance(DAY)
      for (let attempt = 0; attempt < 30; attempt++) {
        clock.advance(1000)
        await failedSignIn('ghost')
      }
      clock.advance(HOUR)
      client = await consoleClient(h.app)
    })
    after(async () => h?.close())

    it('lists the newest events first, with times in UTC and details as text', async () => {
      const page = await client.get('/console/audit')
      assert.equal(page.status, 200)
      assert.match(page.body, /<h1>Audit log<\/h1>/)
      assert.match(page.body, /aria-current="page">Audit log</)
      const listed = rows(page.body)
      // Everything written so far fits one page of 50: the start-up events and the ones above.
      assert.ok(listed.length > 35 && listed.length < 50, String(listed.length))
      assert.equal(linkTo(page.body, 'Older events'), undefined)
      assert.equal(listed[0]!.action, 'login.succeeded')
      assert.equal(listed[0]!.actor, 'user:admin')
      assert.match(listed[0]!.time, /^2026-01-05 \d{2}:\d{2}:\d{2}$/)
      for (let index = 1; index < listed.length; index++)
        assert.ok(listed[index - 1]!.id > listed[index]!.id, 'newest first')
      assert.match(page.body, /<th scope="col">Time \(UTC\)<\/th>/)
      assert.match(page.body, /<caption>/)
      // The formula name is shown as escaped text, never as markup.
      const all = await client.get(`/console/audit?action=login.failed&size=200`)
      assert.ok(all.body.includes('anonymous:=HYPERLINK(&quot;evil.example&quot;,&quot;open&quot;)'))
    })

    it('narrows the list by actor, target, action, outcome and time', async () => {
      const byActor = rows((await client.get('/console/audit?actor=admin&size=200')).body)
      assert.ok(byActor.length > 0)
      assert.ok(byActor.every((row) => row.actor === 'user:admin'))
      const exactActor = rows(
        (await client.get(`/console/audit?actor=${encodeURIComponent('anonymous:ann')}`)).body,
      )
      assert.deepEqual(
        exactActor.map((row) => row.action),
        ['login.failed'],
      )

      // A user's name finds the events that name her by id.
      const byTargetName = rows((await client.get('/console/audit?target=ann&size=200')).body)
      const byTargetId = rows((await client.get(`/console/audit?target=${annId}&size=200`)).body)
      assert.deepEqual(byTargetName, byTargetId)
      assert.deepEqual(
        byTargetName.map((row) => row.action),
        ['user.locked', 'user.created'],
      )

      const locked = rows((await client.get('/console/audit?action=user.locked')).body)
      assert.deepEqual(
        locked.map((row) => [row.action, row.target]),
        [['user.locked', annId]],
      )
      const logins = rows((await client.get('/console/audit?action=login.*&size=200')).body)
      assert.equal(logins.length, 33)
      assert.ok(logins.every((row) => row.action.startsWith('login.')))

      const failures = rows((await client.get('/console/audit?outcome=failure&size=200')).body)
      assert.equal(failures.length, 32)
      assert.ok(failures.every((row) => row.outcome === 'Failure'))
      const successes = rows((await client.get('/console/audit?outcome=success&size=200')).body)
      assert.ok(successes.every((row) => row.outcome === 'Success'))

      // 3 January, from 09:00 (inclusive) to 11:00 (exclusive): the two failed sign-ins.
      const window = await client.get('/console/audit?from=2026-01-03T09:00&to=2026-01-03T11:00')
      assert.deepEqual(
        rows(window.body).map((row) => [row.action, row.time]),
        [
          ['login.failed', '2026-01-03 10:00:00'],
          ['login.failed', '2026-01-03 10:00:00'],
        ],
      )
      const fromExactly = rows(
        (await client.get('/console/audit?from=2026-01-04T10:00:00&to=2026-01-04T10:00:01')).body,
      )
      assert.deepEqual(
        fromExactly.map((row) => row.action),
        ['user.locked'],
      )
      // The filters are kept in the form (a shareable GET URL).
      assert.match(window.body, /id="audit-from" name="from" type="datetime-local" value="2026-01-03T09:00"/)
    })

    it('pages through the events with a cursor, without skipping or repeating any', async () => {
      const first = await client.get('/console/audit?actor=ghost&size=25')
      const firstRows = rows(first.body)
      assert.equal(firstRows.length, 25)
      assert.equal(linkTo(first.body, 'Newest events'), undefined)
      const older = linkTo(first.body, 'Older events')
      assert.ok(older, 'a link to older events')
      assert.match(older, /actor=ghost/)
      assert.match(older, /size=25/)
      const second = await client.get(older)
      const secondRows = rows(second.body)
      assert.equal(secondRows.length, 5)
      assert.equal(linkTo(second.body, 'Older events'), undefined)
      assert.equal(linkTo(second.body, 'Newest events'), '/console/audit?actor=ghost&size=25')
      const ids = [...firstRows, ...secondRows].map((row) => row.id)
      assert.equal(new Set(ids).size, 30)
      assert.ok(secondRows.every((row) => row.actor === 'anonymous:ghost'))
    })

    it('answers bad filter values with the form and its errors (400), never a failure', async () => {
      const cases: Array<[string, string, RegExp]> = [
        ['from=2026-13-01T00:00', 'audit-from', /From must be a date and time/],
        ['from=yesterday', 'audit-from', /From must be a date and time/],
        ['to=2026-02-30T10:00', 'audit-to', /To must be a date and time/],
        ['from=2026-01-05T00:00&to=2026-01-04T00:00', 'audit-to', /To must be later than From/],
        ['size=7', 'audit-size', /Events per page must be one of/],
        ['outcome=maybe', 'audit-outcome', /Outcome must be/],
        ['action=user.*.x*', 'audit-action', /Action must be/],
        [`actor=${'a'.repeat(256)}`, 'audit-actor', /Actor must be at most 255/],
      ]
      for (const [query, field, message] of cases) {
        const answer = await client.get(`/console/audit?${query}`)
        assert.equal(answer.status, 400, query)
        assert.match(answer.body, /class="error-summary"/, query)
        assert.match(answer.body, new RegExp(`<a href="#${field}">`), query)
        assert.match(pageText(answer.body), message, query)
        assert.match(answer.body, new RegExp(`id="${field}"[^>]*aria-invalid="true"`), query)
        assert.doesNotMatch(answer.body, /<table/, query)
      }
      const badCursor = await client.get('/console/audit?cursor=not-a-cursor')
      assert.equal(badCursor.status, 400)
      assert.match(pageText(badCursor.body), /The page link is not one this console made/)
      const badExport = await client.get('/console/audit/export.csv?from=2026-01-05&to=2026-01-01')
      assert.equal(badExport.status, 400)
      assert.match(String(badExport.headers['content-type']), /^text\/html/)
      assert.equal(badExport.headers['content-disposition'], undefined)
    })

    it('exports the filtered events as CSV (RFC 4180), with formula cells made inert', async () => {
      const answer = await client.get('/console/audit/export.csv?outcome=failure&to=2026-01-04T00:00')
      assert.equal(answer.status, 200)
      assert.match(String(answer.headers['content-type']), /^text\/csv; charset=utf-8/)
      assert.equal(
        answer.headers['content-disposition'],
        'attachment; filename="audit-carbon.super-2026-01-05.csv"',
      )
      assert.ok(answer.body.endsWith('\r\n'))
      const [header, ...records] = parseCsv(answer.body)
      assert.deepEqual(header, [
        'id',
        'occurredAt',
        'actor',
        'action',
        'target',
        'outcome',
        'clientAddress',
        'detail',
      ])
      assert.deepEqual(
        records.map((record) => [record[2], record[3], record[5]]),
        [
          ['anonymous:ann', 'login.failed', 'failure'],
          [`anonymous:${FORMULA_NAME}`, 'login.failed', 'failure'],
        ],
      )
      assert.equal(records[0]![1], '2026-01-03T10:00:00.000Z')
      assert.deepEqual(JSON.parse(records[0]![7]!), { reason: 'bad-credentials' })

      // A target that starts like a formula is written with a leading quote.
      const roles = parseCsv((await client.get('/console/audit/export.csv?action=role.created')).body)
      const formulaRole = roles.find((record) => record[4]?.includes('SUM'))
      assert.ok(formulaRole)
      assert.equal(formulaRole[4], `'${FORMULA_ROLE}`)
      assert.ok(!roles.flat().some((cell) => /^[=+\-@]/.test(cell)), 'no cell starts a formula')
      for (const [value, written] of [
        ['=1+2', "'=1+2"],
        ['+1', "'+1"],
        ['-1', "'-1"],
        ['@SUM(A1)', "'@SUM(A1)"],
        ['\t=1', "'\t=1"],
        ['a,b', '"a,b"'],
        ['say "hi"', '"say ""hi"""'],
        ['=x,"y"', '"\'=x,""y"""'],
        ['line\nbreak', '"line\nbreak"'],
        ['plain', 'plain'],
      ] as const)
        assert.equal(csvCell(value), written, value)
      assert.equal(csvCell(null), '')
      assert.equal(csvCell(42), '42')
    })

    it('exports the filtered events as one JSON document', async () => {
      const answer = await client.get('/console/audit/export.json?actor=ghost')
      assert.equal(answer.status, 200)
      assert.match(String(answer.headers['content-type']), /^application\/json; charset=utf-8/)
      assert.equal(
        answer.headers['content-disposition'],
        'attachment; filename="audit-carbon.super-2026-01-05.json"',
      )
      const document = JSON.parse(answer.body)
      assert.equal(document.tenant, 'carbon.super')
      assert.deepEqual(document.filters, { actor: 'ghost' })
      assert.equal(document.maxEvents, 100_000)
      assert.equal(document.truncated, false)
      assert.equal(document.events.length, 30)
      assert.deepEqual(Object.keys(document.events[0]).sort(), [
        'action',
        'actor',
        'clientAddress',
        'detail',
        'id',
        'occurredAt',
        'outcome',
        'target',
      ])
      assert.ok(document.events.every((event: { actor: string }) => event.actor === 'anonymous:ghost'))
      const none = JSON.parse((await client.get('/console/audit/export.json?action=no.such')).body)
      assert.deepEqual(none.events, [])
      // The page links its exports with the same filters, whatever the page size.
      const page = await client.get('/console/audit?actor=ghost&size=25')
      assert.equal(linkTo(page.body, 'Export CSV'), '/console/audit/export.csv?actor=ghost')
      assert.equal(linkTo(page.body, 'Export JSON'), '/console/audit/export.json?actor=ghost')
    })

    it('stops an export at its cap and says so', async () => {
      const capped = JSON.parse(
        await text(
          auditExportBody(h.container, {
            format: 'json',
            tenantDomain: h.defaultTenant.domain,
            query: { tenantId: h.defaultTenant.id, actors: ['anonymous:ghost'] },
            filters: { actor: 'ghost' },
            maxEvents: 12,
          }),
        ),
      )
      assert.equal(capped.events.length, 12)
      assert.equal(capped.truncated, true)
      assert.equal(capped.maxEvents, 12)
      const csv = await text(
        auditExportBody(h.container, {
          format: 'csv',
          tenantDomain: h.defaultTenant.domain,
          query: { tenantId: h.defaultTenant.id, actors: ['anonymous:ghost'] },
          filters: {},
          maxEvents: 30,
        }),
      )
      assert.equal(parseCsv(csv).length, 31)
    })

    it('refuses an administrator without audit:read (403), pages and exports alike', async () => {
      await createAdministrator(h, {
        username: 'reader',
        password: READER_PASSWORD,
        role: 'user readers',
        permissions: ['users:read'],
      })
      const reader = await consoleClient(h.app, { username: 'reader', password: READER_PASSWORD })
      assert.doesNotMatch(pageText(reader.lastPage), /Audit log/)
      for (const url of ['/console/audit', '/console/audit/export.csv', '/console/audit/export.json']) {
        const refused = await reader.get(url)
        assert.equal(refused.status, 403, url)
        assert.match(pageText(refused.body), /audit:read/, url)
      }
    })

    it('shows a tenant only its own events', async () => {
      await createTenant(h, 'audit-other.example', 'Other-Tenant-Passphrase-1')
      const other = await consoleClient(h.app, {
        base: '/t/audit-other.example',
        password: 'Other-Tenant-Passphrase-1',
      })
      const page = await other.get('/t/audit-other.example/console/audit?size=200')
      assert.equal(page.status, 200)
      const listed = rows(page.body)
      assert.ok(listed.length > 0)
      assert.ok(!listed.some((row) => row.actor.includes('ghost') || row.target === annId))
      const exported = await other.get(`/t/audit-other.example/console/audit/export.json?target=${annId}`)
      assert.deepEqual(JSON.parse(exported.body).events, [])
      assert.match(
        String(exported.headers['content-disposition']),
        /filename="audit-audit-other\.example-2026-01-05\.json"/,
      )
    })
  })
}
