/**
 * RFC 7644 §3.14: a resource's version (ETag, `meta.version`) changes whenever its
 * representation does. A group shows its members (`members[].value`, `members[].display`, the
 * user's name) and a user its groups (`groups[].value`, `groups[].display`, the role's name),
 * so a change of one moves the other's version too, through whichever interface it is made:
 * SCIM or the admin API. Each case reads both sides, changes one, and asks with
 * `If-None-Match` for the other: a 304 there would hand a client the stale representation.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { type Answer, call, type ScimMethod, scimCall } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

// biome-ignore lint/suspicious/noExplicitAny: SCIM resources are JSON, asserted field by field
type Resource = Record<string, any>

for (const kind of storeKinds) {
  describe(`${kind.kind}: SCIM versions of related users and groups`, { skip: kind.skip }, () => {
    let h: Harness
    const clock = new ManualClock()
    let serial = 0

    const scim = (
      method: ScimMethod,
      url: string,
      payload?: unknown,
      headers: Record<string, string> = {},
    ): Promise<Answer> => scimCall(h.app, method, url, payload, { auth: h.adminAuth, headers })
    const admin = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
      call(h.app, { method, url, auth: h.adminAuth, ...(payload === undefined ? {} : { payload }) })
    const patch = (collection: 'Users' | 'Groups', id: string, operations: unknown[]) =>
      scim('PATCH', `/scim2/${collection}/${id}`, { schemas: [PATCH_OP], Operations: operations })

    const createUser = async (prefix: string): Promise<Resource> => {
      clock.advance(1000)
      const created = await scim('POST', '/scim2/Users', {
        schemas: [USER],
        userName: `${prefix}${++serial}`,
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      return created.body
    }
    const createGroup = async (prefix: string, members: Resource[]): Promise<Resource> => {
      clock.advance(1000)
      const created = await scim('POST', '/scim2/Groups', {
        schemas: [GROUP],
        displayName: `${prefix}${++serial}`,
        members: members.map((member) => ({ value: member.id })),
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      return created.body
    }
    const read = async (collection: 'Users' | 'Groups', id: string): Promise<Resource> => {
      const answer = await scim('GET', `/scim2/${collection}/${id}`)
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      assert.equal(answer.headers.etag, answer.body.meta.version)
      return answer.body
    }
    /**
     * The resource as a client holding `seen` gets it with If-None-Match: it must not be 304
     * (the representation changed); the fresh one is returned, with a new version and time.
     */
    const changedSince = async (collection: 'Users' | 'Groups', seen: Resource): Promise<Resource> => {
      const answer = await scim('GET', `/scim2/${collection}/${seen.id}`, undefined, {
        'if-none-match': seen.meta.version,
      })
      assert.equal(answer.status, 200, `${collection}/${seen.id} answered ${answer.status} to its old ETag`)
      assert.notEqual(answer.body.meta.version, seen.meta.version, 'a new version')
      assert.notEqual(answer.body.meta.lastModified, seen.meta.lastModified, 'a new lastModified')
      return answer.body
    }
    const unchangedSince = async (collection: 'Users' | 'Groups', seen: Resource): Promise<void> => {
      const answer = await scim('GET', `/scim2/${collection}/${seen.id}`, undefined, {
        'if-none-match': seen.meta.version,
      })
      assert.equal(answer.status, 304, `${collection}/${seen.id} is unchanged`)
    }
    const memberIds = (group: Resource) =>
      ((group.members ?? []) as Resource[]).map((member) => member.value as string).sort()
    const groupNames = (user: Resource) =>
      ((user.groups ?? []) as Resource[]).map((group) => group.display as string).sort()

    before(async () => {
      h = await openHarness(kind, { clock })
    })
    after(async () => h?.close())

    it("a member deleted through SCIM leaves the group's members: the group's version moves", async () => {
      const [ann, bob] = [await createUser('ann'), await createUser('bob')]
      const group = await createGroup('team', [ann, bob])
      const other = await createGroup('other', [bob])
      const seen = await read('Groups', group.id)
      const otherSeen = await read('Groups', other.id)
      clock.advance(1000)
      assert.equal((await scim('DELETE', `/scim2/Users/${ann.id}`)).status, 204)
      const now = await changedSince('Groups', seen)
      assert.deepEqual(memberIds(now), [bob.id])
      await unchangedSince('Groups', otherSeen)
    })

    it("a member deleted through the admin API leaves the group's members: the group's version moves", async () => {
      const [ann, bob] = [await createUser('ann'), await createUser('bob')]
      const group = await createGroup('team', [ann, bob])
      const seen = await read('Groups', group.id)
      clock.advance(1000)
      assert.equal((await admin('DELETE', `/api/admin/users/${bob.id}`)).status, 204)
      assert.deepEqual(memberIds(await changedSince('Groups', seen)), [ann.id])
    })

    it("a member renamed changes the group's members[].display: SCIM PATCH, PUT and the admin API", async () => {
      const [ann, bob] = [await createUser('ann'), await createUser('bob')]
      const group = await createGroup('team', [ann, bob])
      const other = await createGroup('other', [bob])
      let seen = await read('Groups', group.id)
      const otherSeen = await read('Groups', other.id)
      const displayOf = (resource: Resource) =>
        (resource.members as Resource[]).find((member) => member.value === ann.id)!.display

      clock.advance(1000)
      const patched = await patch('Users', ann.id, [
        { op: 'replace', path: 'userName', value: 'ann-patched' },
      ])
      assert.equal(patched.status, 200, JSON.stringify(patched.body))
      seen = await changedSince('Groups', seen)
      assert.equal(displayOf(seen), 'ann-patched')

      clock.advance(1000)
      const put = await scim('PUT', `/scim2/Users/${ann.id}`, { schemas: [USER], userName: 'ann-put' })
      assert.equal(put.status, 200, JSON.stringify(put.body))
      seen = await changedSince('Groups', seen)
      assert.equal(displayOf(seen), 'ann-put')

      clock.advance(1000)
      const renamed = await admin('PATCH', `/api/admin/users/${ann.id}`, { username: 'ann-admin' })
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body))
      seen = await changedSince('Groups', seen)
      assert.equal(displayOf(seen), 'ann-admin')

      // A change the group does not show leaves its version alone.
      clock.advance(1000)
      const titled = await patch('Users', ann.id, [{ op: 'replace', path: 'title', value: 'Engineer' }])
      assert.equal(titled.status, 200, JSON.stringify(titled.body))
      await unchangedSince('Groups', seen)
      await unchangedSince('Groups', otherSeen)
    })

    it("a group renamed changes its members' groups[].display: SCIM PATCH, PUT and the admin API", async () => {
      const [ann, bob, outsider] = [await createUser('ann'), await createUser('bob'), await createUser('cy')]
      const group = await createGroup('team', [ann, bob])
      let annSeen = await read('Users', ann.id)
      let bobSeen = await read('Users', bob.id)
      const outsiderSeen = await read('Users', outsider.id)

      clock.advance(1000)
      const patched = await patch('Groups', group.id, [
        { op: 'replace', path: 'displayName', value: 'Team Patched' },
      ])
      assert.equal(patched.status, 200, JSON.stringify(patched.body))
      annSeen = await changedSince('Users', annSeen)
      bobSeen = await changedSince('Users', bobSeen)
      assert.deepEqual(groupNames(annSeen), ['Team Patched'])

      clock.advance(1000)
      const put = await scim('PUT', `/scim2/Groups/${group.id}`, {
        schemas: [GROUP],
        displayName: 'Team Put',
        members: [{ value: ann.id }, { value: bob.id }],
      })
      assert.equal(put.status, 200, JSON.stringify(put.body))
      annSeen = await changedSince('Users', annSeen)
      bobSeen = await changedSince('Users', bobSeen)
      assert.deepEqual(groupNames(bobSeen), ['Team Put'])

      clock.advance(1000)
      const renamed = await admin('PATCH', `/api/admin/roles/${encodeURIComponent('Team Put')}`, {
        name: 'Team Admin',
      })
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body))
      annSeen = await changedSince('Users', annSeen)
      assert.deepEqual(groupNames(annSeen), ['Team Admin'])

      // An externalId is the group's alone: its members' representations stay as they were.
      bobSeen = await read('Users', bob.id)
      clock.advance(1000)
      const external = await patch('Groups', group.id, [{ op: 'replace', path: 'externalId', value: 'x-1' }])
      assert.equal(external.status, 200, JSON.stringify(external.body))
      await unchangedSince('Users', bobSeen)
      await unchangedSince('Users', outsiderSeen)
    })

    it("a group deleted leaves its members' groups: SCIM DELETE and the admin API", async () => {
      const [ann, bob] = [await createUser('ann'), await createUser('bob')]
      const viaScim = await createGroup('gone', [ann])
      const viaAdmin = await createGroup('gone', [bob])
      const annSeen = await read('Users', ann.id)
      const bobSeen = await read('Users', bob.id)
      clock.advance(1000)
      assert.equal((await scim('DELETE', `/scim2/Groups/${viaScim.id}`)).status, 204)
      assert.equal(groupNames(await changedSince('Users', annSeen)).length, 0)
      await unchangedSince('Users', bobSeen)
      clock.advance(1000)
      const deleted = await admin('DELETE', `/api/admin/roles/${encodeURIComponent(viaAdmin.displayName)}`)
      assert.equal(deleted.status, 204, JSON.stringify(deleted.body))
      assert.equal(groupNames(await changedSince('Users', bobSeen)).length, 0)
    })

    it('membership changed through the admin API moves both the role and the user', async () => {
      const ann = await createUser('ann')
      const group = await createGroup('staff', [])
      let groupSeen = await read('Groups', group.id)
      let annSeen = await read('Users', ann.id)
      const role = encodeURIComponent(group.displayName)

      clock.advance(1000)
      const added = await admin('POST', `/api/admin/roles/${role}/members`, { users: [ann.id] })
      assert.equal(added.status, 200, JSON.stringify(added.body))
      groupSeen = await changedSince('Groups', groupSeen)
      annSeen = await changedSince('Users', annSeen)
      assert.deepEqual(memberIds(groupSeen), [ann.id])
      assert.deepEqual(groupNames(annSeen), [group.displayName])

      clock.advance(1000)
      const removed = await admin('DELETE', `/api/admin/roles/${role}/members/${ann.id}`)
      assert.equal(removed.status, 204, JSON.stringify(removed.body))
      assert.deepEqual(memberIds(await changedSince('Groups', groupSeen)), [])
      assert.deepEqual(groupNames(await changedSince('Users', annSeen)), [])
    })

    it('membership changed through SCIM moves both the group and the user', async () => {
      const [ann, bob] = [await createUser('ann'), await createUser('bob')]
      const group = await createGroup('staff', [ann])
      let groupSeen = await read('Groups', group.id)
      let annSeen = await read('Users', ann.id)
      let bobSeen = await read('Users', bob.id)

      clock.advance(1000)
      const added = await patch('Groups', group.id, [
        { op: 'add', path: 'members', value: [{ value: bob.id }] },
      ])
      assert.equal(added.status, 200, JSON.stringify(added.body))
      groupSeen = await changedSince('Groups', groupSeen)
      bobSeen = await changedSince('Users', bobSeen)
      await unchangedSince('Users', annSeen)

      clock.advance(1000)
      const removed = await patch('Groups', group.id, [
        { op: 'remove', path: `members[value eq "${ann.id}"]` },
      ])
      assert.equal(removed.status, 200, JSON.stringify(removed.body))
      assert.deepEqual(memberIds(await changedSince('Groups', groupSeen)), [bob.id])
      annSeen = await changedSince('Users', annSeen)
      assert.deepEqual(groupNames(annSeen), [])
      await unchangedSince('Users', bobSeen)
    })

    it('user deletes and renames beside group renames and membership changes neither fail nor deadlock', async () => {
      for (let round = 0; round < 4; round++) {
        const users: Resource[] = []
        for (let index = 0; index < 7; index++) users.push(await createUser(`race${round}-`))
        const [gone1, gone2, renamedScim, renamedAdmin, leaving, joining, staying] = users as [
          Resource,
          Resource,
          Resource,
          Resource,
          Resource,
          Resource,
          Resource,
        ]
        const everyoneBut = users.filter((user) => user !== joining)
        const first = await createGroup(`first${round}-`, everyoneBut)
        const second = await createGroup(`second${round}-`, everyoneBut)
        const answers = await Promise.all([
          scim('DELETE', `/scim2/Users/${gone1.id}`),
          admin('DELETE', `/api/admin/users/${gone2.id}`),
          patch('Users', renamedScim.id, [
            { op: 'replace', path: 'userName', value: `${renamedScim.userName}x` },
          ]),
          admin('PATCH', `/api/admin/users/${renamedAdmin.id}`, { username: `${renamedAdmin.userName}x` }),
          patch('Groups', first.id, [
            { op: 'replace', path: 'displayName', value: `${first.displayName}x` },
            { op: 'remove', path: `members[value eq "${leaving.id}"]` },
          ]),
          admin('PATCH', `/api/admin/roles/${encodeURIComponent(second.displayName)}`, {
            name: `${second.displayName}x`,
          }),
          patch('Groups', second.id, [{ op: 'add', path: 'members', value: [{ value: joining.id }] }]),
        ])
        for (const answer of answers)
          assert.ok([200, 204].includes(answer.status), `${answer.status}: ${JSON.stringify(answer.body)}`)
        const firstNow = await read('Groups', first.id)
        const secondNow = await read('Groups', second.id)
        const left = (...gone: Resource[]) =>
          users
            .filter((user) => !gone.includes(user))
            .map((user) => user.id)
            .sort()
        assert.deepEqual(memberIds(firstNow), left(gone1, gone2, leaving, joining))
        assert.deepEqual(memberIds(secondNow), left(gone1, gone2))
        assert.deepEqual(groupNames(await read('Users', staying.id)), [
          `${first.displayName}x`,
          `${second.displayName}x`,
        ])
      }
    })
  })
}
