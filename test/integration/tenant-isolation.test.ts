import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN_PASSWORD } from '../support/config.ts'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { type Answer, assertProblem, bearer, call } from '../support/http.ts'
import { queueMail, snapshotNotifications } from '../support/notifications.ts'
import { freePort } from '../support/processes.ts'
import { type RouteRef, registeredRoutes } from '../support/routes.ts'
import { snapshotStore } from '../support/store-snapshot.ts'
import { storeKinds } from '../support/stores.ts'

/** One tenant's administrator, in all three forms, and objects to aim at. */
interface TenantFixture {
  domain: string
  /** The distinctive name of its ordinary user: seeing it elsewhere is a leak. */
  member: string
  credentials: Array<[label: string, authorization: string]>
  admin: string
  userId: string
  tokenId: string
  /** A live session of its ordinary user. */
  sessionId: string
  sessionToken: string
  /** A message of its built-in mailbox, addressed to its ordinary user. */
  messageId: string
  /** A bulk reset job for its ordinary user, left queued (no runner runs in these tests). */
  jobId: string
  /** The locale of the email template it saved; no other tenant has one there. */
  locale: string
  /** The password in the URL of its own SMTP relay: it must never be shown to anyone. */
  relayPassword: string
}

// A loopback port nothing listens on: a relay set by these calls refuses at once, with no
// name to resolve and nothing reached.
const closedPort = await freePort()

/** A template locale per tenant that the others do not use: naming another's finds nothing. */
const templateLocales: Record<string, string> = { root: 'nl', alpha: 'de', beta: 'it' }

// Bodies that would succeed if authorisation let them through, so a hole would show as a
// change. A route added later without an entry here is still called (with an empty body).
const exampleBodies: Record<string, object> = {
  'POST /users': { username: 'intruder', password: 'intruder-password-1' },
  'PATCH /users/{id}': { claims: { 'urn:example:owned': 'yes' } },
  'POST /users/{id}/password': { password: 'intruder-password-2' },
  'POST /users/{id}/lock': { reason: 'intruder' },
  'POST /roles': { name: 'intruders', permissions: ['login'] },
  'PATCH /roles/{name}': { permissions: ['login', 'users:read'] },
  'POST /roles/{name}/members': { users: ['admin'] },
  'POST /tokens': { name: 'intruder' },
  'POST /user-stores': { domain: 'INTRUDER' },
  'POST /tenants': { domain: 'intruder.example', adminPassword: 'intruder-password-3' },
  'PATCH /tenants/{domain}': { status: 'disabled' },
  'POST /force-password-reset': { filter: 'userName pr', mode: 'offline-otp' },
  'PUT /email-templates/{type}/{locale}': {
    subject: 'Intruder',
    html: '<p>{{user-name}}</p>',
    text: '{{user-name}}',
  },
  'PUT /notification-settings': { defaultLocale: 'de' },
  'PATCH /reset-policy': { mode: 'offline-otp' },
  'PATCH /password-policy': { minLength: 30 },
  'PATCH /selfservice-policy': { stages: [] },
  'PUT /security-questions': {
    questions: [
      { id: 'intruder-one', text: { en: 'Who sent you?' } },
      { id: 'intruder-two', text: { en: 'Why are you here?' } },
    ],
  },
  'POST /smtp/test': { to: 'intruder@example.com' },
  'PUT /smtp-settings': {
    url: `smtp://127.0.0.1:${closedPort}?starttls=off`,
    from: 'Intruder <intruder@example.com>',
  },
}

const adminPrefix = /^(?:\/t\/\{tenant\})?\/api\/admin/
const routeKeyOf = (route: RouteRef) => `${route.method} ${route.path.replace(adminPrefix, '')}`
const isDenied = (answer: Answer) => answer.status === 401 || answer.status === 403

