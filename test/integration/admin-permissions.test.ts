import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Permission, permissions } from '../../src/domain/permissions.ts'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { type Answer, assertProblem, bearer, call } from '../support/http.ts'
import { type RouteRef, registeredRoutes, routeKey } from '../support/routes.ts'
import { snapshotStore } from '../support/store-snapshot.ts'
import { storeKinds } from '../support/stores.ts'

/**
 * The permission each admin route requires. A route added later fails the first test until
 * it is listed here: which permission guards a route is a decision, not a default.
 */
const required: Record<string, Permission> = {
  'GET /users': 'users:read',
  'POST /users': 'users:write',
  'GET /users/{id}': 'users:read',
  'PATCH /users/{id}': 'users:write',
  'DELETE /users/{id}': 'users:write',
  'POST /users/{id}/password': 'users:write',
  'POST /users/{id}/lock': 'users:write',
  'POST /users/{id}/unlock': 'users:write',
  'GET /users/{id}/sessions': 'users:read',
  'DELETE /users/{id}/sessions/{sessionId}': 'users:write',
  'GET /roles': 'users:read',
  'POST /roles': 'users:write',
  'GET /roles/{name}': 'users:read',
  'PATCH /roles/{name}': 'users:write',
  'DELETE /roles/{name}': 'users:write',
  'GET /roles/{name}/members': 'users:read',
  'POST /roles/{name}/members': 'users:write',
  'DELETE /roles/{name}/members/{user}': 'users:write',
  'GET /tokens': 'tokens:manage',
  'POST /tokens': 'tokens:manage',
  'DELETE /tokens/{id}': 'tokens:manage',
  'GET /user-stores': 'users:read',
  'POST /user-stores': 'users:write',
  'GET /audit': 'audit:read',
  'GET /reset-policy': 'users:read',
  'PATCH /reset-policy': 'config:write',
  'GET /password-policy': 'users:read',
  'PATCH /password-policy': 'config:write',
  'GET /selfservice-policy': 'users:read',
  'PATCH /selfservice-policy': 'config:write',
  'GET /security-questions': 'users:read',
  'PUT /security-questions': 'config:write',
  'DELETE /security-questions': 'config:write',
  'GET /users/{id}/security-answers': 'users:read',
  'DELETE /users/{id}/security-answers': 'users:write',
  'GET /tenants': 'tenants:manage',
  'POST /tenants': 'tenants:manage',
  'GET /tenants/{domain}': 'tenants:manage',
  'PATCH /tenants/{domain}': 'tenants:manage',
  'POST /users/{id}/force-password-reset': 'reset:force',
  'DELETE /users/{id}/force-password-reset': 'reset:force',
  'GET /users/{id}/one-time-password': 'reset:force',
  'POST /force-password-reset': 'reset:force',
  'GET /force-password-reset/jobs': 'reset:force',
  'GET /force-password-reset/jobs/{id}': 'reset:force',
  'DELETE /force-password-reset/jobs/{id}': 'reset:force',
  'GET /email-templates': 'config:write',
  'GET /email-templates/{type}/{locale}': 'config:write',
  'PUT /email-templates/{type}/{locale}': 'config:write',
  'DELETE /email-templates/{type}/{locale}': 'config:write',
  'POST /email-templates/{type}/{locale}/preview': 'config:write',
  'GET /notification-settings': 'config:write',
  'PUT /notification-settings': 'config:write',
  'POST /smtp/test': 'config:write',
  'GET /smtp-settings': 'config:write',
  'PUT /smtp-settings': 'config:write',
  'DELETE /smtp-settings': 'config:write',
  'GET /outbox': 'audit:read',
  'GET /outbox/{id}': 'audit:read',
  'GET /mailbox': 'audit:read',
  'POST /outbox/{id}/resend': 'users:write',
  'GET /mailbox/{id}': 'users:write',
}

const adminPrefix = /^(?:\/t\/\{tenant\})?\/api\/admin/
/** HEAD answers like GET. */
const requiredFor = (route: RouteRef) =>
  required[`${route.method === 'HEAD' ? 'GET' : route.method} ${route.path.replace(adminPrefix, '')}`]

/**
 * A URL naming things that do not exist and no body: a call that gets past authorisation
 * fails later (400 or 404) without changing anything, so every route can be tried by every
 * caller.
 */
const probeUrl = (route: RouteRef, tenant = 'carbon.super') =>
  route.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    name === 'tenant' ? tenant : name === 'sessionId' ? '00000000-0000-4000-8000-000000000000' : 'ghost',
  )
const probe = (h: Harness, route: RouteRef, auth: string | undefined, tenant?: string): Promise<Answer> =>
  call(h.app, {
    method: route.method as 'GET',
    url: probeUrl(route, tenant),
    ...(auth ? { auth } : {}),
    ...(route.method === 'POST' || route.method === 'PATCH' ? { payload: {} } : {}),
  })

const userFor = (permission: Permission) => `only-${permission.replace(':', '-')}`
const passwordFor = (permission: Permission) => `${userFor(permission)}-password`

