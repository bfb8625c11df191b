import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { publicUrl } from '../../src/config/semantics.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { type Answer, bearer, call } from '../support/http.ts'
import { snapshotStore } from '../support/store-snapshot.ts'
import { storeKinds } from '../support/stores.ts'

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

interface OperationResult {
  method: string
  bulkId?: string
  location?: string
  version?: string
  status: string
  response?: { schemas: string[]; status: string; scimType?: string; detail: string }
}

function assertScimError(answer: Answer, status: number, scimType?: string): void {
  assert.equal(
    answer.status,
    status,
    `expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`,
  )
  assert.match(String(answer.headers['content-type']), /^application\/scim\+json/)
  assert.deepEqual(answer.body.schemas, [ERROR])
  assert.equal(answer.body.status, String(status))
  assert.equal(answer.body.scimType, scimType)
  assert.equal(typeof answer.body.detail, 'string')
}

/** An operation's result that is an error: the status, as a string, and a SCIM error inside. */
function assertFailed(result: OperationResult, status: number, scimType?: string): void {
  assert.equal(result.status, String(status), JSON.stringify(result))
  assert.deepEqual(result.response?.schemas, [ERROR])
  assert.equal(result.response?.status, String(status))
  assert.equal(result.response?.scimType, scimType)
  assert.equal(typeof result.response?.detail, 'string')
  assert.equal(result.version, undefined)
}

const user = (userName: string, extra: object = {}) => ({ schemas: [USER], userName, ...extra })
const group = (displayName: string, members: string[] = []) => ({
  schemas: [GROUP],
  displayName,
  members: members.map((value) => ({ type: 'User', value })),
})
const patchOp = (...operations: object[]) => ({ schemas: [PATCH_OP], Operations: operations })

