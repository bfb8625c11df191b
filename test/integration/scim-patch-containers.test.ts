/**
 * PATCH over HTTP, on both stores, where a path or value names a container rather than one
 * attribute:
 *
 * - an extension's URN alone as the path (RFC 7644 §3.10, as `attributes=<URN>`): add and
 *   replace merge the attributes given, as the path-less `{"<URN>": value}` does (§3.5.2.3
 *   leaves the sub-attributes not given unchanged); remove removes every attribute of the
 *   extension a client may write, each meaning what its own path means — a pending forced
 *   reset and a lock stay, as when `…:forcePasswordReset` or `…:accountLocked` is removed;
 * - group members without a `value`, which cannot be added (§3.5.2.1): 400 invalidValue and
 *   nothing changed, as POST and PUT answer, never a 200 that did nothing.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Harness, openHarness } from '../support/harness.ts'
import { type Answer, bearer, call, type ScimMethod, scimCall } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const REKEY = 'urn:rekey:params:scim:schemas:extension:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'

const claim = (name: string) => `http://wso2.org/claims/${name}`
const FORCED_RESET = claim('identity/adminForcedPasswordReset')

/** Every enterprise attribute a client may write, with a value. */
const enterprise = {
  employeeNumber: '701984',
  costCenter: 'CC-4130',
  organization: 'Universal Studios',
  division: 'Theme Park',
  department: 'Tour Operations',
}
const enterpriseClaims = {
  [claim('employeeNumber')]: '701984',
  [claim('costCenter')]: 'CC-4130',
  [claim('organization')]: 'Universal Studios',
  [claim('division')]: 'Theme Park',
  [claim('department')]: 'Tour Operations',
}

// biome-ignore lint/suspicious/noExplicitAny: resources are arbitrary JSON, asserted field by field
type Resource = Record<string, any>

/** A user without what differs between two users created alike (id, name, address, meta). */
function comparable(resource: Resource): Resource {
  const { id: _id, userName: _userName, emails: _emails, meta, ...rest } = resource
  return { ...rest, version: meta.version }
}

/** Claims without the email address, which differs between two users created alike. */
function comparableClaims(claims: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(claims).filter(([uri]) => !uri.includes('email')))
}

