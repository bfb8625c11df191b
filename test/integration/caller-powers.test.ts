import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { freshRole, freshUser, staffRole } from '../support/fresh-user.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { assertProblem, bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const EMAIL = 'http://wso2.org/claims/emailaddress'

/**
 * A credential allowed to manage users (users:write) cannot take over, disable, lock or remove
 * an account that holds more than it does (an administrator), through any interface; it still
 * manages ordinary users, and the tenant administrator still manages administrators.
 */
for (const kind of storeKinds) {
  describe(`${kind.kind}: users holding more than the caller`, { skip: kind.skip }, () => {
    let h: Harness
    /** users:read and users:write only. */
    let helpDesk: string
    let deputyId: string
    let staffId: string

    before(async () => {
      h = await openHarness(kind)
      await staffRole(h)
      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: h.adminAuth,
        payload: { name: 'help-desk', scopes: ['users:read', 'users:write'] },
      })
      assert.equal(token.status, 201)
      helpDesk = bearer(token.body.token)
      deputyId = await freshUser(h, {
        username: 'deputy',
        password: 'Deputy-Harbour-4471',
        roles: ['admin'],
        claims: { [EMAIL]: 'deputy@example.com' },
      })
      staffId = await freshUser(h, {
        username: 'clerk',
        password: 'Clerk-Harbour-4471',
        roles: ['staff'],
        claims: { [EMAIL]: 'clerk@example.com' },
      })
    })
    after(async () => h?.close())

    const scimPatch = (id: string, operations: object[], auth = helpDesk) =>
      call(h.app, {
        method: 'PATCH',
        url: `/scim2/Users/${id}`,
        auth,
        payload: { schemas: [PATCH_OP], Operations: operations },
      })
    const groupPatch = (id: string, operations: object[]) =>
      call(h.app, {
        method: 'PATCH',
        url: `/scim2/Groups/${id}`,
        auth: helpDesk,
        payload: { schemas: [PATCH_OP], Operations: operations },
      })
    /** The id of the group named `name`, as the help desk finds it. */
    const groupId = async (name: string) =>
      (
        await call(h.app, {
          method: 'GET',
          url: `/scim2/Groups?filter=${encodeURIComponent(`displayName eq "${name}"`)}`,
          auth: helpDesk,
        })
      ).body.Resources[0].id as string
    const assertScimForbidden = (answer: { status: number; body: Record<string, unknown> }) => {
      assert.equal(answer.status, 403, JSON.stringify(answer.body))
      assert.equal(answer.body.status, '403')
      assert.match(String(answer.body.detail), /which these credentials do not hold/)
    }
    const deputySignsIn = async (password: string) =>
      (
        await call(h.app, {
          method: 'GET',
          url: '/scim2/Me',
          auth: `Basic ${Buffer.from(`deputy:${password}`).toString('base64')}`,
        })
      ).status

    it('SCIM: no password, address, status or removal of an administrator; the administrator is unchanged', async () => {
      const before = await call(h.app, { method: 'GET', url: `/scim2/Users/${deputyId}`, auth: h.adminAuth })
      assertScimForbidden(
        await scimPatch(deputyId, [{ op: 'replace', path: 'password', value: 'Taken-0ver-Pass!99' }]),
      )
      assertScimForbidden(
        await scimPatch(deputyId, [
          { op: 'replace', path: 'emails[type eq "work"].value', value: 'thief@example.com' },
        ]),
      )
      assertScimForbidden(await scimPatch(deputyId, [{ op: 'Replace', path: 'active', value: 'False' }]))
      const put = await call(h.app, {
        method: 'PUT',
        url: `/scim2/Users/${deputyId}`,
        auth: helpDesk,
        payload: { ...before.body, password: 'Taken-0ver-Pass!99' },
      })
      assertScimForbidden(put)
      const removed = await call(h.app, { method: 'DELETE', url: `/scim2/Users/${deputyId}`, auth: helpDesk })
      assertScimForbidden(removed)
      const bulk = await call(h.app, {
        method: 'POST',
        url: '/scim2/Bulk',
        auth: helpDesk,
        payload: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
          Operations: [
            {
              method: 'PATCH',
              path: `/Users/${deputyId}`,
              data: {
                schemas: [PATCH_OP],
                Operations: [{ op: 'replace', path: 'password', value: 'Taken-0ver-Pass!99' }],
              },
            },
            { method: 'DELETE', path: `/Users/${deputyId}` },
          ],
        },
      })
      assert.equal(bulk.status, 200, JSON.stringify(bulk.body))
      assert.deepEqual(
        (bulk.body.Operations as Array<{ status: string }>).map((operation) => operation.status),
        ['403', '403'],
      )
      const after = await call(h.app, { method: 'GET', url: `/scim2/Users/${deputyId}`, auth: h.adminAuth })
      assert.deepEqual(after.body, before.body)
      assert.equal(await deputySignsIn('Deputy-Harbour-4471'), 200)
      assert.equal(await deputySignsIn('Taken-0ver-Pass!99'), 401)
    })

    it('admin API: no password, profile, lock, unlock or removal of an administrator', async () => {
      const base = `/api/admin/users/${deputyId}`
      assertProblem(
        await call(h.app, {
          method: 'POST',
          url: `${base}/password`,
          auth: helpDesk,
          payload: { password: 'Taken-0ver-Pass!99' },
        }),
        403,
        'auth.forbidden',
      )
      assertProblem(
        await call(h.app, {
          method: 'PATCH',
          url: base,
          auth: helpDesk,
          payload: { claims: { [EMAIL]: 'thief@example.com' } },
        }),
        403,
        'auth.forbidden',
      )
      assertProblem(
        await call(h.app, { method: 'POST', url: `${base}/lock`, auth: helpDesk }),
        403,
        'auth.forbidden',
      )
      assertProblem(await call(h.app, { method: 'DELETE', url: base, auth: helpDesk }), 403, 'auth.forbidden')
      // Locked by the tenant administrator: the help desk cannot lift it either.
      assert.equal(
        (await call(h.app, { method: 'POST', url: `${base}/lock`, auth: h.adminAuth })).status,
        200,
      )
      assertProblem(
        await call(h.app, { method: 'POST', url: `${base}/unlock`, auth: helpDesk }),
        403,
        'auth.forbidden',
      )
      assert.equal(
        (await call(h.app, { method: 'POST', url: `${base}/unlock`, auth: h.adminAuth })).status,
        200,
      )
      assert.equal(await deputySignsIn('Deputy-Harbour-4471'), 200)
    })

    it('the help desk still manages ordinary users, and the administrator manages administrators', async () => {
      const renamed = await scimPatch(staffId, [{ op: 'replace', path: 'title', value: 'Clerk' }])
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body))
      const set = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${staffId}/password`,
        auth: helpDesk,
        payload: { password: 'Clerk-Meadow-5582' },
      })
      assert.equal(set.status, 204, JSON.stringify(set.body))
      const titled = await scimPatch(
        deputyId,
        [{ op: 'replace', path: 'title', value: 'Deputy' }],
        h.adminAuth,
      )
      assert.equal(titled.status, 200, JSON.stringify(titled.body))
    })
    it('the last active administrator cannot be disabled or locked, through SCIM or the admin API', async () => {
      const admin = (await h.container.users.find(h.defaultTenant, 'admin'))!
      // Another administrator, disabled: it does not count.
      const disabled = await scimPatch(
        deputyId,
        [{ op: 'replace', path: 'active', value: false }],
        h.adminAuth,
      )
      assert.equal(disabled.status, 200, JSON.stringify(disabled.body))
      for (const operation of [
        { op: 'replace', path: 'active', value: false },
        {
          op: 'replace',
          path: 'urn:rekey:params:scim:schemas:extension:2.0:User:accountLocked',
          value: true,
        },
      ]) {
        const refused = await scimPatch(admin.id, [operation], h.adminAuth)
        assert.equal(refused.status, 409, JSON.stringify(refused.body))
        assert.match(String(refused.body.detail), /last active member of the administrator role/)
      }
      assertProblem(
        await call(h.app, { method: 'POST', url: `/api/admin/users/${admin.id}/lock`, auth: h.adminAuth }),
        409,
        'role.last-administrator',
      )
      assert.equal((await call(h.app, { method: 'GET', url: '/scim2/Me', auth: h.adminAuth })).status, 200)
      // With the other administrator active again, either may be locked.
      const enabled = await scimPatch(deputyId, [{ op: 'replace', path: 'active', value: true }], h.adminAuth)
      assert.equal(enabled.status, 200, JSON.stringify(enabled.body))
      const locked = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${deputyId}/lock`,
        auth: h.adminAuth,
      })
      assert.equal(locked.status, 200, JSON.stringify(locked.body))
      assert.equal(
        (await call(h.app, { method: 'POST', url: `/api/admin/users/${deputyId}/unlock`, auth: h.adminAuth }))
          .status,
        200,
      )
    })

    it('cannot grant itself, through a role, powers it does not hold, nor take them from others', async () => {
      const api = (method: string, url: string, payload?: object) =>
        call(h.app, { method, url: `/api/admin${url}`, auth: helpDesk, ...(payload ? { payload } : {}) })
      const forbidden = (answer: Awaited<ReturnType<typeof api>>) => {
        assertProblem(answer, 403, 'auth.forbidden')
        assert.match(String(answer.body.detail), /which these credentials do not hold/)
      }
      // A role holding more than the caller: not created, so nobody can join it.
      forbidden(
        await api('POST', '/roles', { name: 'shadow admins', permissions: ['login', 'tokens:manage'] }),
      )
      assert.equal((await api('GET', '/roles/shadow%20admins')).status, 404)
      // Within its powers it still manages roles.
      const desk = await api('POST', '/roles', { name: 'desk', permissions: ['login', 'users:read'] })
      assert.equal(desk.status, 201, JSON.stringify(desk.body))
      forbidden(await api('PATCH', '/roles/desk', { permissions: ['login', 'config:write'] }))
      assert.equal((await api('POST', '/roles/desk/members', { users: [staffId] })).status, 200)
      assert.equal((await api('DELETE', `/roles/desk/members/${staffId}`)).status, 204)
      // The administrators' role: neither joined nor left through this credential.
      forbidden(await api('POST', '/roles/admin/members', { users: [staffId] }))
      forbidden(await api('DELETE', `/roles/admin/members/${deputyId}`))
      // A role granting more, made by the administrator: not emptied, renamed or deleted by it.
      const auditors = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: h.adminAuth,
        payload: { name: 'auditors', permissions: ['login', 'audit:read'] },
      })
      assert.equal(auditors.status, 201, JSON.stringify(auditors.body))
      forbidden(await api('PATCH', '/roles/auditors', { permissions: ['login'] }))
      forbidden(await api('DELETE', '/roles/auditors'))
      // Nor renamed or re-keyed through SCIM.
      const auditorsGroup = await groupId('auditors')
      for (const operation of [
        { op: 'replace', path: 'displayName', value: 'watchers' },
        { op: 'replace', path: 'externalId', value: 'hr-4471' },
      ])
        assertScimForbidden(await groupPatch(auditorsGroup, [operation]))
      // Nor through SCIM: its group's members are neither added nor removed.
      assertScimForbidden(
        await groupPatch(await groupId('admin'), [{ op: 'remove', path: `members[value eq "${deputyId}"]` }]),
      )
      // A group granting sign-in alone is within a provisioning token's powers, as in the admin API.
      const staffGroup = await groupId('staff')
      const newcomer = await freshUser(h, { username: 'newcomer', password: 'Newcomer-Harbour-4471' })
      for (const op of ['add', 'remove'] as const) {
        const member = await groupPatch(staffGroup, [
          op === 'add'
            ? { op, path: 'members', value: [{ value: newcomer }] }
            : { op, path: `members[value eq "${newcomer}"]` },
        ])
        assert.equal(member.status, 200, `${op}: ${JSON.stringify(member.body)}`)
      }
      const admins = await call(h.app, { method: 'GET', url: '/api/admin/roles/admin', auth: h.adminAuth })
      assert.equal(admins.status, 200, JSON.stringify(admins.body))
      const members = (admins.body.members as Array<{ id: string }>).map((member) => member.id)
      assert.ok(members.includes(deputyId), 'the deputy is still an administrator')
      assert.ok(!members.includes(staffId), 'and the clerk did not become one')
      // The administrator, holding them all, still may.
      const renamed = await call(h.app, {
        method: 'PATCH',
        url: '/api/admin/roles/auditors',
        auth: h.adminAuth,
        payload: { permissions: ['login'] },
      })
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body))
    })

    it("a role's new power moves its members' versions: a write checked against the old powers is refused", async () => {
      const memberId = await freshUser(h, {
        username: 'rising',
        password: 'Rising-Harbour-4471',
        claims: { [EMAIL]: 'rising@example.com' },
      })
      await freshRole(h, 'operators', ['login'])
      const joined = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles/operators/members',
        auth: h.adminAuth,
        payload: { users: [memberId] },
      })
      assert.equal(joined.status, 200, JSON.stringify(joined.body))
      const read = async () => {
        const answer = await call(h.app, { method: 'GET', url: `/scim2/Users/${memberId}`, auth: helpDesk })
        assert.equal(answer.status, 200, JSON.stringify(answer.body))
        return String(answer.headers.etag)
      }
      const setPermissions = async (permissions: string[]) => {
        const answer = await call(h.app, {
          method: 'PATCH',
          url: '/api/admin/roles/operators',
          auth: h.adminAuth,
          payload: { permissions },
        })
        assert.equal(answer.status, 200, JSON.stringify(answer.body))
      }

      // The same powers again: nothing about the members changed, their ETags hold.
      const checked = await read()
      await setPermissions(['login'])
      assert.equal(await read(), checked)

      // The role gains a power the help desk lacks, after the help desk read the member: the
      // write it computed then (a new password, here) fails its version check.
      await setPermissions(['login', 'tokens:manage'])
      assert.notEqual(await read(), checked)
      const stale = await call(h.app, {
        method: 'PATCH',
        url: `/scim2/Users/${memberId}`,
        auth: helpDesk,
        headers: { 'if-match': checked },
        payload: {
          schemas: [PATCH_OP],
          Operations: [{ op: 'replace', path: 'password', value: 'Taken-0ver-Pass!99' }],
        },
      })
      assert.equal(stale.status, 412, JSON.stringify(stale.body))
      // Checked again on the member as it now is: beyond the help desk, through either interface.
      assertScimForbidden(
        await scimPatch(memberId, [{ op: 'replace', path: 'password', value: 'Taken-0ver-Pass!99' }]),
      )
      const viaApi = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${memberId}/password`,
        auth: helpDesk,
        payload: { password: 'Taken-0ver-Pass!99' },
      })
      assertProblem(viaApi, 403, 'auth.forbidden')
      const signIn = await call(h.app, {
        method: 'GET',
        url: '/scim2/Me',
        auth: `Basic ${Buffer.from('rising:Rising-Harbour-4471').toString('base64')}`,
      })
      assert.equal(signIn.status, 200, 'the old password still works: nothing was written')
    })
  })
}
