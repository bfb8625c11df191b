import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { type Answer, assertProblem, bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const DOMAIN = 'delta.example'
const PASSWORD = 'delta-admin-password-1'

for (const kind of storeKinds) {
  describe(`${kind.kind}: admin API — tenants`, { skip: kind.skip }, () => {
    let h: Harness
    const deltaAdmin = basicAuth('admin', PASSWORD)
    const tenantCount = async () =>
      Number(
        (
          await h.container.store.db
            .selectFrom('tenants')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )
    const signIn = (username: string, password: string): Promise<Answer> =>
      call(h.app, { method: 'POST', url: `/t/${DOMAIN}/api/auth/login`, payload: { username, password } })

    before(async () => {
      h = await openHarness(kind)
    })
    after(async () => h?.close())

    it('creates a tenant with its administrator', async () => {
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: 'Delta.Example', displayName: 'Delta Corp', adminPassword: PASSWORD },
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      assert.equal(created.body.domain, DOMAIN, 'domains are stored in lower case')
      assert.equal(created.body.displayName, 'Delta Corp')
      assert.equal(created.body.status, 'active')
      assert.equal(created.body.isDefault, false)
      assert.equal(created.headers.location, `/api/admin/tenants/${DOMAIN}`)
      assert.ok(!JSON.stringify(created.body).includes(PASSWORD))

      const shown = await call(h.app, {
        method: 'GET',
        url: `/api/admin/tenants/${DOMAIN}`,
        auth: h.adminAuth,
      })
      assert.deepEqual(shown.body, created.body)
      const listed = await call(h.app, { method: 'GET', url: '/api/admin/tenants', auth: h.adminAuth })
      assert.deepEqual(
        listed.body.tenants.map((tenant: { domain: string; isDefault: boolean }) => [
          tenant.domain,
          tenant.isDefault,
        ]),
        [
          ['carbon.super', true],
          [DOMAIN, false],
        ],
      )
    })

    it("lets the new tenant's administrator use its own admin API and sign in", async () => {
      const base = `/t/${DOMAIN}/api/admin`
      const users = await call(h.app, { method: 'GET', url: `${base}/users`, auth: deltaAdmin })
      assert.equal(users.status, 200)
      assert.deepEqual(
        users.body.users.map((user: { username: string }) => user.username),
        ['admin'],
        'a new tenant starts with its administrator only',
      )
      const role = await call(h.app, {
        method: 'POST',
        url: `${base}/roles`,
        auth: deltaAdmin,
        payload: { name: 'staff', permissions: ['login'] },
      })
      assert.equal(role.status, 201)
      const user = await call(h.app, {
        method: 'POST',
        url: `${base}/users`,
        auth: deltaAdmin,
        payload: { username: 'dora', password: 'dora-password-1', roles: ['staff'] },
      })
      assert.equal(user.status, 201)
      assert.equal(user.headers.location, `${base}/users/${user.body.id}`)
      const session = await signIn('dora', 'dora-password-1')
      assert.equal(session.status, 200)
      assert.equal(session.body.user.tenant, DOMAIN)
      assert.equal((await signIn('admin', PASSWORD)).status, 200)

      const roles = await call(h.app, { method: 'GET', url: `${base}/roles`, auth: deltaAdmin })
      const builtin = roles.body.roles.find((entry: { name: string }) => entry.name === 'admin')
      assert.equal(builtin.builtin, true)
      assert.ok(builtin.permissions.includes('users:write'))
      assert.ok(
        !builtin.permissions.includes('tenants:manage'),
        'tenant management stays in the default tenant',
      )
      // The user is in this tenant only.
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/users/dora', auth: h.adminAuth }),
        404,
        'user.not-found',
      )
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'dora', password: 'dora-password-1' },
        }),
        401,
        'auth.failed',
      )
    })

    it('offers tenant management only at the root URLs', async () => {
      for (const [method, path] of [
        ['GET', '/tenants'],
        ['POST', '/tenants'],
        ['GET', `/tenants/${DOMAIN}`],
        ['PATCH', `/tenants/${DOMAIN}`],
      ] as const) {
        for (const tenant of [DOMAIN, 'carbon.super']) {
          assertProblem(
            await call(h.app, {
              method,
              url: `/t/${tenant}/api/admin${path}`,
              auth: tenant === DOMAIN ? deltaAdmin : h.adminAuth,
              ...(method === 'GET' ? {} : { payload: { status: 'disabled' } }),
            }),
            404,
            'route.not-found',
          )
        }
      }
      // A tenant administrator's credentials mean nothing at the root.
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/tenants', auth: deltaAdmin }),
        401,
        'auth.failed',
      )
    })

    it('requires tenants:manage in the default tenant', async () => {
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: h.adminAuth,
        payload: { name: 'user admins', permissions: ['users:read', 'users:write', 'tokens:manage'] },
      })
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: h.adminAuth,
        payload: { username: 'useradmin', password: 'useradmin-password-1', roles: ['user admins'] },
      })
      const userAdmin = basicAuth('useradmin', 'useradmin-password-1')
      const before = await tenantCount()
      for (const request of [
        { method: 'GET', url: '/api/admin/tenants' },
        { method: 'GET', url: `/api/admin/tenants/${DOMAIN}` },
        {
          method: 'POST',
          url: '/api/admin/tenants',
          payload: { domain: 'x.example', adminPassword: 'x-password-12' },
        },
        { method: 'PATCH', url: `/api/admin/tenants/${DOMAIN}`, payload: { status: 'disabled' } },
      ] as const) {
        assertProblem(await call(h.app, { ...request, auth: userAdmin }), 403, 'auth.forbidden')
      }
      // A token minted by such a user cannot carry tenants:manage either.
      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: userAdmin,
        payload: { name: 'escalation', scopes: ['tenants:manage'] },
      })
      assertProblem(token, 403, 'token.scope-exceeds-grant')
      assert.equal(await tenantCount(), before)
      const status = await call(h.app, {
        method: 'GET',
        url: `/api/admin/tenants/${DOMAIN}`,
        auth: h.adminAuth,
      })
      assert.equal(status.body.status, 'active')
    })

    it('refuses bad tenants without creating anything', async () => {
      const before = await tenantCount()
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/tenants',
          auth: h.adminAuth,
          payload: { domain: 'DELTA.example', adminPassword: 'another-password-1' },
        }),
        409,
        'tenant.exists',
      )
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/tenants',
          auth: h.adminAuth,
          payload: { domain: 'not a domain', adminPassword: 'another-password-1' },
        }),
        400,
        'tenant.invalid-domain',
      )
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/tenants',
          auth: h.adminAuth,
          payload: { domain: 'weak.example', adminPassword: 'short' },
        }),
        400,
        'password.weak',
      )
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/tenants',
          auth: h.adminAuth,
          payload: { domain: 'nopass.example' },
        }),
        400,
        'request.invalid',
      )
      assert.equal(await tenantCount(), before)
      assertProblem(
        await call(h.app, { method: 'GET', url: '/t/weak.example/api/admin/users', auth: h.adminAuth }),
        404,
        'tenant.not-found',
      )
      assertProblem(
        await call(h.app, {
          method: 'PATCH',
          url: '/api/admin/tenants/missing.example',
          auth: h.adminAuth,
          payload: { status: 'disabled' },
        }),
        404,
        'tenant.not-found',
      )
      assertProblem(
        await call(h.app, {
          method: 'PATCH',
          url: `/api/admin/tenants/${DOMAIN}`,
          auth: h.adminAuth,
          payload: { status: 'paused' },
        }),
        400,
        'request.invalid',
      )
    })

    it('shuts a disabled tenant: sign-in, Basic, API tokens and sessions all stop', async () => {
      const base = `/t/${DOMAIN}/api/admin`
      const token = await call(h.app, {
        method: 'POST',
        url: `${base}/tokens`,
        auth: deltaAdmin,
        payload: { name: 'automation' },
      })
      assert.equal(token.status, 201)
      const adminSession = await signIn('admin', PASSWORD)
      const userSession = await signIn('dora', 'dora-password-1')
      const wrongPassword = await signIn('dora', 'not-doras-password')

      const disabled = await call(h.app, {
        method: 'PATCH',
        url: `/api/admin/tenants/${DOMAIN}`,
        auth: h.adminAuth,
        payload: { status: 'disabled' },
      })
      assert.equal(disabled.status, 200)
      assert.equal(disabled.body.status, 'disabled')

      const refused = await signIn('dora', 'dora-password-1')
      assertProblem(refused, 401, 'auth.failed')
      assert.deepEqual(refused.body, wrongPassword.body, 'no hint that the tenant is disabled')
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'admin', password: PASSWORD, tenant: DOMAIN },
        }),
        401,
        'auth.failed',
      )
      for (const auth of [deltaAdmin, bearer(token.body.token), bearer(adminSession.body.token)]) {
        assertProblem(await call(h.app, { method: 'GET', url: `${base}/users`, auth }), 401, 'auth.failed')
      }
      assertProblem(
        await call(h.app, {
          method: 'GET',
          url: `/t/${DOMAIN}/api/auth/session`,
          auth: bearer(userSession.body.token),
        }),
        401,
        'auth.required',
      )
      const events = await h.container.store.db
        .selectFrom('audit_events')
        .select(['action', 'detail'])
        .where('action', '=', 'login.failed')
        .execute()
      assert.ok(
        events.some((event) => String(event.detail).includes('tenant')),
        'the real reason is in the audit log',
      )

      const enabled = await call(h.app, {
        method: 'PATCH',
        url: `/api/admin/tenants/${DOMAIN}`,
        auth: h.adminAuth,
        payload: { status: 'active' },
      })
      assert.equal(enabled.body.status, 'active')
      assert.equal((await signIn('dora', 'dora-password-1')).status, 200)
      assert.equal((await call(h.app, { method: 'GET', url: `${base}/users`, auth: deltaAdmin })).status, 200)
    })

    it('never disables the default tenant', async () => {
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
      assert.equal(
        (await call(h.app, { method: 'GET', url: '/api/admin/users', auth: h.adminAuth })).status,
        200,
      )
    })
  })
}