for (const kind of storeKinds) {
  describe(`${kind.kind}: permissions on every admin route`, { skip: kind.skip }, () => {
    let h: Harness
    let rootRoutes: RouteRef[]
    let tenantRoutes: RouteRef[]
    const tenantAdmin = basicAuth('admin', 'tenant-admin-password')

    before(async () => {
      h = await openHarness(kind)
      const routes = registeredRoutes(h.app)
      rootRoutes = routes.filter((route) => route.path.startsWith('/api/admin/'))
      tenantRoutes = routes.filter((route) => route.path.startsWith('/t/{tenant}/api/admin/'))
      // One user per permission, each holding that permission alone.
      for (const permission of permissions) {
        const role = await call(h.app, {
          method: 'POST',
          url: '/api/admin/roles',
          auth: h.adminAuth,
          payload: { name: `only ${permission}`, permissions: [permission] },
        })
        assert.equal(role.status, 201)
        const user = await call(h.app, {
          method: 'POST',
          url: '/api/admin/users',
          auth: h.adminAuth,
          payload: {
            username: userFor(permission),
            password: passwordFor(permission),
            roles: [role.body.name],
          },
        })
        assert.equal(user.status, 201)
      }
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: h.adminAuth,
        payload: { username: 'no-roles', password: 'no-roles-password' },
      })
      const tenant = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: 'perm.example', adminPassword: 'tenant-admin-password' },
      })
      assert.equal(tenant.status, 201)
      const base = '/t/perm.example/api/admin'
      await call(h.app, {
        method: 'POST',
        url: `${base}/roles`,
        auth: tenantAdmin,
        payload: { name: 'readers', permissions: ['users:read', 'login'] },
      })
      await call(h.app, {
        method: 'POST',
        url: `${base}/users`,
        auth: tenantAdmin,
        payload: { username: 'reader', password: 'reader-password-1', roles: ['readers'] },
      })
    })
    after(async () => h?.close())

    it('knows the permission of every admin route', () => {
      for (const route of [...rootRoutes, ...tenantRoutes])
        assert.ok(requiredFor(route), `${routeKey(route)} is missing from the table of this test`)
    })

    it('asks for credentials on every admin route: 401 with a Basic challenge', async () => {
      for (const route of [...rootRoutes, ...tenantRoutes]) {
        const answer = await probe(h, route, undefined)
        assert.equal(answer.status, 401, routeKey(route))
        assert.match(String(answer.headers['www-authenticate']), /^Basic realm="Rekey"/, routeKey(route))
        if (route.method !== 'HEAD') assertProblem(answer, 401, 'auth.required')
      }
    })

    it('admits each caller exactly where its one permission reaches, and refuses it with 403 elsewhere', async () => {
      const before = await snapshotStore(h.container.store.db)
      for (const permission of permissions) {
        const auth = basicAuth(userFor(permission), passwordFor(permission))
        for (const route of rootRoutes) {
          const answer = await probe(h, route, auth)
          const label = `${userFor(permission)} on ${routeKey(route)}`
          if (requiredFor(route) === permission) {
            assert.ok(answer.status !== 401 && answer.status !== 403, `${label} answered ${answer.status}`)
          } else {
            assert.equal(answer.status, 403, `${label} answered ${answer.status}`)
            if (route.method !== 'HEAD') {
              assertProblem(answer, 403, 'auth.forbidden')
              assert.ok(answer.body.detail.includes(requiredFor(route)!), label)
            }
          }
        }
      }
      assert.deepEqual(await snapshotStore(h.container.store.db), before, 'the probes changed nothing')
    })

    it('refuses callers without any admin permission everywhere, in every credential form', async () => {
      const session = await call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: userFor('login'), password: passwordFor('login') },
      })
      assert.equal(session.status, 200)
      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: h.adminAuth,
        payload: { name: 'sign-in only', scopes: ['login'] },
      })
      assert.equal(token.status, 201)
      for (const auth of [
        basicAuth('no-roles', 'no-roles-password'),
        basicAuth(userFor('login'), passwordFor('login')),
        bearer(session.body.token),
        bearer(token.body.token),
      ]) {
        for (const route of rootRoutes) {
          const answer = await probe(h, route, auth)
          assert.equal(answer.status, 403, `${routeKey(route)} answered ${answer.status}`)
        }
      }
    })

    it('holds a read-only tenant user, its session and a read-only token to reads', async () => {
      const session = await call(h.app, {
        method: 'POST',
        url: '/t/perm.example/api/auth/login',
        payload: { username: 'reader', password: 'reader-password-1' },
      })
      assert.equal(session.status, 200)
      const token = await call(h.app, {
        method: 'POST',
        url: '/t/perm.example/api/admin/tokens',
        auth: tenantAdmin,
        payload: { name: 'reader bot', scopes: ['users:read'] },
      })
      assert.equal(token.status, 201)
      const before = await snapshotStore(h.container.store.db)
      for (const auth of [
        basicAuth('reader', 'reader-password-1'),
        bearer(session.body.token),
        bearer(token.body.token),
      ]) {
        for (const route of tenantRoutes) {
          const answer = await probe(h, route, auth, 'perm.example')
          if (requiredFor(route) === 'users:read') {
            assert.ok(
              answer.status !== 401 && answer.status !== 403,
              `${routeKey(route)} answered ${answer.status}`,
            )
          } else {
            assert.equal(answer.status, 403, `${routeKey(route)} answered ${answer.status}`)
          }
        }
        // With real data: reading works, writing is refused and changes nothing.
        const listed = await call(h.app, { method: 'GET', url: '/t/perm.example/api/admin/users', auth })
        assert.equal(listed.status, 200)
        assert.ok(listed.body.users.some((user: { username: string }) => user.username === 'reader'))
        assertProblem(
          await call(h.app, {
            method: 'POST',
            url: '/t/perm.example/api/admin/users',
            auth,
            payload: { username: 'written', password: 'written-password-1' },
          }),
          403,
          'auth.forbidden',
        )
        assertProblem(
          await call(h.app, {
            method: 'POST',
            url: '/t/perm.example/api/admin/users/reader/password',
            auth,
            payload: { password: 'reader-password-2' },
          }),
          403,
          'auth.forbidden',
        )
      }
      assert.deepEqual(await snapshotStore(h.container.store.db), before)
    })
  })
}
