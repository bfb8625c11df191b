import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { sql } from 'kysely'
import pg from 'pg'
import { AppError } from '../../src/errors/app-error.ts'
import { cliActor } from '../../src/observability/audit.ts'
import { postgresUrl } from '../support/cli-stores.ts'
import { shippedPasswordPolicy } from '../support/config.ts'
import { freshUser, staffRole } from '../support/fresh-user.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { assertProblem, call } from '../support/http.ts'
import { postgresKind } from '../support/stores.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const OLD_PASSWORD = 'Harbour-Lantern-73'
const NEW_PASSWORD = 'Willow-Compass-6142'

/**
 * Writes that race a forced reset on PostgreSQL, where transactions run side by side (SQLite runs
 * one at a time). A second connection holds a table lock so that one transaction stops at a
 * known statement, with the user's row already held, while the other one starts; then it lets go.
 */
describe('postgres: status writes racing a forced reset', { skip: postgresKind.skip }, () => {
  let h: Harness
  let userId: string
  let blocker: pg.Client
  let watcher: pg.Client

  before(async () => {
    h = await openHarness(postgresKind, { env: { ...shippedPasswordPolicy } })
    await staffRole(h)
    const { rows } = await sql<{ search_path: string }>`show search_path`.execute(h.container.store.db)
    const schema = rows[0]!.search_path.split(',')[0]!.trim()
    blocker = new pg.Client({ connectionString: postgresUrl })
    watcher = new pg.Client({ connectionString: postgresUrl })
    await blocker.connect()
    await watcher.connect()
    await blocker.query(`set search_path to ${schema}`)
  })
  after(async () => {
    await blocker?.end()
    await watcher?.end()
    await h?.close()
  })

  beforeEach(async () => {
    userId = await freshUser(h, {
      username: 'lee',
      password: OLD_PASSWORD,
      roles: ['staff'],
      claims: { [EMAIL]: 'lee@example.com' },
    })
  })

  const disable = () =>
    h.app.inject({
      method: 'PATCH',
      url: `/scim2/Users/${userId}`,
      headers: { authorization: h.adminAuth, 'content-type': 'application/scim+json' },
      payload: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] },
    })
  const force = async () => {
    const forced = await call(h.app, {
      method: 'POST',
      url: `/api/admin/users/${userId}/force-password-reset`,
      auth: h.adminAuth,
    })
    assert.ok(forced.status < 300, JSON.stringify(forced.body))
  }
  const stored = async () => {
    const user = await h.container.users.get(h.defaultTenant, userId)
    const pending = await h.container.store.db
      .selectFrom('pending_resets')
      .select('mode')
      .where('user_id', '=', userId)
      .executeTakeFirst()
    return { status: user.status, lockReason: user.lockReason ?? null, pending: pending !== undefined }
  }
  /** Until a backend waits for a lock while running a statement that matches `pattern`. */
  const waitForLockWait = async (pattern: string) => {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const { rows } = await watcher.query(
        `select pid from pg_stat_activity where wait_event_type = 'Lock' and query ilike $1`,
        [pattern],
      )
      if (rows.length > 0) return
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    throw new Error(`no statement like ${pattern} waited for a lock`)
  }
  /** Runs `first` until it stops at its audit row (the user's row held), then `second`, then lets go. */
  const race = async <A, B>(
    first: () => Promise<A>,
    second: () => Promise<B>,
    secondWaitsAt = '%"users"%',
  ): Promise<[A, B]> => {
    await blocker.query('begin')
    try {
      await blocker.query('lock table audit_events in exclusive mode')
      const one = first()
      await waitForLockWait('%audit_events%')
      const two = second()
      await waitForLockWait(secondWaitsAt)
      await blocker.query('commit')
      return await Promise.all([one, two])
    } catch (error) {
      await blocker.query('rollback').catch(() => {})
      throw error
    }
  }
  const signIn = () =>
    call(h.app, {
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'lee', password: OLD_PASSWORD },
    })

  it('a cancel beside a SCIM disable keeps the disable', async () => {
    await force()
    const [disabled, cancelled] = await race(disable, () =>
      h.app.inject({
        method: 'DELETE',
        url: `/api/admin/users/${userId}/force-password-reset`,
        headers: { authorization: h.adminAuth },
      }),
    )
    assert.equal(disabled.statusCode, 200, disabled.body)
    assert.ok(cancelled.statusCode < 300, cancelled.body)
    assert.deepEqual(await stored(), { status: 'disabled', lockReason: null, pending: false })
    assertProblem(await signIn(), 401, 'auth.failed')
  })

  it('a password set beside a SCIM disable completes the reset and keeps the disable', async () => {
    await force()
    const [disabled] = await race(disable, () =>
      h.container.users.setPassword(h.defaultTenant, userId, 'Willow-Harbor-9182', cliActor),
    )
    assert.equal(disabled.statusCode, 200, disabled.body)
    assert.deepEqual(await stored(), { status: 'disabled', lockReason: null, pending: false })
  })

  it('an unlock beside a trigger leaves the reset pending and the old password refused', async () => {
    const locked = await call(h.app, {
      method: 'POST',
      url: `/api/admin/users/${userId}/lock`,
      auth: h.adminAuth,
      payload: { reason: 'left-company' },
    })
    assert.equal(locked.status, 200)
    const [forced, unlocked] = await race(
      () =>
        h.app.inject({
          method: 'POST',
          url: `/api/admin/users/${userId}/force-password-reset`,
          headers: { authorization: h.adminAuth },
        }),
      () =>
        h.app.inject({
          method: 'POST',
          url: `/api/admin/users/${userId}/unlock`,
          headers: { authorization: h.adminAuth },
        }),
    )
    assert.ok(forced.statusCode < 300, forced.body)
    // Either order ends alike: the trigger kept the administrator's lock, whose unlock brought
    // the reset's lock back; or the unlock came first and the trigger locked for the reset.
    assert.equal(unlocked.statusCode, 200, unlocked.body)
    assert.deepEqual(await stored(), { status: 'locked', lockReason: 'reset-pending', pending: true })
    assertProblem(await signIn(), 401, 'auth.failed')
  })
  /** The link of the latest message to the user, as the built-in mailbox shows it. */
  const mailedLink = async () => {
    const [latest] = await h.container.outbox.mailbox(h.defaultTenant, {
      limit: 1,
      recipient: 'lee@example.com',
    })
    assert.ok(latest, 'a message to lee')
    const { text } = await h.container.outbox.readMailbox(h.defaultTenant, latest.id, cliActor)
    const token = /reset-password\?token=([A-Za-z0-9_%-]+)/.exec(text)?.[1]
    assert.ok(token, text)
    return decodeURIComponent(token)
  }
  const completeWithLink = (token: string, password = NEW_PASSWORD) =>
    h.container.forcedResets.completeWithLink(h.defaultTenant, token, password).then(
      () => 'completed',
      (error: unknown) => (error instanceof AppError ? error.code : Promise.reject(error)),
    )
  const enable = async () => {
    const enabled = await h.app.inject({
      method: 'PATCH',
      url: `/scim2/Users/${userId}`,
      headers: { authorization: h.adminAuth, 'content-type': 'application/scim+json' },
      payload: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: true }] },
    })
    assert.equal(enabled.statusCode, 200, enabled.body)
  }
  const signInWith = (password: string) =>
    call(h.app, { method: 'POST', url: '/api/auth/login', payload: { username: 'lee', password } })

  it('a link completion beside a SCIM disable is refused, and the reset stays pending', async () => {
    await force()
    const token = await mailedLink()
    const [disabled, completed] = await race(disable, () => completeWithLink(token))
    assert.equal(disabled.statusCode, 200, disabled.body)
    assert.equal(completed, 'reset.link-invalid')
    assert.deepEqual(await stored(), { status: 'disabled', lockReason: 'reset-pending', pending: true })
    // Enabled again, the account still waits for its reset: neither password works.
    await enable()
    assertProblem(await signInWith(NEW_PASSWORD), 401, 'auth.failed')
    assertProblem(await signIn(), 401, 'auth.failed')
  })

  it('a one-time-password completion beside a SCIM disable is refused, and the reset stays pending', async () => {
    const forced = await call(h.app, {
      method: 'POST',
      url: `/api/admin/users/${userId}/force-password-reset`,
      auth: h.adminAuth,
      payload: { mode: 'offline-otp' },
    })
    assert.equal(forced.status, 200, JSON.stringify(forced.body))
    const user = (await h.container.users.find(h.defaultTenant, userId))!
    const otp = await h.container.forcedResets.readOfflineOtp(h.defaultTenant, user, cliActor)
    const restricted = await signInWith(otp!)
    assert.equal(restricted.status, 200, JSON.stringify(restricted.body))
    const [disabled, set] = await race(disable, () =>
      h.app.inject({
        method: 'POST',
        url: '/api/auth/password',
        headers: { cookie: `rekey_session=${restricted.body.token}`, 'content-type': 'application/json' },
        payload: { newPassword: NEW_PASSWORD },
      }),
    )
    assert.equal(disabled.statusCode, 200, disabled.body)
    assert.equal(set.statusCode, 401, set.body)
    assert.deepEqual(await stored(), { status: 'disabled', lockReason: 'reset-pending', pending: true })
    await enable()
    assertProblem(await signInWith(NEW_PASSWORD), 401, 'auth.failed')
  })

  it('a link completion and a new trigger, in either order, wait for each other instead of deadlocking', async () => {
    // The completion first: the trigger that follows starts a new reset.
    await force()
    const first = await mailedLink()
    const [completed, retriggered] = await race(
      () => completeWithLink(first),
      () =>
        h.app.inject({
          method: 'POST',
          url: `/api/admin/users/${userId}/force-password-reset`,
          headers: { authorization: h.adminAuth },
        }),
      // The trigger's update of the user's row, which the completion holds.
      '%update users set status%',
    )
    assert.equal(completed, 'completed')
    assert.equal(retriggered.statusCode, 200, retriggered.body)
    assert.deepEqual(await stored(), { status: 'locked', lockReason: 'reset-pending', pending: true })

    // The trigger first: the link it replaced can no longer be spent.
    const second = await mailedLink()
    assert.notEqual(second, first)
    const [triggered, late] = await race(
      () =>
        h.app.inject({
          method: 'POST',
          url: `/api/admin/users/${userId}/force-password-reset`,
          headers: { authorization: h.adminAuth },
        }),
      // Another password: the history refuses the one just set before any row is touched.
      () => completeWithLink(second, 'Juniper-Lattice-2093'),
    )
    assert.equal(triggered.statusCode, 200, triggered.body)
    assert.equal(late, 'reset.link-invalid')
    assert.deepEqual(await stored(), { status: 'locked', lockReason: 'reset-pending', pending: true })
    const third = await mailedLink()
    assert.equal(await completeWithLink(third, 'Juniper-Lattice-2093'), 'completed')
    assert.deepEqual(await stored(), { status: 'active', lockReason: null, pending: false })
    assert.equal((await signInWith('Juniper-Lattice-2093')).status, 200)
  })
})
