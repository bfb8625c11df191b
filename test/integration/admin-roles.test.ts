import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN_PASSWORD } from '../support/config.ts'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { type Answer, assertProblem, bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

for (const kind of storeKinds) {
  describe(`${kind.kind}: admin API — roles`, { skip: kind.skip }, () => {
    let h: Harness
    const ids: Record<string, string> = {}
    const admin = () => h.adminAuth
    const login = (username: string): Promise<Answer> =>
      call(h.app, {
        method: 'POST',
        url: '/api/auth/login',
        payload: { username, password: `${username}-password-1` },
      })
    const members = async (role: string, auth = admin()): Promise<string[]> => {
      const answer = await call(h.app, {
        method: 'GET',
        url: `/api/admin/roles/${encodeURIComponent(role)}/members`,
        auth,
      })
      assert.equal(answer.status, 200)
      return answer.body.members.map((member: { username: string }) => member.username)
    }

    before(async () => {
      h = await openHarness(kind)
      for (const username of ['rita', 'sam', 'tom']) {
        const created = await call(h.app, {
          method: 'POST',
          url: '/api/admin/users',
          auth: admin(),
          payload: { username, password: `${username}-password-1` },
        })
        assert.equal(created.status, 201)
        ids[username] = created.body.id
      }
    })
    after(async () => h?.close())

    it('creates a role with permissions: 201 with its location', async () => {
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: admin(),
        payload: { name: 'Help Desk', permissions: ['users:read', 'reset:force', 'users:read'] },
      })
      assert.equal(created.status, 201)
      assert.equal(created.body.name, 'Help Desk')
      assert.deepEqual(created.body.permissions, ['reset:force', 'users:read'], 'sorted, without repeats')
      assert.equal(created.body.builtin, false)
      assert.equal(created.headers.location, '/api/admin/roles/Help%20Desk')
      const shown = await call(h.app, { method: 'GET', url: '/api/admin/roles/help%20desk', auth: admin() })
      assert.equal(shown.status, 200, 'role names are case-insensitive')
      assert.deepEqual(shown.body.permissions, ['reset:force', 'users:read'])
      assert.deepEqual(shown.body.members, [])
      const listed = await call(h.app, { method: 'GET', url: '/api/admin/roles', auth: admin() })
      assert.deepEqual(
        listed.body.roles.map((role: { name: string }) => role.name),
        ['admin', 'Help Desk'],
      )
    })

    it('refuses unknown permissions (400) and duplicate names in any case (409)', async () => {
      const countRoles = async () =>
        (await call(h.app, { method: 'GET', url: '/api/admin/roles', auth: admin() })).body.roles.length
      const before = await countRoles()
      const unknown = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: admin(),
        payload: { name: 'bad', permissions: ['users:read', 'root'] },
      })
      assertProblem(unknown, 400, 'request.invalid')
      assert.ok(
        unknown.body.errors.some((error: { pointer: string }) =>
          error.pointer.startsWith('/body/permissions'),
        ),
      )
      assertProblem(
        await call(h.app, {
          method: 'PATCH',
          url: '/api/admin/roles/help%20desk',
          auth: admin(),
          payload: { permissions: ['everything'] },
        }),
        400,
        'request.invalid',
      )
      for (const name of ['help desk', 'HELP DESK', 'Admin']) {
        assertProblem(
          await call(h.app, {
            method: 'POST',
            url: '/api/admin/roles',
            auth: admin(),
            payload: { name, permissions: [] },
          }),
          409,
          'role.exists',
        )
      }
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/roles',
          auth: admin(),
          payload: { name: ' padded', permissions: [] },
        }),
        400,
        'role.invalid-name',
      )
      // A role named "." or ".." could never be addressed by /roles/{name}: URLs normalise them.
      for (const name of ['.', '..'])
        assertProblem(
          await call(h.app, {
            method: 'POST',
            url: '/api/admin/roles',
            auth: admin(),
            payload: { name, permissions: [] },
          }),
          400,
          'role.invalid-name',
        )
      assert.equal(await countRoles(), before)
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/roles/bad', auth: admin() }),
        404,
        'role.not-found',
      )
    })

    it('adds members by id and by user name, all or nothing', async () => {
      const assigned = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles/help%20desk/members',
        auth: admin(),
        payload: { users: [ids.rita, 'SAM'] },
      })
      assert.equal(assigned.status, 200)
      assert.deepEqual(assigned.body.members, [
        { id: ids.rita, username: 'rita' },
        { id: ids.sam, username: 'sam' },
      ])
      const again = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles/help%20desk/members',
        auth: admin(),
        payload: { users: ['rita', 'rita'] },
      })
      assert.equal(again.status, 200, 'adding a member twice is harmless')
      assert.deepEqual(await members('Help Desk'), ['rita', 'sam'])
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: '/api/admin/roles/help%20desk/members',
          auth: admin(),
          payload: { users: ['tom', 'ghost'] },
        }),
        404,
        'user.not-found',
      )
      assert.deepEqual(await members('Help Desk'), ['rita', 'sam'], 'tom was not added either')
      const shown = await call(h.app, { method: 'GET', url: '/api/admin/users/rita', auth: admin() })
      assert.deepEqual(shown.body.roles, ['Help Desk'])
      // The permissions apply at once.
      assert.equal(
        (
          await call(h.app, {
            method: 'GET',
            url: '/api/admin/users',
            auth: basicAuth('rita', 'rita-password-1'),
          })
        ).status,
        200,
      )
    })

    it('removes members by id or name; removing a non-member is 404', async () => {
      assert.equal(
        (
          await call(h.app, {
            method: 'DELETE',
            url: `/api/admin/roles/help%20desk/members/${ids.sam}`,
            auth: admin(),
          })
        ).status,
        204,
      )
      assert.deepEqual(await members('Help Desk'), ['rita'])
      assertProblem(
        await call(h.app, {
          method: 'DELETE',
          url: '/api/admin/roles/help%20desk/members/sam',
          auth: admin(),
        }),
        404,
        'user.not-found',
      )
      assertProblem(
        await call(h.app, {
          method: 'DELETE',
          url: '/api/admin/roles/help%20desk/members/ghost',
          auth: admin(),
        }),
        404,
        'user.not-found',
      )
      assertProblem(
        await call(h.app, { method: 'DELETE', url: '/api/admin/roles/nope/members/rita', auth: admin() }),
        404,
        'role.not-found',
      )
    })

    it('grants and withdraws sign-in through a role', async () => {
      assertProblem(await login('tom'), 403, 'auth.login-not-permitted')
      const role = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: admin(),
        payload: { name: 'staff', permissions: [] },
      })
      assert.equal(role.status, 201)
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles/staff/members',
        auth: admin(),
        payload: { users: ['tom'] },
      })
      assertProblem(await login('tom'), 403, 'auth.login-not-permitted')
      const granted = await call(h.app, {
        method: 'PATCH',
        url: '/api/admin/roles/staff',
        auth: admin(),
        payload: { permissions: ['login'] },
      })
      assert.deepEqual(granted.body.permissions, ['login'])
      assert.equal((await login('tom')).status, 200)
      await call(h.app, { method: 'DELETE', url: '/api/admin/roles/staff/members/tom', auth: admin() })
      assertProblem(await login('tom'), 403, 'auth.login-not-permitted')
    })

    it('renames and deletes ordinary roles; members lose what the role gave', async () => {
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles/staff/members',
        auth: admin(),
        payload: { users: ['tom'] },
      })
      const renamed = await call(h.app, {
        method: 'PATCH',
        url: '/api/admin/roles/staff',
        auth: admin(),
        payload: { name: 'Employees' },
      })
      assert.equal(renamed.status, 200)
      assert.equal(renamed.body.name, 'Employees')
      assert.deepEqual(renamed.body.permissions, ['login'], 'a rename keeps the permissions')
      assert.deepEqual(await members('employees'), ['tom'], 'and the members')
      assertProblem(
        await call(h.app, {
          method: 'PATCH',
          url: '/api/admin/roles/employees',
          auth: admin(),
          payload: { name: 'HELP desk' },
        }),
        409,
        'role.exists',
      )
      assertProblem(
        await call(h.app, {
          method: 'PATCH',
          url: '/api/admin/roles/staff',
          auth: admin(),
          payload: { name: 'x' },
        }),
        404,
        'role.not-found',
      )
      assert.equal((await login('tom')).status, 200)
      assert.equal(
        (await call(h.app, { method: 'DELETE', url: '/api/admin/roles/Employees', auth: admin() })).status,
        204,
      )
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/roles/employees', auth: admin() }),
        404,
        'role.not-found',
      )
      assertProblem(await login('tom'), 403, 'auth.login-not-permitted')
      const tom = await call(h.app, { method: 'GET', url: '/api/admin/users/tom', auth: admin() })
      assert.deepEqual(tom.body.roles, [])
      assertProblem(
        await call(h.app, { method: 'DELETE', url: '/api/admin/roles/employees', auth: admin() }),
        404,
        'role.not-found',
      )
    })

    it('protects the built-in admin role from deletion and change', async () => {
      const before = await call(h.app, { method: 'GET', url: '/api/admin/roles/admin', auth: admin() })
      assert.equal(before.body.builtin, true)
      assert.ok(before.body.permissions.includes('tenants:manage'))
      assertProblem(
        await call(h.app, { method: 'DELETE', url: '/api/admin/roles/admin', auth: admin() }),
        409,
        'role.builtin',
      )
      for (const payload of [
        { permissions: ['login'] },
        { name: 'superusers' },
        { name: 'admin', permissions: [] },
      ]) {
        assertProblem(
          await call(h.app, { method: 'PATCH', url: '/api/admin/roles/ADMIN', auth: admin(), payload }),
          409,
          'role.builtin',
        )
      }
      const after = await call(h.app, { method: 'GET', url: '/api/admin/roles/admin', auth: admin() })
      assert.deepEqual(after.body, before.body)
    })

    it('never removes the last administrator, by membership or by deletion', async () => {
      assertProblem(
        await call(h.app, { method: 'DELETE', url: '/api/admin/roles/admin/members/admin', auth: admin() }),
        409,
        'role.last-administrator',
      )
      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: admin(),
        payload: { name: 'cleanup' },
      })
      assertProblem(
        await call(h.app, {
          method: 'DELETE',
          url: '/api/admin/users/admin',
          auth: bearer(token.body.token),
        }),
        409,
        'role.last-administrator',
      )
      // With a second administrator, one of them may go; then the other is the last again.
      await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles/admin/members',
        auth: admin(),
        payload: { users: ['rita'] },
      })
      const rita = basicAuth('rita', 'rita-password-1')
      assert.equal(
        (await call(h.app, { method: 'DELETE', url: '/api/admin/roles/admin/members/admin', auth: rita }))
          .status,
        204,
      )
      assert.deepEqual(await members('admin', rita), ['rita'])
      assertProblem(
        await call(h.app, { method: 'DELETE', url: '/api/admin/roles/admin/members/rita', auth: rita }),
        409,
        'role.last-administrator',
      )
      assertProblem(
        await call(h.app, { method: 'GET', url: '/api/admin/roles', auth: admin() }),
        403,
        'auth.forbidden',
      )
      const restored = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles/admin/members',
        auth: rita,
        payload: { users: ['admin'] },
      })
      assert.equal(restored.status, 200, JSON.stringify(restored.body))
      assert.equal(
        (
          await call(h.app, {
            method: 'POST',
            url: '/api/auth/login',
            payload: { username: 'admin', password: ADMIN_PASSWORD },
          })
        ).status,
        200,
      )
    })
  })
}