function assertScimError(answer: Answer, status: number, scimType: string, detail: RegExp): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body))
  assert.deepEqual(answer.body.schemas, [ERROR])
  assert.equal(answer.body.status, String(status))
  assert.equal(answer.body.scimType, scimType)
  assert.match(answer.body.detail, detail)
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: SCIM PATCH of containers`, { skip: kind.skip }, () => {
    let h: Harness
    let created = 0
    /** A users:write credential without reset:force. */
    let editor = ''
    let managerId = ''

    const scim = (method: ScimMethod, url: string, payload?: unknown, auth = h.adminAuth): Promise<Answer> =>
      scimCall(h.app, method, url, payload, { auth })
    const patchUser = (id: string, operations: unknown[], auth = h.adminAuth) =>
      scim('PATCH', `/scim2/Users/${id}`, { schemas: [PATCH_OP], Operations: operations }, auth)
    const patchGroup = (id: string, operations: unknown[]) =>
      scim('PATCH', `/scim2/Groups/${id}`, { schemas: [PATCH_OP], Operations: operations })
    const getUser = async (id: string): Promise<Resource> => {
      const answer = await scim('GET', `/scim2/Users/${id}`)
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      return answer.body
    }
    const getGroup = async (id: string): Promise<Resource> => {
      const answer = await scim('GET', `/scim2/Groups/${id}`)
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      return answer.body
    }
    const claimsOf = async (id: string): Promise<Record<string, string>> => {
      const answer = await call(h.app, { method: 'GET', url: `/api/admin/users/${id}`, auth: h.adminAuth })
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      return answer.body.claims
    }
    const createUser = async (attributes: Resource = {}): Promise<string> => {
      created += 1
      const answer = await scim('POST', '/scim2/Users', {
        schemas: [CORE, ENTERPRISE],
        userName: `container-${created}`,
        emails: [{ value: `container-${created}@example.com`, type: 'work' }],
        ...attributes,
      })
      assert.equal(answer.status, 201, JSON.stringify(answer.body))
      return answer.body.id
    }
    /** A user with every writable enterprise attribute, a manager included. */
    const enterpriseUser = () =>
      createUser({ [ENTERPRISE]: { ...enterprise, manager: { value: managerId } } })
    /** PATCHes, and checks that the answer is what a GET reads afterwards; answers the GET. */
    const patched = async (id: string, operations: unknown[], auth?: string): Promise<Resource> => {
      const answer = await patchUser(id, operations, auth)
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      const read = await getUser(id)
      assert.deepEqual(answer.body, read, 'the answer is the user as stored')
      return read
    }
    /** The request is refused as expected and the user (its version included) is as before. */
    const refusedForUser = async (
      id: string,
      operations: unknown[],
      scimType: string,
      detail: RegExp,
    ): Promise<void> => {
      const before = await getUser(id)
      const claims = await claimsOf(id)
      assertScimError(await patchUser(id, operations), 400, scimType, detail)
      assert.deepEqual(await getUser(id), before, 'nothing changed')
      assert.deepEqual(await claimsOf(id), claims, 'no claim changed')
    }
    const startReset = async (id: string): Promise<Resource> => {
      const started = await patched(id, [
        { op: 'replace', path: `${ENTERPRISE}:forcePasswordReset`, value: true },
      ])
      assert.equal(started[REKEY].lockedReason, 'reset-pending')
      return started
    }

    before(async () => {
      h = await openHarness(kind)
      managerId = await createUser()
      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: h.adminAuth,
        payload: { name: 'profile-editor', scopes: ['users:read', 'users:write'] },
      })
      assert.equal(token.status, 201, JSON.stringify(token.body))
      editor = bearer(token.body.token)
    })
    after(async () => h?.close())

    describe('an extension URN as the path', () => {
      it('add sets the attributes given and keeps the others', async () => {
        const id = await createUser({ [ENTERPRISE]: { employeeNumber: '701984' } })
        const user = await patched(id, [{ op: 'add', path: ENTERPRISE, value: { department: 'X' } }])
        assert.deepEqual(user[ENTERPRISE], { employeeNumber: '701984', department: 'X' })
        assert.equal(user.meta.version, 'W/"2"')
        assert.equal((await claimsOf(id))[claim('department')], 'X')
      })

      it('add creates the extension for a user without it, and lists it in schemas', async () => {
        const id = await createUser()
        assert.equal((await getUser(id))[ENTERPRISE], undefined)
        const user = await patched(id, [
          { op: 'Add', path: ENTERPRISE.toUpperCase(), value: { Department: 'X', division: 'North' } },
        ])
        assert.deepEqual(user[ENTERPRISE], { department: 'X', division: 'North' })
        assert.ok(user.schemas.includes(ENTERPRISE), JSON.stringify(user.schemas))
      })

      it('replace merges too (RFC 7644 §3.5.2.3): the attributes not given stay, a null one goes', async () => {
        const id = await enterpriseUser()
        const user = await patched(id, [
          { op: 'replace', path: ENTERPRISE, value: { department: 'X', costCenter: null } },
        ])
        const { costCenter: _removed, ...rest } = enterprise
        assert.deepEqual(user[ENTERPRISE], {
          ...rest,
          department: 'X',
          manager: {
            value: managerId,
            $ref: `${user.meta.location.replace(/Users\/.*$/, 'Users')}/${managerId}`,
          },
        })
      })

      for (const op of ['add', 'replace']) {
        it(`${op} with the URN stores what the path-less {"<URN>": value} stores`, async () => {
          const value = { department: 'X', manager: { value: managerId }, shoeSize: 9 }
          const withPath = await enterpriseUser()
          const pathLess = await enterpriseUser()
          const one = await patched(withPath, [{ op, path: ENTERPRISE, value }])
          const other = await patched(pathLess, [{ op, value: { [ENTERPRISE]: value } }])
          assert.deepEqual(comparable(one), comparable(other))
          assert.deepEqual(
            comparableClaims(await claimsOf(withPath)),
            comparableClaims(await claimsOf(pathLess)),
          )
        })
      }

      it('remove clears every enterprise attribute, as removing each by its path does', async () => {
        const whole = await enterpriseUser()
        const oneByOne = await enterpriseUser()
        const removed = await patched(whole, [{ op: 'remove', path: ENTERPRISE }])
        assert.equal(removed[ENTERPRISE], undefined)
        assert.ok(!removed.schemas.includes(ENTERPRISE), JSON.stringify(removed.schemas))
        assert.equal(removed.meta.version, 'W/"2"')
        const claims = await claimsOf(whole)
        for (const uri of [...Object.keys(enterpriseClaims), claim('manager')])
          assert.equal(claims[uri], undefined, uri)
        assert.equal(claims[claim('emailaddress')], removed.emails[0].value, 'core attributes stay')
        const byPath = await patched(
          oneByOne,
          [...Object.keys(enterprise), 'manager', 'forcePasswordReset'].map((name) => ({
            op: 'remove',
            path: `${ENTERPRISE}:${name}`,
          })),
        )
        assert.deepEqual(comparable(removed), comparable(byPath))
      })

      it('remove leaves a pending forced reset alone, as removing forcePasswordReset by its path does, without reset:force', async () => {
        const whole = await enterpriseUser()
        const byPath = await enterpriseUser()
        await startReset(whole)
        await startReset(byPath)
        // A users:write credential that may not cancel resets: removing the flag cancels nothing.
        const removed = await patched(whole, [{ op: 'remove', path: ENTERPRISE }], editor)
        assert.deepEqual(removed[ENTERPRISE], { forcePasswordReset: true })
        assert.equal(removed[REKEY].accountLocked, true)
        assert.equal(removed[REKEY].lockedReason, 'reset-pending')
        assert.equal((await claimsOf(whole))[FORCED_RESET], 'true')
        const flagOnly = await patched(
          byPath,
          [{ op: 'remove', path: `${ENTERPRISE}:forcePasswordReset` }],
          editor,
        )
        assert.deepEqual(flagOnly[ENTERPRISE], {
          ...enterprise,
          manager: flagOnly[ENTERPRISE].manager,
          forcePasswordReset: true,
        })
        const rest = await patched(
          byPath,
          [...Object.keys(enterprise), 'manager'].map((name) => ({
            op: 'remove',
            path: `${ENTERPRISE}:${name}`,
          })),
          editor,
        )
        assert.deepEqual(comparable(removed), comparable(rest))
        // Removing the flag alone changed nothing, so it stored nothing.
        assert.equal(flagOnly.meta.version, 'W/"2"')
        assert.equal(removed.meta.version, 'W/"3"')
      })

      it("remove keeps a cancelled reset's false flag, as removing it by its path does", async () => {
        const whole = await enterpriseUser()
        const byPath = await enterpriseUser()
        for (const id of [whole, byPath]) {
          await startReset(id)
          await patched(id, [{ op: 'replace', path: `${ENTERPRISE}:forcePasswordReset`, value: false }])
        }
        const removed = await patched(whole, [{ op: 'remove', path: ENTERPRISE }], editor)
        assert.deepEqual(removed[ENTERPRISE], { forcePasswordReset: false })
        assert.equal(removed[REKEY].accountLocked, false)
        const oneByOne = await patched(
          byPath,
          [...Object.keys(enterprise), 'manager', 'forcePasswordReset'].map((name) => ({
            op: 'remove',
            path: `${ENTERPRISE}:${name}`,
          })),
          editor,
        )
        assert.deepEqual(comparable(removed), comparable(oneByOne))
      })

      it('add of forcePasswordReset through the URN starts a reset, and needs reset:force', async () => {
        const id = await createUser()
        const before = await getUser(id)
        const forbidden = await patchUser(
          id,
          [{ op: 'add', path: ENTERPRISE, value: { forcePasswordReset: true, department: 'X' } }],
          editor,
        )
        assert.equal(forbidden.status, 403, JSON.stringify(forbidden.body))
        assert.equal(forbidden.body.status, '403')
        assert.deepEqual(await getUser(id), before, 'nothing changed')
        const started = await patched(id, [
          { op: 'add', path: ENTERPRISE, value: { forcePasswordReset: true } },
        ])
        assert.equal(started[ENTERPRISE].forcePasswordReset, true)
        assert.equal(started[REKEY].lockedReason, 'reset-pending')
      })

      it("Rekey's extension: add and replace lock and unlock; remove leaves the lock, as removing accountLocked does", async () => {
        const id = await createUser()
        const locked = await patched(id, [
          { op: 'add', path: REKEY, value: { accountLocked: true, lockedReason: 'ignored' } },
        ])
        assert.equal(locked[REKEY].accountLocked, true)
        assert.equal(locked[REKEY].lockedReason, 'admin')
        const removed = await patched(id, [{ op: 'remove', path: REKEY }])
        assert.deepEqual(removed, locked, 'the lock stays and nothing is stored')
        const byPath = await patched(id, [{ op: 'remove', path: `${REKEY}:accountLocked` }])
        assert.deepEqual(byPath, locked)
        const unlocked = await patched(id, [{ op: 'replace', path: REKEY, value: { accountLocked: false } }])
        assert.equal(unlocked[REKEY].accountLocked, false)
        assert.equal(unlocked[REKEY].lockedReason, undefined)
      })

      it('refuses a value that is not an object of attributes, changing nothing', async () => {
        const id = await enterpriseUser()
        for (const op of ['add', 'replace'])
          for (const value of ['X', ['X'], true])
            await refusedForUser(
              id,
              [
                { op: 'replace', path: 'title', value: 'changed' },
                { op, path: ENTERPRISE, value },
              ],
              'invalidValue',
              /Operations\[1\]: .* names a schema: .* takes an object of its attributes/,
            )
      })

      it('refuses a remove of the whole extension that carries a value, changing nothing', async () => {
        const id = await enterpriseUser()
        await refusedForUser(
          id,
          [{ op: 'remove', path: ENTERPRISE, value: { department: 'Tour Operations' } }],
          'invalidValue',
          /remove of a whole extension takes no "value"/,
        )
      })

      it('refuses URNs that name no extension of the resource, changing nothing', async () => {
        const id = await enterpriseUser()
        const other = 'urn:example:params:scim:schemas:extension:other:2.0:User'
        for (const op of ['add', 'replace', 'remove']) {
          const value = op === 'remove' ? {} : { value: { department: 'X' } }
          await refusedForUser(id, [{ op, path: other, ...value }], 'invalidPath', /Unknown schema/)
          await refusedForUser(
            id,
            [{ op, path: CORE, ...value }],
            'invalidPath',
            /names a schema, not an attribute/,
          )
        }
        const group = await scim('POST', '/scim2/Groups', { schemas: [GROUP], displayName: 'urn-group' })
        assert.equal(group.status, 201, JSON.stringify(group.body))
        for (const op of ['add', 'replace', 'remove']) {
          const value = op === 'remove' ? {} : { value: { department: 'X' } }
          assertScimError(
            await patchGroup(group.body.id, [{ op, path: ENTERPRISE, ...value }]),
            400,
            'invalidPath',
            /Unknown schema/,
          )
        }
        assert.deepEqual(await getGroup(group.body.id), group.body)
      })
    })

    describe('group members without a value', () => {
      let memberId = ''
      let otherId = ''
      let groupId = ''

      before(async () => {
        memberId = await createUser()
        otherId = await createUser()
        const group = await scim('POST', '/scim2/Groups', {
          schemas: [GROUP],
          displayName: 'members-need-values',
          members: [{ value: memberId }],
        })
        assert.equal(group.status, 201, JSON.stringify(group.body))
        groupId = group.body.id
      })

      const valueless = [
        { display: 'user1' },
        { display: 'user1', type: 'User' },
        { type: 'User' },
        { value: null },
        {},
      ]
      for (const member of valueless) {
        it(`refuses ${JSON.stringify(member)} in add and replace, with and without a path, changing nothing`, async () => {
          const before = await getGroup(groupId)
          const users = [await getUser(memberId), await getUser(otherId)]
          for (const op of ['add', 'replace']) {
            for (const operation of [
              { op, path: 'members', value: [member] },
              { op, value: { members: [member] } },
              // A valid member beside it: the request is refused whole.
              { op, path: 'members', value: [{ value: otherId }, member] },
            ]) {
              const answer = await patchGroup(groupId, [operation])
              assert.equal(answer.status, 400, `${JSON.stringify(operation)}: ${JSON.stringify(answer.body)}`)
              assert.deepEqual(answer.body.schemas, [ERROR])
              assert.equal(answer.body.status, '400')
              assert.equal(answer.body.scimType, 'invalidValue')
              assert.match(answer.body.detail, /value/)
            }
          }
          assert.deepEqual(await getGroup(groupId), before, 'the group is as it was')
          assert.deepEqual([await getUser(memberId), await getUser(otherId)], users, 'and so are the users')
        })
      }

      it('answers as POST and PUT do for the same member', async () => {
        const members = [{ display: 'user1' }]
        const posted = await scim('POST', '/scim2/Groups', {
          schemas: [GROUP],
          displayName: 'posted',
          members,
        })
        assertScimError(posted, 400, 'invalidValue', /member needs a value/)
        const put = await scim('PUT', `/scim2/Groups/${groupId}`, {
          schemas: [GROUP],
          displayName: 'members-need-values',
          members,
        })
        assertScimError(put, 400, 'invalidValue', /member needs a value/)
        assertScimError(
          await patchGroup(groupId, [{ op: 'add', path: 'members', value: members }]),
          400,
          'invalidValue',
          /each element of members needs a value for at least one of value, \$ref, type \(display is read-only/,
        )
      })

      it('still adds a member given with its value, display and type', async () => {
        const answer = await patchGroup(groupId, [
          { op: 'add', path: 'members', value: [{ value: otherId, display: 'ignored', type: 'User' }] },
        ])
        assert.equal(answer.status, 200, JSON.stringify(answer.body))
        assert.deepEqual(
          answer.body.members.map((member: Resource) => member.value).sort(),
          [memberId, otherId].sort(),
        )
      })
    })
  })
}