/** Whose `{id}` a route takes: a token's, an outgoing message's, a bulk job's, or a user's. */
function idOf(route: RouteRef, target: TenantFixture): string {
  if (route.path.includes('/tokens/')) return target.tokenId
  if (route.path.includes('/force-password-reset/jobs/')) return target.jobId
  if (/\/(outbox|mailbox)\//.test(route.path)) return target.messageId
  return target.userId
}

/** A URL of `route` in `target`, with `ids` filling the path parameters. */
function urlFor(route: RouteRef, target: TenantFixture, ids: Partial<Record<string, string>> = {}): string {
  const values: Record<string, string> = {
    tenant: target.domain,
    id: idOf(route, target),
    type: 'PasswordResetSuccess',
    locale: target.locale,
    name: 'staff',
    user: target.userId,
    sessionId: target.sessionId,
    domain: target.domain,
    ...ids,
  }
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    assert.ok(values[name], `no value for {${name}} in ${route.path}`)
    return encodeURIComponent(values[name])
  })
}

async function request(h: Harness, route: RouteRef, url: string, auth: string): Promise<Answer> {
  const body = exampleBodies[routeKeyOf(route)]
  const sendsBody = route.method === 'POST' || route.method === 'PATCH' || route.method === 'PUT'
  return call(h.app, {
    method: route.method as 'GET',
    url,
    auth,
    ...(sendsBody && body ? { payload: body } : {}),
  })
}

/** What an answer says, leaving out `instance` (the request's own path, echoed back). */
function said(answer: Answer): string {
  if (!answer.body || typeof answer.body !== 'object') return String(answer.body ?? '')
  const { instance: _instance, ...rest } = answer.body as Record<string, unknown>
  return JSON.stringify(rest)
}