for (const kind of storeKinds) {
  describe(`${kind.kind}: SCIM Bulk`, { skip: kind.skip }, () => {
    let h: Harness
    let root = ''
    let base = ''
    const groups: Record<string, string> = {}
    const users: Record<string, string> = {}

    const post = (body: unknown, auth?: string): Promise<Answer> =>
      call(h.app, {
        method: 'POST',
        url: '/scim2/Bulk',
        auth: auth ?? h.adminAuth,
        headers: { 'content-type': 'application/scim+json' },
        payload: JSON.stringify(body),
      })
    const bulk = async (operations: object[], extra: object = {}): Promise<OperationResult[]> => {
      const answer = await post({ schemas: [BULK_REQUEST], ...extra, Operations: operations })
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      assert.match(String(answer.headers['content-type']), /^application\/scim\+json/)
      assert.deepEqual(Object.keys(answer.body).sort(), ['Operations', 'schemas'])
      assert.deepEqual(answer.body.schemas, [BULK_RESPONSE])
      return answer.body.Operations
    }
    /** GET a location a bulk response gave, through the same HTTP stack. */
    const fetch = (location: string) => {
      assert.ok(location.startsWith(root), location)
      return call(h.app, { method: 'GET', url: location.slice(root.length), auth: h.adminAuth })
    }
    const idOf = (location: string | undefined) => {
      const match = new RegExp(`/(${UUID})$`).exec(location ?? '')
      assert.ok(match, `not a resource location: ${location}`)
      return match[1]!
    }
    const findUser = async (userName: string) => {
      const answer = await call(h.app, {
        method: 'GET',
        url: `/scim2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`,
        auth: h.adminAuth,
      })
      assert.equal(answer.status, 200)
      return answer.body.Resources[0] as { id: string; meta: { version: string } } | undefined
    }
    const findGroup = async (displayName: string) => {
      const answer = await call(h.app, {
        method: 'GET',
        url: `/scim2/Groups?filter=${encodeURIComponent(`displayName eq "${displayName}"`)}`,
        auth: h.adminAuth,
      })
      assert.equal(answer.status, 200)
      return answer.body.Resources[0] as
        | { id: string; meta: { version: string }; members?: Array<{ value: string }> }
        | undefined
    }
    const memberIds = (resource: { members?: Array<{ value: string }> } | undefined) =>
      (resource?.members ?? []).map((member) => member.value).sort()

    before(async () => {
      h = await openHarness(kind)
      root = publicUrl(h.config)
      base = `${root}/scim2`
    })
    after(async () => h?.close())

    it('creates users and a group that refers to them by bulkId, even when it comes first', async () => {
      const results = await bulk([
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'ytrewq',
          data: group('Tour Guides', ['bulkId:qwerty', 'bulkId:asdfgh']),
        },
        { method: 'POST', path: '/Users', bulkId: 'qwerty', data: user('Alice') },
        { method: 'POST', path: '/Users', bulkId: 'asdfgh', data: user('Bob', { displayName: 'Bob B' }) },
      ])
      assert.deepEqual(
        results.map((result) => [result.method, result.bulkId, result.status]),
        [
          ['POST', 'ytrewq', '201'],
          ['POST', 'qwerty', '201'],
          ['POST', 'asdfgh', '201'],
        ],
        'in the order sent, whatever order they ran in',
      )
      assert.match(results[0]!.location!, new RegExp(`^${base}/Groups/${UUID}$`))
      assert.match(results[1]!.location!, new RegExp(`^${base}/Users/${UUID}$`))
      assert.match(results[2]!.location!, new RegExp(`^${base}/Users/${UUID}$`))
      for (const result of results) {
        assert.match(result.version!, /^W\/"\d+"$/)
        assert.equal(result.response, undefined)
        const shown = await fetch(result.location!)
        assert.equal(shown.status, 200)
        assert.equal(shown.body.meta.location, result.location)
        // The group, created last, made the users members: that moved their versions on.
        const version = (tag: string) => Number(/\d+/.exec(tag)![0])
        if (result.location!.includes('/Groups/')) assert.equal(shown.body.meta.version, result.version)
        else assert.equal(version(shown.body.meta.version), version(result.version!) + 1)
      }
      groups.guides = idOf(results[0]!.location)
      users.alice = idOf(results[1]!.location)
      users.bob = idOf(results[2]!.location)
      const guides = (await fetch(results[0]!.location!)).body
      assert.equal(guides.displayName, 'Tour Guides')
      assert.deepEqual(
        guides.members.map((member: { value: string; display: string }) => [member.display, member.value]),
        [
          ['Alice', users.alice],
          ['Bob', users.bob],
        ],
      )
      const alice = (await fetch(results[1]!.location!)).body
      assert.equal(alice.userName, 'Alice')
      assert.deepEqual(
        alice.groups.map((entry: { value: string }) => entry.value),
        [groups.guides],
      )
    })

    it('runs PATCH, PUT and DELETE addressed by path, including bulkId paths', async () => {
      const bob = (await fetch(`${base}/Users/${users.bob}`)).body
      const results = await bulk([
        { method: 'POST', path: '/Users', bulkId: 'carl', data: user('carl') },
        {
          method: 'PATCH',
          path: `/Groups/${groups.guides}`,
          data: patchOp({ op: 'add', path: 'members', value: [{ value: 'bulkId:carl' }] }),
        },
        {
          method: 'PATCH',
          path: '/Users/bulkId:carl',
          data: patchOp({ op: 'replace', path: 'displayName', value: 'Carl C' }),
        },
        {
          method: 'PUT',
          path: `/Users/${users.bob}`,
          version: bob.meta.version,
          data: user('Bob', { displayName: 'Robert' }),
        },
        { method: 'DELETE', path: `/Users/${users.alice}` },
      ])
      assert.deepEqual(
        results.map((result) => [result.method, result.status]),
        [
          ['POST', '201'],
          ['PATCH', '200'],
          ['PATCH', '200'],
          ['PUT', '200'],
          ['DELETE', '204'],
        ],
        JSON.stringify(results),
      )
      users.carl = idOf(results[0]!.location)
      assert.equal(results[1]!.location, `${base}/Groups/${groups.guides}`)
      assert.equal(results[2]!.location, `${base}/Users/${users.carl}`)
      assert.equal(results[3]!.location, `${base}/Users/${users.bob}`)
      assert.equal(
        results[4]!.location,
        `${base}/Users/${users.alice}`,
        'a DELETE result has its location too',
      )
      assert.equal(results[4]!.version, undefined)
      for (const result of results.slice(2, 4)) {
        const shown = await fetch(result.location!)
        assert.equal(shown.body.meta.version, result.version)
      }
      // In request order, the DELETE of alice, a member, came after the group's PATCH and moved
      // the group's version on once more (RFC 7644 §3.14).
      const version = (tag: string) => Number(/\d+/.exec(tag)![0])
      const shownGuides = await fetch(results[1]!.location!)
      assert.equal(version(shownGuides.body.meta.version), version(results[1]!.version!) + 1)
      assert.equal((await fetch(`${base}/Users/${users.carl}`)).body.displayName, 'Carl C')
      assert.equal((await fetch(`${base}/Users/${users.bob}`)).body.displayName, 'Robert')
      assert.equal((await fetch(`${base}/Users/${users.alice}`)).status, 404)
      const guides = (await fetch(`${base}/Groups/${groups.guides}`)).body
      assert.deepEqual(memberIds(guides), [users.bob, users.carl].sort())
    })

    it('fails only the operation whose version does not match (412)', async () => {
      const guides = await findGroup('Tour Guides')
      const carl = await findUser('carl')
      const results = await bulk([
        {
          method: 'PATCH',
          path: `/Groups/${groups.guides}`,
          version: 'W/"999"',
          data: patchOp({ op: 'remove', path: 'members' }),
        },
        { method: 'POST', path: '/Users', bulkId: 'dora', data: user('dora') },
        {
          method: 'PATCH',
          path: `/Users/${users.carl}`,
          version: carl!.meta.version,
          data: patchOp({ op: 'replace', path: 'displayName', value: 'Carl Carlsson' }),
        },
        { method: 'DELETE', path: `/Users/${users.bob}`, version: 'W/"999"' },
      ])
      assertFailed(results[0]!, 412)
      assert.equal(results[0]!.location, `${base}/Groups/${groups.guides}`)
      assert.equal(results[1]!.status, '201')
      assert.equal(results[2]!.status, '200')
      assert.notEqual(results[2]!.version, carl!.meta.version)
      assertFailed(results[3]!, 412)
      assert.deepEqual(await findGroup('Tour Guides'), guides, 'the group is as it was')
      assert.ok(await findUser('Bob'), 'bob is still there')
      assert.ok(await findUser('dora'))
    })

    it('stops after failOnErrors errors and reports only what ran', async () => {
      const results = await bulk(
        [
          { method: 'POST', path: '/Users', bulkId: 'erik', data: user('erik') },
          { method: 'POST', path: '/Users', bulkId: 'dup', data: user('BOB') },
          { method: 'POST', path: '/Users', bulkId: 'fay', data: user('fay') },
          { method: 'DELETE', path: `/Users/${users.bob}` },
        ],
        { failOnErrors: 1 },
      )
      assert.equal(results.length, 2, JSON.stringify(results))
      assert.deepEqual(
        results.map((result) => result.bulkId),
        ['erik', 'dup'],
      )
      assert.equal(results[0]!.status, '201')
      assertFailed(results[1]!, 409, 'uniqueness')
      assert.equal(results[1]!.location, undefined, 'a failed POST has no location')
      assert.ok(await findUser('erik'))
      assert.equal(await findUser('fay'), undefined, 'operations after the stop did not run')
      assert.ok(await findUser('Bob'))

      // Without failOnErrors every operation runs and is reported.
      const all = await bulk([
        { method: 'POST', path: '/Users', bulkId: 'dup', data: user('erik') },
        { method: 'POST', path: '/Users', bulkId: 'gus', data: user('gus') },
        { method: 'DELETE', path: `/Users/${randomUUID()}` },
        { method: 'POST', path: '/Users', bulkId: 'hal', data: user('hal') },
      ])
      assert.deepEqual(
        all.map((result) => result.status),
        ['409', '201', '404', '201'],
      )
      assert.ok((await findUser('gus')) && (await findUser('hal')))
      // failOnErrors counts errors: with 2, the second error stops the run.
      const two = await bulk(
        [
          { method: 'DELETE', path: `/Users/${randomUUID()}` },
          { method: 'POST', path: '/Users', bulkId: 'ida', data: user('ida') },
          { method: 'POST', path: '/Users', bulkId: 'dup', data: user('ida') },
          { method: 'POST', path: '/Users', bulkId: 'jo', data: user('jo') },
        ],
        { failOnErrors: 2 },
      )
      assert.deepEqual(
        two.map((result) => result.status),
        ['404', '201', '409'],
      )
      assert.equal(await findUser('jo'), undefined)
    })

    it('answers 400 for a bulkId never created and 409 for a cycle it cannot resolve', async () => {
      const results = await bulk([
        { method: 'POST', path: '/Groups', bulkId: 'lost', data: group('Lost', ['bulkId:nobody']) },
        { method: 'POST', path: '/Users', bulkId: 'kim', data: user('kim') },
        {
          method: 'PATCH',
          path: '/Users/bulkId:ghost',
          data: patchOp({ op: 'replace', path: 'displayName', value: 'x' }),
        },
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'ga',
          data: group('Cycle A', ['bulkId:gb', 'bulkId:kim']),
        },
        { method: 'POST', path: '/Groups', bulkId: 'gb', data: group('Cycle B', ['bulkId:ga']) },
        {
          method: 'PATCH',
          path: '/Groups/bulkId:ga',
          data: patchOp({ op: 'add', path: 'members', value: [{ value: 'bulkId:kim' }] }),
        },
        { method: 'POST', path: '/Groups', bulkId: 'fine', data: group('Fine', ['bulkId:kim']) },
        // A bulkId a PATCH carries names nothing it creates.
        {
          method: 'PATCH',
          path: '/Users/bulkId:kim',
          bulkId: 'notapost',
          data: patchOp({ op: 'replace', path: 'displayName', value: 'Kim' }),
        },
        { method: 'DELETE', path: '/Users/bulkId:notapost' },
      ])
      assert.deepEqual(
        results.map((result) => [result.bulkId, result.status]),
        [
          ['lost', '400'],
          ['kim', '201'],
          [undefined, '400'],
          ['ga', '409'],
          ['gb', '409'],
          [undefined, '400'],
          ['fine', '201'],
          ['notapost', '200'],
          [undefined, '400'],
        ],
      )
      for (const index of [0, 2, 5, 8]) assertFailed(results[index]!, 400, 'invalidValue')
      assert.match(results[0]!.response!.detail, /No operation of this request creates bulkId nobody/)
      assert.match(results[8]!.response!.detail, /No operation of this request creates bulkId notapost/)
      for (const index of [3, 4]) {
        // RFC 7644 §3.7.1: a circular reference the service provider cannot resolve is 409.
        assertFailed(results[index]!, 409)
        assert.match(results[index]!.response!.detail, /ga → gb → ga/)
        assert.match(results[index]!.response!.detail, /PATCH in a later operation/)
      }
      assert.match(results[5]!.response!.detail, /bulkId ga was not created: Operations\[3\] failed/)
      for (const name of ['Lost', 'Cycle A', 'Cycle B']) assert.equal(await findGroup(name), undefined)
      const kim = idOf(results[1]!.location)
      assert.deepEqual(memberIds(await findGroup('Fine')), [kim])
    })

    it('runs operations in request order', async () => {
      // Run in order, the DELETE frees the userName the third operation takes.
      const results = await bulk([
        { method: 'POST', path: '/Users', bulkId: 'a', data: user('ord1') },
        { method: 'DELETE', path: '/Users/bulkId:a' },
        { method: 'POST', path: '/Users', bulkId: 'b', data: user('ord1') },
      ])
      assert.deepEqual(
        results.map((result) => result.status),
        ['201', '204', '201'],
        JSON.stringify(results),
      )
      assert.equal(results[1]!.location, results[0]!.location)
      assert.equal((await fetch(results[0]!.location!)).status, 404)
      assert.equal((await findUser('ord1'))?.id, idOf(results[2]!.location))
    })

    it('pulls a POST forward to just before the operation that refers to it, not earlier', async () => {
      const results = await bulk([
        { method: 'POST', path: '/Users', bulkId: 'x', data: user('fwd1') },
        { method: 'DELETE', path: '/Users/bulkId:x' },
        {
          method: 'PATCH',
          path: '/Users/bulkId:y',
          data: patchOp({ op: 'replace', path: 'displayName', value: 'Forward Y' }),
        },
        // Takes the userName the DELETE freed: it must run after the DELETE, before the PATCH.
        { method: 'POST', path: '/Users', bulkId: 'y', data: user('fwd1') },
        {
          method: 'PATCH',
          path: '/Groups/bulkId:fg',
          data: patchOp({ op: 'add', path: 'members', value: [{ value: 'bulkId:z' }] }),
        },
        { method: 'POST', path: '/Groups', bulkId: 'fg', data: group('Forward Group', ['bulkId:y']) },
        { method: 'POST', path: '/Users', bulkId: 'z', data: user('fwd2') },
      ])
      assert.deepEqual(
        results.map((result) => result.status),
        ['201', '204', '200', '201', '200', '201', '201'],
        JSON.stringify(results),
      )
      const y = idOf(results[3]!.location)
      assert.equal(results[2]!.location, `${base}/Users/${y}`)
      const shownY = await fetch(results[2]!.location!)
      assert.equal(shownY.body.userName, 'fwd1')
      assert.equal(shownY.body.displayName, 'Forward Y')
      const z = idOf(results[6]!.location)
      assert.deepEqual(memberIds(await findGroup('Forward Group')), [y, z].sort())
      assert.equal(results[4]!.location, results[5]!.location)
      assert.equal((await fetch(results[4]!.location!)).body.meta.version, results[4]!.version)
    })

    it('counts failOnErrors in the order operations ran and runs nothing after the stop', async () => {
      const results = await bulk(
        [
          { method: 'POST', path: '/Users', bulkId: 'qwerty', data: user('stop-alice') },
          {
            method: 'POST',
            path: '/Groups',
            bulkId: 'stopgroup',
            data: group('Stop Group', ['bulkId:qwerty']),
          },
          {
            method: 'PATCH',
            path: '/Users/bulkId:qwerty',
            data: patchOp({ op: 'replace', path: 'displayName', value: 'Alice S' }),
          },
          { method: 'POST', path: '/Users', bulkId: 'dup', data: user('stop-alice') },
          { method: 'DELETE', path: '/Users/bulkId:qwerty' },
          { method: 'POST', path: '/Users', bulkId: 'late', data: user('stop-late') },
        ],
        { failOnErrors: 1 },
      )
      assert.deepEqual(
        results.map((result) => [result.method, result.bulkId, result.status]),
        [
          ['POST', 'qwerty', '201'],
          ['POST', 'stopgroup', '201'],
          ['PATCH', undefined, '200'],
          ['POST', 'dup', '409'],
        ],
        JSON.stringify(results),
      )
      assertFailed(results[3]!, 409, 'uniqueness')
      const alice = await fetch(results[0]!.location!)
      assert.equal(alice.status, 200, 'the DELETE after the stop did not run')
      assert.equal(alice.body.displayName, 'Alice S')
      assert.equal(alice.body.meta.version, results[2]!.version, 'nothing changed alice after the PATCH')
      const stopGroup = await fetch(results[1]!.location!)
      assert.deepEqual(memberIds(stopGroup.body), [idOf(results[0]!.location)])
      assert.equal(stopGroup.body.meta.version, results[1]!.version)
      assert.equal(await findUser('stop-late'), undefined)

      // A POST pulled forward runs, and counts, before the operation that refers to it.
      const before = await snapshotStore(h.container.store.db)
      const pulled = await bulk(
        [
          {
            method: 'PATCH',
            path: '/Users/bulkId:again',
            data: patchOp({ op: 'replace', path: 'displayName', value: 'never' }),
          },
          { method: 'POST', path: '/Users', bulkId: 'again', data: user('stop-alice') },
          { method: 'POST', path: '/Users', bulkId: 'after', data: user('stop-after') },
        ],
        { failOnErrors: 1 },
      )
      assert.equal(pulled.length, 1, JSON.stringify(pulled))
      assert.equal(pulled[0]!.bulkId, 'again')
      assertFailed(pulled[0]!, 409, 'uniqueness')
      assert.deepEqual(await snapshotStore(h.container.store.db), before, 'nothing ran after the stop')
    })

    it("resolves users that are each other's manager (RFC 7644 §3.7.1)", async () => {
      const results = await bulk([
        {
          method: 'POST',
          path: '/Users',
          bulkId: 'c1',
          data: user('cyc1', { [ENTERPRISE]: { department: 'R&D', manager: { value: 'bulkId:c2' } } }),
        },
        // The manager as a bare id under its fully qualified name, as some clients send it.
        {
          method: 'POST',
          path: '/Users',
          bulkId: 'c2',
          data: user('cyc2', { [`${ENTERPRISE}:manager`]: 'bulkId:c1' }),
        },
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'cg',
          data: group('Cycle Team', ['bulkId:c1', 'bulkId:c3']),
        },
        // Three in a ring, and one her own manager.
        { method: 'POST', path: '/Users', bulkId: 'c3', data: user('cyc3', { manager: 'bulkId:c4' }) },
        { method: 'POST', path: '/Users', bulkId: 'c4', data: user('cyc4', { manager: 'bulkId:c5' }) },
        { method: 'POST', path: '/Users', bulkId: 'c5', data: user('cyc5', { manager: 'bulkId:c3' }) },
        { method: 'POST', path: '/Users', bulkId: 'c6', data: user('cyc6', { manager: 'bulkId:c6' }) },
      ])
      assert.deepEqual(
        results.map((result) => result.status),
        ['201', '201', '201', '201', '201', '201', '201'],
        JSON.stringify(results),
      )
      const ids = results.map((result) => idOf(result.location))
      const version = (tag: string) => Number(/\d+/.exec(tag)![0])
      const managerOf = async (index: number) => {
        const shown = await fetch(results[index]!.location!)
        // The result has the version after the manager was set; the group made two of them
        // members afterwards, which moved theirs on once more.
        const later = index === 0 || index === 3 ? 1 : 0
        assert.equal(version(shown.body.meta.version), version(results[index]!.version!) + later)
        return shown.body[ENTERPRISE]?.manager?.value
      }
      assert.equal(await managerOf(0), ids[1])
      assert.equal(await managerOf(1), ids[0])
      assert.equal((await fetch(results[0]!.location!)).body[ENTERPRISE].department, 'R&D')
      assert.equal(await managerOf(3), ids[4])
      assert.equal(await managerOf(4), ids[5])
      assert.equal(await managerOf(5), ids[3])
      assert.equal(await managerOf(6), ids[6])
      assert.deepEqual(memberIds(await findGroup('Cycle Team')), [ids[0], ids[3]].sort())
    })

    it('reports a user of a broken manager cycle as 409 when its manager was not created', async () => {
      const results = await bulk([
        { method: 'POST', path: '/Users', bulkId: 'taken', data: user('mcyc-taken') },
        { method: 'POST', path: '/Users', bulkId: 'm1', data: user('mcyc-taken', { manager: 'bulkId:m2' }) },
        { method: 'POST', path: '/Users', bulkId: 'm2', data: user('mcyc2', { manager: 'bulkId:m1' }) },
      ])
      assert.equal(results[0]!.status, '201')
      // m2, pulled forward for m1, was created first, without its manager; m1's userName is taken.
      assertFailed(results[1]!, 409, 'uniqueness')
      assert.equal(results[1]!.location, undefined)
      assertFailed(results[2]!, 409)
      assert.match(results[2]!.response!.detail, /created without its manager: bulkId m1/)
      assert.match(results[2]!.response!.detail, /Operations\[1\] failed/)
      const m2 = await findUser('mcyc2')
      assert.ok(m2, 'the user exists: its location says where')
      assert.equal(results[2]!.location, `${base}/Users/${m2.id}`)
      assert.equal((await fetch(results[2]!.location!)).body[ENTERPRISE], undefined)
    })

    it('reports a user created without its manager as 409 when failOnErrors stops the run first', async () => {
      const results = await bulk(
        [
          {
            method: 'POST',
            path: '/Users',
            bulkId: 'stopA',
            data: user('scyc-a', { manager: 'bulkId:stopB' }),
          },
          // A user name that exists already: its POST fails and the run stops there.
          { method: 'POST', path: '/Users', bulkId: 'stopB', data: user('bob', { manager: 'bulkId:stopC' }) },
          {
            method: 'POST',
            path: '/Users',
            bulkId: 'stopC',
            data: user('scyc-c', { manager: 'bulkId:stopA' }),
          },
        ],
        { failOnErrors: 1 },
      )
      const byId = new Map(results.map((result) => [result.bulkId, result]))
      assertFailed(byId.get('stopB')!, 409, 'uniqueness')
      assert.equal(byId.get('stopA'), undefined, 'A did not run after the stop')
      const c = byId.get('stopC')!
      assertFailed(c, 409)
      assert.match(c.response!.detail, /created without its manager/)
      const created = await findUser('scyc-c')
      assert.ok(created, 'C exists, without a manager')
      assert.equal(c.location, `${base}/Users/${created.id}`)
      assert.equal((await fetch(c.location!)).body[ENTERPRISE], undefined)
      assert.equal(await findUser('scyc-a'), undefined)
    })

    it('reports a bad path or a refused write per operation', async () => {
      const results = await bulk([
        { method: 'POST', path: '/Widgets', bulkId: 'w', data: {} },
        { method: 'POST', path: `/Users/${users.bob}`, bulkId: 'u', data: user('x') },
        { method: 'DELETE', path: '/Users' },
        { method: 'DELETE', path: '/Users/%zz' },
        { method: 'POST', path: '/Users', bulkId: 'nameless', data: { schemas: [USER] } },
        { method: 'POST', path: '/Groups', bulkId: 'gg', data: group('Guests', [randomUUID()]) },
        { method: 'POST', path: '/Users', bulkId: 'lee', data: user('lee') },
      ])
      for (const index of [0, 1, 2, 3]) assertFailed(results[index]!, 400, 'invalidPath')
      assert.equal(results[4]!.status, '400', JSON.stringify(results[4]))
      assertFailed(results[5]!, 400, 'invalidValue')
      assert.equal(results[6]!.status, '201')
      assert.equal(await findGroup('Guests'), undefined)
    })

    it('refuses malformed bulk requests as a whole (400 invalidSyntax) and changes nothing', async () => {
      const before = await snapshotStore(h.container.store.db)
      const operation = { method: 'POST', path: '/Users', bulkId: 'm', data: user('malformed') }
      for (const body of [
        { Operations: [operation] },
        { schemas: [USER], Operations: [operation] },
        { schemas: [BULK_REQUEST] },
        { schemas: [BULK_REQUEST], Operations: [] },
        { schemas: [BULK_REQUEST], Operations: [operation, 'POST /Users'] },
        {
          schemas: [BULK_REQUEST],
          Operations: [operation, { path: '/Users', bulkId: 'n', data: user('n') }],
        },
        { schemas: [BULK_REQUEST], Operations: [operation, { method: 'GET', path: '/Users' }] },
        {
          schemas: [BULK_REQUEST],
          Operations: [operation, { method: 'POST', bulkId: 'n', data: user('n') }],
        },
        {
          schemas: [BULK_REQUEST],
          Operations: [operation, { method: 'POST', path: '/Users', data: user('n') }],
        },
        { schemas: [BULK_REQUEST], Operations: [operation, { method: 'DELETE', path: 'Users/x' }] },
        { schemas: [BULK_REQUEST], Operations: [operation, { ...operation, data: user('other') }] },
        [operation],
      ])
        assertScimError(await post(body), 400, 'invalidSyntax')
      assertScimError(
        await post({ schemas: [BULK_REQUEST], failOnErrors: 0, Operations: [operation] }),
        400,
        'invalidValue',
      )
      const broken = await call(h.app, {
        method: 'POST',
        url: '/scim2/Bulk',
        auth: h.adminAuth,
        headers: { 'content-type': 'application/scim+json' },
        payload: '{"schemas": [',
      })
      assertScimError(broken, 400, 'invalidSyntax')
      assert.deepEqual(await snapshotStore(h.container.store.db), before)
    })

    it('needs users:write (403) and credentials (401)', async () => {
      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: h.adminAuth,
        payload: { name: 'reader', scopes: ['users:read'] },
      })
      assert.equal(token.status, 201)
      const body = {
        schemas: [BULK_REQUEST],
        Operations: [{ method: 'POST', path: '/Users', bulkId: 'r', data: user('readonly') }],
      }
      assertScimError(await post(body, bearer(token.body.token)), 403)
      const anonymous = await call(h.app, { method: 'POST', url: '/scim2/Bulk', payload: body })
      assertScimError(anonymous, 401)
      assert.equal(await findUser('readonly'), undefined)

      const writer = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: h.adminAuth,
        payload: { name: 'writer', scopes: ['users:read', 'users:write'] },
      })
      const admins = await findGroup('admin')
      const answer = await post(
        {
          schemas: [BULK_REQUEST],
          Operations: [
            {
              method: 'PATCH',
              path: `/Groups/${admins!.id}`,
              data: patchOp({ op: 'add', path: 'members', value: [{ value: users.bob }] }),
            },
          ],
        },
        bearer(writer.body.token),
      )
      assert.equal(answer.status, 200)
      assertFailed(answer.body.Operations[0], 403)
      assert.deepEqual(memberIds(await findGroup('admin')), memberIds(admins), 'no escalation through Bulk')
    })
  })

  describe(`${kind.kind}: SCIM Bulk limits`, { skip: kind.skip }, () => {
    let h: Harness
    const post = (payload: string): Promise<Answer> =>
      call(h.app, {
        method: 'POST',
        url: '/scim2/Bulk',
        auth: h.adminAuth,
        headers: { 'content-type': 'application/scim+json' },
        payload,
      })
    const operations = (count: number, prefix: string) =>
      Array.from({ length: count }, (_, index) => ({
        method: 'POST',
        path: '/Users',
        bulkId: `${prefix}${index}`,
        data: user(`${prefix}${index}`),
      }))
    const userCount = async () =>
      (await call(h.app, { method: 'GET', url: '/scim2/Users?count=0', auth: h.adminAuth })).body.totalResults

    before(async () => {
      h = await openHarness(kind, {
        env: { REKEY_SCIM_BULK_MAX_OPERATIONS: '3', REKEY_SCIM_BULK_MAX_PAYLOAD_BYTES: '2048' },
      })
    })
    after(async () => h?.close())

    it('advertises the configured limits', async () => {
      assert.equal(h.config.scim.bulk_max_operations, 3)
      assert.equal(h.config.scim.bulk_max_payload_bytes, 2048)
      const config = await call(h.app, { method: 'GET', url: '/scim2/ServiceProviderConfig' })
      assert.deepEqual(config.body.bulk, { supported: true, maxOperations: 3, maxPayloadSize: 2048 })
    })

    it('accepts maxOperations operations and refuses more with 413, running none', async () => {
      const accepted = await post(
        JSON.stringify({ schemas: [BULK_REQUEST], Operations: operations(3, 'ok') }),
      )
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body))
      assert.deepEqual(
        accepted.body.Operations.map((result: OperationResult) => result.status),
        ['201', '201', '201'],
      )
      const before = await snapshotStore(h.container.store.db)
      const refused = await post(
        JSON.stringify({ schemas: [BULK_REQUEST], Operations: operations(4, 'many') }),
      )
      assertScimError(refused, 413)
      assert.match(refused.body.detail, /\b3\b/, 'the detail names the limit')
      assert.deepEqual(await snapshotStore(h.container.store.db), before)
    })

    it('refuses a body above maxPayloadSize with 413, running none', async () => {
      const sized = (bytes: number) => {
        const body = { schemas: [BULK_REQUEST], Operations: operations(1, 'big') }
        const padding = bytes - JSON.stringify(body).length - ',"displayName":""'.length
        body.Operations[0]!.data = user('big0', { displayName: 'x'.repeat(padding) })
        const text = JSON.stringify(body)
        assert.equal(Buffer.byteLength(text), bytes)
        return text
      }
      const before = await snapshotStore(h.container.store.db)
      const users = await userCount()
      for (const bytes of [2049, 4096, 100_000]) assertScimError(await post(sized(bytes)), 413)
      assert.deepEqual(await snapshotStore(h.container.store.db), before)
      const atLimit = await post(sized(2048))
      assert.equal(atLimit.status, 200, JSON.stringify(atLimit.body))
      assert.equal(atLimit.body.Operations[0].status, '201')
      assert.equal(await userCount(), users + 1)
    })
  })
}
