import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN_PASSWORD } from '../support/config.ts'
import { basicAuth, type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { type Answer, assertProblem, bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

interface AuditEvent {
  id: number
  occurredAt: string
  actor: string
  action: string
  target: string | null
  outcome: string
  detail: Record<string, unknown>
  clientAddress: string | null
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: admin API — audit log`, { skip: kind.skip }, () => {
    let h: Harness
    const clock = new ManualClock()
    let userId: string
    let tokenValue: string
    const secrets = ['audit-password-1', 'audit-password-2', 'wrong-password-1', ADMIN_PASSWORD]

    const audit = async (query = ''): Promise<AuditEvent[]> => {
      const answer = await call(h.app, { method: 'GET', url: `/api/admin/audit${query}`, auth: h.adminAuth })
      assert.equal(answer.status, 200)
      return answer.body.events
    }
    const step = async (request: Parameters<typeof call>[1]): Promise<Answer> => {
      clock.advance(1000)
      return call(h.app, request)
    }

    before(async () => {
      h = await openHarness(kind, { clock })
      const admin = h.adminAuth
      await step({
        method: 'POST',
        url: '/api/admin/roles',
        auth: admin,
        payload: { name: 'member', permissions: ['login'] },
      })
      const user = await step({
        method: 'POST',
        url: '/api/admin/users',
        auth: admin,
        payload: { username: 'audited', password: 'audit-password-1' },
      })
      userId = user.body.id
      await step({
        method: 'POST',
        url: '/api/admin/roles/member/members',
        auth: admin,
        payload: { users: ['audited'] },
      })
      await step({
        method: 'PATCH',
        url: '/api/admin/users/audited',
        auth: admin,
        payload: { claims: { 'urn:x:a': 'b' } },
      })
      await step({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'audited', password: 'audit-password-1' },
      })
      await step({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'audited', password: 'wrong-password-1' },
      })
      await step({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'nobody', password: 'wrong-password-1' },
      })
      await step({
        method: 'POST',
        url: '/api/admin/users/audited/password',
        auth: admin,
        payload: { password: 'audit-password-2' },
      })
      await step({ method: 'POST', url: '/api/admin/users/audited/lock', auth: admin })
      await step({ method: 'POST', url: '/api/admin/users/audited/unlock', auth: admin })
      const token = await step({
        method: 'POST',
        url: '/api/admin/tokens',
        auth: admin,
        payload: { name: 'audit bot', scopes: ['users:read'] },
      })
      tokenValue = token.body.token
      await step({ method: 'GET', url: '/api/admin/users', auth: bearer(tokenValue) })
      await step({ method: 'DELETE', url: `/api/admin/tokens/${token.body.id}`, auth: admin })
      await step({ method: 'GET', url: '/api/admin/users', auth: basicAuth('admin', 'wrong-password-1') })
      await step({
        method: 'POST',
        url: '/api/admin/user-stores',
        auth: admin,
        payload: { domain: 'partners' },
      })
      await step({ method: 'DELETE', url: '/api/admin/roles/member/members/audited', auth: admin })
      await step({
        method: 'PATCH',
        url: '/api/admin/roles/member',
        auth: admin,
        payload: { name: 'members' },
      })
      await step({ method: 'DELETE', url: '/api/admin/roles/members', auth: admin })
      await step({ method: 'DELETE', url: '/api/admin/users/audited', auth: admin })
    })
    after(async () => h?.close())

    it('records each change and each refused sign-in, newest first', async () => {
      const events = await audit('?limit=1000')
      const actions = events.map((event) => event.action)
      for (const action of [
        'role.created',
        'user.created',
        'role.member-added',
        'user.updated',
        'login.succeeded',
        'login.failed',
        'password.updated',
        'user.locked',
        'user.unlocked',
        'token.created',
        'token.revoked',
        'admin-auth.failed',
        'userstore.created',
        'role.member-removed',
        'role.updated',
        'role.deleted',
        'user.deleted',
      ]) {
        assert.ok(actions.includes(action), `audit has ${action}`)
      }
      assert.equal(events[0]!.action, 'user.deleted', 'the newest event comes first')
      for (let i = 1; i < events.length; i++) {
        assert.ok(events[i - 1]!.occurredAt >= events[i]!.occurredAt, 'ordered by time, newest first')
      }
    })

    it('says who did what to which target', async () => {
      const [created] = await audit('?action=user.created&limit=1')
      assert.equal(created!.actor, 'user:admin')
      assert.equal(created!.target, userId)
      assert.equal(created!.outcome, 'success')
      assert.equal(created!.detail.username, 'audited')
      const [tokenEvent] = await audit('?action=token.created')
      assert.deepEqual(tokenEvent!.detail, { name: 'audit bot', scopes: ['users:read'] })
      const [updated] = await audit('?action=password.updated')
      assert.equal(updated!.target, userId)
      assert.equal(updated!.detail.reason, 'admin-set')
    })

    it('records why a sign-in failed, which the answer never says', async () => {
      const failures = await audit('?action=login.failed')
      assert.equal(failures.length, 2)
      assert.ok(failures.every((event) => event.outcome === 'failure'))
      assert.deepEqual(failures.map((event) => event.actor).sort(), ['anonymous:audited', 'anonymous:nobody'])
      assert.ok(failures.every((event) => event.detail.reason === 'bad-credentials'))
      // Once the password is verified, the refusal names the user and the check that refused.
      const user = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: h.adminAuth,
        payload: { username: 'no-login', password: 'audit-password-1' },
      })
      const refused = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'no-login', password: 'audit-password-1' },
      })
      assert.equal(refused.status, 403)
      const [latest] = await audit('?action=login.failed&limit=1')
      assert.equal(latest!.target, user.body.id)
      assert.equal(typeof latest!.detail.reason, 'string')
      assert.notEqual(latest!.detail.reason, 'bad-credentials')
      assert.ok(!JSON.stringify(refused.body).includes(String(latest!.detail.reason)))
      const [adminAuth] = await audit('?action=admin-auth.failed')
      assert.equal(adminAuth!.actor, 'anonymous:admin')
      assert.equal(adminAuth!.outcome, 'failure')
    })

    it('filters by action, actor, target and time, and limits', async () => {
      const byTarget = await audit(`?target=${userId}&limit=1000`)
      assert.ok(byTarget.length >= 6)
      assert.ok(byTarget.every((event) => event.target === userId))
      const byActor = await audit('?actor=user:admin&limit=1000')
      assert.ok(byActor.length > 5)
      assert.ok(byActor.every((event) => event.actor === 'user:admin'))
      assert.equal((await audit('?limit=3')).length, 3)
      const all = await audit('?limit=1000')
      const middle = all[Math.floor(all.length / 2)]!
      const older = await audit(`?before=${encodeURIComponent(middle.occurredAt)}&limit=1000`)
      assert.ok(older.length > 0 && older.length < all.length)
      assert.ok(older.every((event) => event.occurredAt < middle.occurredAt))
      assert.deepEqual(await audit('?action=no.such-action'), [])
    })

    it('filters by outcome, by action prefix and by a time window', async () => {
      const failures = await audit('?outcome=failure&limit=1000')
      assert.ok(failures.length >= 3)
      assert.ok(failures.every((event) => event.outcome === 'failure'))
      assert.deepEqual([...new Set(failures.map((event) => event.action))].sort(), [
        'admin-auth.failed',
        'login.failed',
      ])
      const logins = await audit('?action=login.*&limit=1000')
      assert.deepEqual([...new Set(logins.map((event) => event.action))].sort(), [
        'login.failed',
        'login.succeeded',
      ])
      const members = await audit('?action=role.member-*&limit=1000')
      assert.deepEqual([...new Set(members.map((event) => event.action))].sort(), [
        'role.member-added',
        'role.member-removed',
      ])
      // The prefix is text, not a pattern: `_` and `%` match only themselves.
      assert.deepEqual(await audit('?action=login_*'), [])
      assert.deepEqual(await audit('?action=%25*'), [])
      assert.equal((await audit('?action=*&limit=1000')).length, (await audit('?limit=1000')).length)
      const failedSignIns = await audit('?action=login.*&outcome=failure&limit=1000')
      assert.ok(failedSignIns.length > 0 && failedSignIns.every((event) => event.action === 'login.failed'))

      const all = await audit('?limit=1000')
      const times = [...new Set(all.map((event) => event.occurredAt))].sort()
      const [from, to] = [times[2]!, times[times.length - 3]!]
      const window = await audit(
        `?after=${encodeURIComponent(from)}&before=${encodeURIComponent(to)}&limit=1000`,
      )
      assert.deepEqual(
        window,
        all.filter((event) => event.occurredAt > from && event.occurredAt < to),
        'strictly between after and before, in the same order',
      )
      assert.ok(window.length > 0)
      assert.deepEqual(await audit(`?after=${encodeURIComponent(times.at(-1)!)}`), [])
    })

    it('walks the whole log a page at a time with the next cursor, ties in time included', async () => {
      // Five events in one instant: the cursor must order them by id, not lose or repeat one.
      await h.container.audit.recordMany(
        h.container.store.db,
        ['a', 'b', 'c', 'd', 'e'].map((target) => ({
          tenantId: h.defaultTenant.id,
          actor: { kind: 'system', id: null, name: 'system' },
          action: 'notification.dead',
          target,
          outcome: 'failure',
          detail: { reason: 'test' },
        })),
      )
      const walk = async (filters: string, limit: number) => {
        const seen: AuditEvent[] = []
        let url = `/api/admin/audit?limit=${limit}${filters}`
        for (let pages = 0; pages < 1000; pages++) {
          const answer = await call(h.app, { method: 'GET', url, auth: h.adminAuth })
          assert.equal(answer.status, 200, JSON.stringify(answer.body))
          assert.ok(answer.body.events.length <= limit)
          seen.push(...answer.body.events)
          if (answer.body.next === null) return { seen, pages: pages + 1 }
          assert.equal(answer.body.events.length, limit, 'only the last page is short')
          url = `/api/admin/audit?limit=${limit}${filters}&cursor=${encodeURIComponent(answer.body.next)}`
        }
        assert.fail('the walk did not end')
      }
      const tied = await walk('&action=notification.dead', 2)
      assert.equal(tied.pages, 3)
      assert.deepEqual(
        tied.seen.map((event) => event.target),
        ['e', 'd', 'c', 'b', 'a'],
        'newest first: same time, higher id first',
      )
      const all = await audit('?limit=1000')
      const walked = await walk('', 3)
      assert.deepEqual(walked.seen, all)
      assert.equal(new Set(walked.seen.map((event) => event.id)).size, all.length, 'no event twice')
      const byAdmin = await walk('&actor=user:admin', 4)
      assert.deepEqual(byAdmin.seen, await audit('?actor=user:admin&limit=1000'))
      // A page that happens to end the log exactly says so at once.
      const exact = await call(h.app, {
        method: 'GET',
        url: `/api/admin/audit?limit=${all.length}`,
        auth: h.adminAuth,
      })
      assert.equal(exact.body.next, null)
    })

    it('refuses malformed filters with 400 naming the parameter', async () => {
      for (const [query, pointer] of [
        ['?outcome=maybe', '/querystring/outcome'],
        ['?after=yesterday', '/querystring/after'],
        ['?before=2026-01-01', '/querystring/before'],
        ['?action=user.*.forced', '/querystring/action'],
        ['?cursor=abc', '/querystring/cursor'],
        ['?cursor=1-2-3', '/querystring/cursor'],
        ['?limit=0', '/querystring/limit'],
        ['?limit=1001', '/querystring/limit'],
        ['?colour=red', '/querystring/colour'],
      ] as const) {
        const answer = await call(h.app, {
          method: 'GET',
          url: `/api/admin/audit${query}`,
          auth: h.adminAuth,
        })
        assertProblem(answer, 400, 'request.invalid')
        const pointers = (answer.body.errors as Array<{ pointer: string }>).map((error) => error.pointer)
        assert.ok(pointers.includes(pointer), `${query}: ${pointers.join(', ')}`)
      }
    })

    it('records the client address where the caller passes one', async () => {
      const events = await audit('?limit=1000')
      assert.ok(events.every((event) => 'clientAddress' in event))
      assert.equal(events.find((event) => event.action === 'tenant.created')?.clientAddress ?? null, null)
      await h.container.audit.record(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        actor: { kind: 'anonymous', id: null, name: 'guesser' },
        action: 'login.failed',
        outcome: 'failure',
        detail: { reason: 'bad-credentials' },
        client: { address: '203.0.113.9' },
      })
      const [latest] = await audit('?action=login.failed&actor=anonymous:guesser')
      assert.equal(latest!.clientAddress, '203.0.113.9')
      await h.container.audit.record(h.container.store.db, {
        tenantId: h.defaultTenant.id,
        actor: { kind: 'anonymous', id: null, name: 'guesser' },
        action: 'login.failed',
        outcome: 'failure',
        client: { address: `2001:db8::${'f'.repeat(100)}` },
      })
      const [long] = await audit('?action=login.failed&actor=anonymous:guesser&limit=1')
      assert.equal(long!.clientAddress!.length, 64, 'bounded like a session address')
    })

    it('never records a password or a token value', async () => {
      const text = JSON.stringify(await audit('?limit=1000'))
      for (const secret of [...secrets, tokenValue])
        assert.ok(!text.includes(secret), 'a secret in the audit log')
      const stored = JSON.stringify(
        await h.container.store.db.selectFrom('audit_events').selectAll().execute(),
      )
      for (const secret of [...secrets, tokenValue])
        assert.ok(!stored.includes(secret), 'a secret in the audit table')
      assert.ok(!stored.includes('$argon2id$'), 'a hash in the audit table')
    })

    it('records nothing for a refused change', async () => {
      const before = await audit('?limit=1000')
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: h.adminAuth,
        payload: { username: 'ADMIN', password: 'another-password-1' },
      })
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: h.adminAuth,
        payload: { username: 'fresh', password: 'another-password-1', roles: ['no-such-role'] },
      })
      await call(h.app, { method: 'DELETE', url: '/api/admin/roles/admin', auth: h.adminAuth })
      assert.deepEqual(await audit('?limit=1000'), before)
    })
  })
}
