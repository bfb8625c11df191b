import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { assertProblem, bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

interface TenantFixture {
  domain: string
  admin: string
  token: string
  session: string
  userId: string
  sessionId: string
  tokenId: string
}

// Bodies that would succeed if authorisation let them through, so a hole would show as a change.
const exampleBodies: Record<string, unknown> = {
  'POST /users': { username: 'intruder', password: 'intruder-password-1' },
  'PATCH /users/{id}': { claims: { 'urn:x:owned': 'yes' } },
  'POST /users/{id}/password': { password: 'intruder-password-2' },
  'POST /users/{id}/lock': { reason: 'intruder' },
  'POST /roles': { name: 'intruders', permissions: ['login'] },
  'PATCH /roles/{name}': { permissions: ['login'] },
  'POST /roles/{name}/members': { users: ['victim'] },
  'POST /tokens': { name: 'intruder' },
  'POST /user-stores': { domain: 'INTRUDER' },
}

async function seedTenant(h: Harness, domain: string): Promise<TenantFixture> {
  const password = `${domain}-admin-password`
  const created = await call(h.app, {
    method: 'POST',
    url: '/api/admin/tenants',
    auth: h.adminAuth,
    payload: { domain, adminPassword: password },
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const admin = basicAuth('admin', password)
  const base = `/t/${domain}/api/admin`
  await call(h.app, {
    method: 'POST',
    url: `${base}/roles`,
    auth: admin,
    payload: { name: 'staff', permissions: ['login'] },
  })
  const user = await call(h.app, {
    method: 'POST',
    url: `${base}/users`,
    auth: admin,
    payload: { username: 'victim', password: 'victim-password-1', roles: ['staff'] },
  })
  assert.equal(user.status, 201)
  const token = await call(h.app, {
    method: 'POST',
    url: `${base}/tokens`,
    auth: admin,
    payload: { name: 'automation' },
  })
  const session = await call(h.app, {
    method: 'POST',
    url: `/t/${domain}/api/auth/login`,
    payload: { username: 'admin', password },
  })
  const victimSession = await call(h.app, {
    method: 'POST',
    url: `/t/${domain}/api/auth/login`,
    payload: { username: 'victim', password: 'victim-password-1' },
  })
  assert.equal(victimSession.status, 200)
  return {
    domain,
    admin,
    token: bearer(token.body.token),
    session: bearer(session.body.token),
    userId: user.body.id,
    sessionId: victimSession.body.sessionId,
    tokenId: token.body.id,
  }
}

async function snapshot(h: Harness, tenant: TenantFixture): Promise<string> {
  const base = `/t/${tenant.domain}/api/admin`
  const parts = await Promise.all(
    [
      '/users?limit=500',
      '/roles',
      '/tokens',
      '/user-stores',
      `/users/${tenant.userId}/sessions`,
      '/roles/staff/members',
    ].map(async (path) => {
      const answer = await call(h.app, { method: 'GET', url: `${base}${path}`, auth: tenant.admin })
      assert.equal(answer.status, 200, path)
      return JSON.stringify(answer.body, (key, value) =>
        key === 'lastUsedAt' || key === 'lastSeenAt' ? undefined : value,
      )
    }),
  )
  return parts.join('\n')
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: tenant isolation on every admin route`, { skip: kind.skip }, () => {
    let h: Harness
    let a: TenantFixture
    let b: TenantFixture
    let routes: Array<{ method: string; path: string }>

    before(async () => {
      h = await openHarness(kind)
      a = await seedTenant(h, 'alpha.example')
      b = await seedTenant(h, 'beta.example')
      // Every tenant-scoped admin route, from the OpenAPI document: a route added later is
      // covered without touching this test.
      const document = await call(h.app, { method: 'GET', url: '/api/openapi.json' })
      routes = Object.entries(document.body.paths as Record<string, Record<string, unknown>>)
        .filter(([path]) => path.startsWith('/t/{tenant}/api/admin/'))
        .flatMap(([path, operations]) =>
          Object.keys(operations).map((method) => ({ method: method.toUpperCase(), path })),
        )
      assert.ok(routes.length >= 20, `found ${routes.length} tenant admin routes`)
    })
    after(async () => h?.close())

    function urlFor(path: string, target: TenantFixture): string {
      return path
        .replace('{tenant}', target.domain)
        .replace('{id}', target.userId)
        .replace('{name}', 'staff')
        .replace('{user}', target.userId)
        .replace('{sessionId}', target.sessionId)
    }

    it('lets each administrator use its own tenant', async () => {
      for (const tenant of [a, b]) {
        for (const auth of [tenant.admin, tenant.token, tenant.session]) {
          assert.equal(
            (await call(h.app, { method: 'GET', url: `/t/${tenant.domain}/api/admin/users`, auth })).status,
            200,
          )
        }
      }
    })

    it("refuses another tenant's Basic credentials, API tokens and sessions on every route, changing nothing", async () => {
      const before = await snapshot(h, b)
      const defaultAdmin = h.adminAuth
      for (const route of routes) {
        const key = `${route.method} ${route.path.replace('/t/{tenant}/api/admin', '')}`
        const tokenRoute = route.path.endsWith('/tokens/{id}')
        for (const [label, auth] of [
          ['basic', a.admin],
          ['token', a.token],
          ['session', a.session],
          ['default tenant admin', defaultAdmin],
        ] as const) {
          const url = tokenRoute ? urlFor(route.path, b).replace(b.userId, b.tokenId) : urlFor(route.path, b)
          const answer = await call(h.app, {
            method: route.method as 'GET',
            url,
            auth,
            ...(exampleBodies[key] ? { payload: exampleBodies[key] as object } : {}),
          })
          assert.ok(
            answer.status === 401 || answer.status === 403,
            `${label} on ${route.method} ${url} answered ${answer.status}`,
          )
          assert.ok(!JSON.stringify(answer.body).includes('victim'), `${label} on ${key} leaked data`)
        }
      }
      assert.equal(await snapshot(h, b), before)
    })

    it("never reaches the default tenant with another tenant's credentials", async () => {
      for (const auth of [a.admin, a.token, a.session]) {
        const answer = await call(h.app, { method: 'GET', url: '/api/admin/users', auth })
        assert.ok(answer.status === 401 || answer.status === 403)
      }
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/tenants', auth: a.admin }),
        401,
        'auth.failed',
      )
      assertProblem(
        await call(h.app, { method: 'GET', url: `/t/${a.domain}/api/admin/tenants`, auth: a.admin }),
        404,
        'route.not-found',
      )
    })

    it('keeps sign-in sessions inside their tenant', async () => {
      const foreign = await call(h.app, {
        method: 'GET',
        url: `/t/${b.domain}/api/auth/session`,
        auth: a.session,
      })
      assertProblem(foreign, 401, 'auth.required')
      const crossLogin = await call(h.app, {
        method: 'POST',
        url: `/t/${b.domain}/api/auth/login`,
        payload: { username: 'admin', password: `${a.domain}-admin-password` },
      })
      assertProblem(crossLogin, 401, 'auth.failed')
    })

    it('answers an unknown tenant with 404 before authentication', async () => {
      assertProblem(
        await call(h.app, { method: 'GET', url: '/t/nope.example/api/admin/users', auth: a.admin }),
        404,
        'tenant.not-found',
      )
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/t/nope.example/api/auth/login',
          payload: { username: 'a', password: 'b' },
        }),
        404,
        'tenant.not-found',
      )
    })

    it('stops a disabled tenant from signing in or administering', async () => {
      const disabled = await call(h.app, {
        method: 'PATCH',
        url: `/api/admin/tenants/${a.domain}`,
        auth: h.adminAuth,
        payload: { status: 'disabled' },
      })
      assert.equal(disabled.body.status, 'disabled')
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: `/t/${a.domain}/api/auth/login`,
          payload: { username: 'victim', password: 'victim-password-1' },
        }),
        401,
        'auth.failed',
      )
      assertProblem(
        await call(h.app, { method: 'GET', url: `/t/${a.domain}/api/admin/users`, auth: a.admin }),
        401,
        'auth.failed',
      )
      assertProblem(
        await call(h.app, { method: 'GET', url: `/t/${a.domain}/api/admin/users`, auth: a.token }),
        401,
        'auth.failed',
      )
      assertProblem(
        await call(h.app, {
          method: 'PATCH',
          url: '/api/admin/tenants/carbon.super',
          auth: h.adminAuth,
          payload: { status: 'disabled' },
        }),
        409,
        'tenant.default-immutable',
      )
      await call(h.app, {
        method: 'PATCH',
        url: `/api/admin/tenants/${a.domain}`,
        auth: h.adminAuth,
        payload: { status: 'active' },
      })
      assert.equal(
        (await call(h.app, { method: 'GET', url: `/t/${a.domain}/api/admin/users`, auth: a.admin })).status,
        200,
      )
    })

    it('manages tenants from the default tenant only, with tenants:manage', async () => {
      const list = await call(h.app, { method: 'GET', url: '/api/admin/tenants', auth: h.adminAuth })
      assert.deepEqual(
        list.body.tenants.map((tenant: { domain: string }) => tenant.domain),
        ['alpha.example', 'beta.example', 'carbon.super'],
      )
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/tenants',
          auth: h.adminAuth,
          payload: { domain: 'alpha.example', adminPassword: 'another-password-1' },
        }),
        409,
        'tenant.exists',
      )
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/tenants',
          auth: h.adminAuth,
          payload: { domain: 'Bad Domain', adminPassword: 'another-password-1' },
        }),
        400,
        'tenant.invalid-domain',
      )
      const weak = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: 'weak.example', adminPassword: 'short' },
      })
      assertProblem(weak, 400, 'password.weak')
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/tenants/weak.example', auth: h.adminAuth }),
        404,
        'tenant.not-found',
      )
      const roles = await call(h.app, { method: 'GET', url: `/t/${a.domain}/api/admin/roles`, auth: a.admin })
      const builtin = roles.body.roles.find((role: { name: string }) => role.name === 'admin')
      assert.ok(!builtin.permissions.includes('tenants:manage'))
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: `/t/${a.domain}/api/admin/roles`,
          auth: a.admin,
          payload: { name: 'x', permissions: ['tenants:manage'] },
        }),
        400,
        'role.unknown-permission',
      )
    })
  })
}