async function seedTenant(h: Harness, domain: string, prefix: string): Promise<TenantFixture> {
  const password = `${prefix}-admin-password`
  let admin = h.adminAuth
  let base = '/api/admin'
  let loginUrl = '/api/auth/login'
  if (domain !== 'carbon.super') {
    const created = await call(h.app, {
      method: 'POST',
      url: '/api/admin/tenants',
      auth: h.adminAuth,
      payload: { domain, adminPassword: password },
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    admin = basicAuth('admin', password)
    base = `/t/${domain}/api/admin`
    loginUrl = `/t/${domain}/api/auth/login`
  }
  const role = await call(h.app, {
    method: 'POST',
    url: `${base}/roles`,
    auth: admin,
    payload: { name: 'staff', permissions: ['login'] },
  })
  assert.equal(role.status, 201)
  const member = `${prefix}-member`
  const user = await call(h.app, {
    method: 'POST',
    url: `${base}/users`,
    auth: admin,
    payload: {
      username: member,
      password: `${member}-password`,
      roles: ['staff'],
      claims: { 'urn:example:tenant': prefix },
    },
  })
  assert.equal(user.status, 201)
  const token = await call(h.app, {
    method: 'POST',
    url: `${base}/tokens`,
    auth: admin,
    payload: { name: `${prefix}-bot` },
  })
  assert.equal(token.status, 201)
  const adminSession = await call(h.app, {
    method: 'POST',
    url: loginUrl,
    payload: { username: 'admin', password: domain === 'carbon.super' ? ADMIN_PASSWORD : password },
  })
  assert.equal(adminSession.status, 200)
  const memberSession = await call(h.app, {
    method: 'POST',
    url: loginUrl,
    payload: { username: member, password: `${member}-password` },
  })
  assert.equal(memberSession.status, 200)
  // Answers of its user, which no other tenant's call may clear.
  await h.container.securityQuestions.setAnswers(
    await h.container.tenants.require(domain),
    user.body.id,
    [
      { questionId: 'first-pet', answer: `${prefix} pet` },
      { questionId: 'birth-city', answer: `${prefix} city` },
    ],
    { kind: 'user', id: user.body.id, name: member },
  )
  // Mail for its user, delivered to the built-in mailbox before the tenant gets a relay.
  const messageId = await queueMail(h.container, {
    tenant: await h.container.tenants.require(domain),
    type: 'PasswordResetSuccess',
    to: `${member}@mail.example`,
    userId: user.body.id,
    values: { 'user-name': member },
    idempotencyKey: `seed:${prefix}`,
  })
  await h.container.outboxWorker.drain()
  const locale = templateLocales[prefix]!
  const template = await call(h.app, {
    method: 'PUT',
    url: `${base}/email-templates/PasswordResetSuccess/${locale}`,
    auth: admin,
    payload: { subject: `${member}: password changed`, html: '<p>{{user-name}}</p>', text: '{{user-name}}' },
  })
  assert.equal(template.status, 200, JSON.stringify(template.body))
  const job = await call(h.app, {
    method: 'POST',
    url: `${base}/force-password-reset`,
    auth: admin,
    payload: { userNames: [member], mode: 'offline-otp' },
  })
  assert.equal(job.status, 202, JSON.stringify(job.body))
  const relayPassword = `${prefix}-relay-password`
  const relay = await call(h.app, {
    method: 'PUT',
    url: `${base}/smtp-settings`,
    auth: admin,
    payload: {
      url: `smtp://${member}:${relayPassword}@127.0.0.1:${closedPort}?starttls=off`,
      from: `${member} <no-reply@${domain}>`,
    },
  })
  assert.equal(relay.status, 200, JSON.stringify(relay.body))
  return {
    domain,
    member,
    admin,
    credentials: [
      ['Basic', admin],
      ['API token', bearer(token.body.token)],
      ['session', bearer(adminSession.body.token)],
    ],
    userId: user.body.id,
    tokenId: token.body.id,
    sessionId: memberSession.body.sessionId,
    sessionToken: memberSession.body.token,
    messageId,
    jobId: job.body.jobId,
    locale,
    relayPassword,
  }
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: tenant isolation on every admin route`, { skip: kind.skip }, () => {
    let h: Harness
    let a: TenantFixture
    let b: TenantFixture
    let root: TenantFixture
    let tenantRoutes: RouteRef[]
    let rootRoutes: RouteRef[]

    /** Marks of `target`'s data that must never appear in an answer given to another tenant. */
    const marks = (target: TenantFixture) => [
      target.member,
      target.userId,
      target.tokenId,
      target.sessionId,
      target.messageId,
      target.jobId,
      target.relayPassword,
    ]
    /** Every row an admin call can change, notification state and security answers included. */
    const snapshot = async () => ({
      ...(await snapshotStore(h.container.store.db)),
      ...(await snapshotNotifications(h.container.store.db)),
      security_answers: (await h.container.store.db.selectFrom('security_answers').selectAll().execute())
        .map((row) => JSON.stringify([row.user_id, row.question_id, row.answer_hash]))
        .sort(),
    })

    before(async () => {
      h = await openHarness(kind, { env: { REKEY_SMTP_ALLOW_TENANT_RELAYS: 'true' } })
      root = await seedTenant(h, 'carbon.super', 'root')
      a = await seedTenant(h, 'alpha.example', 'alpha')
      b = await seedTenant(h, 'beta.example', 'beta')
      // Every admin route the router answers (HEAD included), not a list kept by hand: a
      // route added later is covered without touching this test.
      const all = registeredRoutes(h.app)
      tenantRoutes = all.filter((route) => route.path.startsWith('/t/{tenant}/api/admin/'))
      rootRoutes = all.filter((route) => route.path.startsWith('/api/admin/'))
      assert.ok(tenantRoutes.length >= 30, `found ${tenantRoutes.length} tenant admin routes`)
      assert.ok(rootRoutes.length > tenantRoutes.length, 'the root also has tenant management')
    })
    after(async () => {
      // The pooled SMTP connections of the tenants' relays.
      await h?.container.deliveryRouter.close()
      await h?.close()
    })

    it('lets each administrator use its own tenant in every form', async () => {
      for (const tenant of [root, a, b]) {
        const base = tenant === root ? '/api/admin' : `/t/${tenant.domain}/api/admin`
        for (const [label, auth] of tenant.credentials) {
          const users = await call(h.app, { method: 'GET', url: `${base}/users`, auth })
          assert.equal(users.status, 200, `${label} in ${tenant.domain}`)
          assert.ok(JSON.stringify(users.body).includes(tenant.member))
        }
      }
    })

    it("refuses another tenant's administrators on every route of a tenant, changing nothing", async () => {
      const before = await snapshot()
      let calls = 0
      for (const route of tenantRoutes) {
        for (const intruder of [a, root]) {
          for (const [label, auth] of intruder.credentials) {
            const url = urlFor(route, b)
            const answer = await request(h, route, url, auth)
            calls++
            assert.ok(
              isDenied(answer),
              `${intruder.domain} ${label} on ${route.method} ${url} answered ${answer.status}`,
            )
            for (const mark of marks(b))
              assert.ok(
                !said(answer).includes(mark),
                `${intruder.domain} ${label} on ${route.method} ${url} saw ${mark}`,
              )
          }
        }
      }
      assert.ok(calls >= tenantRoutes.length * 6)
      assert.deepEqual(await snapshot(), before)
    })

    it("refuses a tenant's administrators on every root route, changing nothing", async () => {
      const before = await snapshot()
      for (const route of rootRoutes) {
        for (const [label, auth] of a.credentials) {
          const url = urlFor(route, root, { domain: b.domain })
          const answer = await request(h, route, url, auth)
          assert.ok(isDenied(answer), `alpha ${label} on ${route.method} ${url} answered ${answer.status}`)
          for (const mark of [...marks(root), ...marks(b)])
            assert.ok(!said(answer).includes(mark), `alpha ${label} on ${route.method} ${url} saw ${mark}`)
        }
      }
      assert.deepEqual(await snapshot(), before)
    })

    it("finds nothing of another tenant by id, even through the caller's own URLs", async () => {
      const before = await snapshot()
      const byId = tenantRoutes.filter((route) => /\{(id|user|sessionId)\}/.test(route.path))
      assert.ok(byId.length >= 10)
      for (const route of byId) {
        // beta's administrator, on beta's URLs, naming alpha's user, token or session.
        const ids = route.path.includes('{sessionId}')
          ? { sessionId: a.sessionId }
          : { id: idOf(route, a), user: a.userId }
        const url = urlFor(route, b, ids)
        const answer = await request(h, route, url, b.admin)
        assert.equal(answer.status, 404, `${route.method} ${url} answered ${answer.status}`)
        if (route.method !== 'HEAD')
          assert.match(
            answer.body.code,
            /^(user|token|session|outbox|bulk-reset)\.not-found$/,
            `${route.method} ${url}`,
          )
        // The id the caller named may come back in `detail` ("No message <id> in this
        // tenant."): an echo of its own input, not a leak. Nothing else of alpha may.
        for (const mark of marks(a).filter((mark) => !url.includes(mark)))
          assert.ok(!said(answer).includes(mark), `${route.method} ${url} saw ${mark}`)
      }
      const assign = await call(h.app, {
        method: 'POST',
        url: `/t/${b.domain}/api/admin/roles/staff/members`,
        auth: b.admin,
        payload: { users: [a.userId] },
      })
      assertProblem(assign, 404, 'user.not-found')
      // Templates are named by type and locale: another tenant's locale names nothing here.
      for (const other of [a, root]) {
        for (const method of ['GET', 'DELETE'] as const) {
          const answer = await call(h.app, {
            method,
            url: `/t/${b.domain}/api/admin/email-templates/PasswordResetSuccess/${other.locale}`,
            auth: b.admin,
          })
          assertProblem(answer, 404, 'template.not-found')
        }
      }
      assert.deepEqual(await snapshot(), before)
    })

    it('shows each tenant only its own users, roles, tokens, sessions, audit events, templates and mail', async () => {
      for (const [viewer, others] of [
        [a, [b, root]],
        [b, [a, root]],
        [root, [a, b]],
      ] as const) {
        const base = viewer === root ? '/api/admin' : `/t/${viewer.domain}/api/admin`
        for (const path of [
          '/users?limit=500',
          '/roles',
          '/roles/staff',
          '/tokens',
          '/user-stores',
          `/users/${viewer.userId}/sessions`,
          '/audit?limit=1000',
          '/email-templates',
          `/email-templates/PasswordResetSuccess/${viewer.locale}`,
          '/notification-settings',
          '/outbox?limit=500',
          `/outbox/${viewer.messageId}`,
          '/mailbox?limit=500',
          `/mailbox/${viewer.messageId}`,
          '/smtp-settings',
          '/reset-policy',
          '/password-policy',
          '/selfservice-policy',
          '/security-questions',
          `/users/${viewer.userId}/security-answers`,
          '/force-password-reset/jobs',
          `/force-password-reset/jobs/${viewer.jobId}`,
        ]) {
          const answer = await call(h.app, { method: 'GET', url: `${base}${path}`, auth: viewer.admin })
          assert.equal(answer.status, 200, `${viewer.domain} ${path}`)
          for (const other of others)
            for (const mark of marks(other))
              assert.ok(
                !said(answer).includes(mark),
                `${viewer.domain} ${path} shows ${other.domain}'s ${mark}`,
              )
          assert.ok(
            !said(answer).includes(viewer.relayPassword),
            `${viewer.domain} ${path} shows its relay password`,
          )
        }
      }
    })

    it('keeps sign-in sessions and passwords inside their tenant', async () => {
      for (const auth of [bearer(a.sessionToken), bearer(root.sessionToken)]) {
        assertProblem(
          await call(h.app, { method: 'GET', url: `/t/${b.domain}/api/auth/session`, auth }),
          401,
          'auth.required',
        )
      }
      assertProblem(
        await call(h.app, {
          method: 'GET',
          url: `/t/${b.domain}/api/auth/session`,
          headers: {
            cookie: `rekey_session-${b.domain}=${a.sessionToken}; rekey_session=${root.sessionToken}`,
          },
        }),
        401,
        'auth.required',
      )
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/auth/session', auth: bearer(b.sessionToken) }),
        401,
        'auth.required',
      )
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: `/t/${b.domain}/api/auth/logout`,
          auth: bearer(a.sessionToken),
        }),
        401,
        'auth.required',
      )
      assert.equal(
        (
          await call(h.app, {
            method: 'GET',
            url: `/t/${a.domain}/api/auth/session`,
            auth: bearer(a.sessionToken),
          })
        ).status,
        200,
        'the session is still alive in its own tenant',
      )
      // The same user name in another tenant is another account with another password.
      for (const [url, payload] of [
        [`/t/${b.domain}/api/auth/login`, { username: 'admin', password: 'alpha-admin-password' }],
        ['/api/auth/login', { username: 'admin', password: 'alpha-admin-password', tenant: b.domain }],
        ['/api/auth/login', { username: 'admin', password: 'beta-admin-password' }],
        [`/t/${a.domain}/api/auth/login`, { username: 'beta-member', password: 'beta-member-password' }],
      ] as const) {
        assertProblem(await call(h.app, { method: 'POST', url, payload }), 401, 'auth.failed')
      }
    })

    it('answers an unknown tenant with 404 before authentication', async () => {
      for (const auth of [a.admin, h.adminAuth]) {
        assertProblem(
          await call(h.app, { method: 'GET', url: '/t/nope.example/api/admin/users', auth }),
          404,
          'tenant.not-found',
        )
      }
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/t/nope.example/api/auth/login',
          payload: { username: 'admin', password: ADMIN_PASSWORD },
        }),
        404,
        'tenant.not-found',
      )
    })

    it("lets the tenant's own administrator past authentication on the same calls", async () => {
      // The control for the refusals above: the URLs and bodies were good, only the
      // credentials were foreign. Deletions run last, children before parents.
      const ordered = [...tenantRoutes].sort((x, y) => {
        const deletes = Number(x.method === 'DELETE') - Number(y.method === 'DELETE')
        return deletes !== 0 ? deletes : x.method === 'DELETE' ? y.path.length - x.path.length : 0
      })
      for (const route of ordered) {
        const url = urlFor(route, b)
        const answer = await request(h, route, url, b.admin)
        assert.ok(!isDenied(answer), `${route.method} ${url} answered ${answer.status}`)
        assert.ok(
          answer.status < 400 || !['route.not-found', 'tenant.not-found'].includes(answer.body?.code),
          `${route.method} ${url}: ${JSON.stringify(answer.body)}`,
        )
      }
    })
  })
}
