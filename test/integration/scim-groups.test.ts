import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { publicUrl } from '../../src/config/semantics.ts'
import { basicAuth, type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { type Answer, bearer, call, type ScimMethod, scimCall } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'
const OTHER_DOMAIN = 'other.example'
const OTHER_PASSWORD = 'other-admin-password-1'

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

const sorted = (values: string[]) => [...values].sort()

for (const kind of storeKinds) {
  describe(`${kind.kind}: SCIM Groups`, { skip: kind.skip }, () => {
    let h: Harness
    let base = ''
    const clock = new ManualClock()
    const ids: Record<string, string> = {}
    const groups: Record<string, string> = {}
    let adminUserId = ''
    let adminGroupId = ''

    const scim = (
      method: ScimMethod,
      url: string,
      payload?: unknown,
      options: { auth?: string; headers?: Record<string, string> } = {},
    ): Promise<Answer> =>
      scimCall(h.app, method, url, payload, { auth: options.auth ?? h.adminAuth, headers: options.headers })
    const patch = (id: string, operations: unknown[], options: Parameters<typeof scim>[3] = {}) =>
      scim('PATCH', `/scim2/Groups/${id}`, { schemas: [PATCH_OP], Operations: operations }, options)
    const createUser = async (userName: string, url = '/scim2/Users', auth?: string): Promise<string> => {
      const created = await scim('POST', url, { schemas: [USER], userName }, auth ? { auth } : {})
      assert.equal(created.status, 201, JSON.stringify(created.body))
      return created.body.id
    }
    const createGroup = async (displayName: string, members: string[] = []) => {
      clock.advance(1000)
      const created = await scim('POST', '/scim2/Groups', {
        schemas: [GROUP],
        displayName,
        members: members.map((value) => ({ value })),
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      groups[displayName] = created.body.id
      return created
    }
    const read = async (id: string) => {
      const answer = await scim('GET', `/scim2/Groups/${id}`)
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      return answer.body
    }
    const memberIds = (group: { members?: Array<{ value: string }> }) =>
      sorted((group.members ?? []).map((member) => member.value))
    const roleMembers = async (role: string): Promise<string[]> => {
      const answer = await call(h.app, {
        method: 'GET',
        url: `/api/admin/roles/${encodeURIComponent(role)}/members`,
        auth: h.adminAuth,
      })
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      return answer.body.members.map((member: { username: string }) => member.username)
    }
    const roleNames = async (): Promise<string[]> => {
      const answer = await call(h.app, { method: 'GET', url: '/api/admin/roles', auth: h.adminAuth })
      assert.equal(answer.status, 200)
      return answer.body.roles.map((role: { name: string }) => role.name)
    }
    const names = async (query: string): Promise<string[]> => {
      const answer = await scim('GET', `/scim2/Groups?${query}`)
      assert.equal(answer.status, 200, `${query}: ${JSON.stringify(answer.body)}`)
      assert.deepEqual(answer.body.schemas, [LIST])
      assert.equal(answer.body.itemsPerPage, answer.body.Resources.length)
      return answer.body.Resources.map((group: { displayName: string }) => group.displayName)
    }
    const filtered = (filter: string, rest = '') => names(`filter=${encodeURIComponent(filter)}${rest}`)

    before(async () => {
      h = await openHarness(kind, { clock })
      base = `${publicUrl(h.config)}/scim2`
      for (const userName of ['alice', 'bob', 'carol', 'dave', 'erin'])
        ids[userName] = await createUser(userName)
      const me = await scim('GET', '/scim2/Me')
      adminUserId = me.body.id
      const admins = await scim('GET', `/scim2/Groups?filter=${encodeURIComponent('displayName eq "admin"')}`)
      assert.equal(admins.body.totalResults, 1)
      adminGroupId = admins.body.Resources[0].id
    })
    after(async () => h?.close())

    it('creates a group with members: 201 with Location, ETag and the members as references', async () => {
      const created = await createGroup('Engineering', [ids.bob!, ids.alice!.toUpperCase(), ids.bob!])
      const id = created.body.id
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      assert.match(String(created.headers['content-type']), /^application\/scim\+json/)
      assert.equal(created.headers.location, `${base}/Groups/${id}`)
      assert.match(String(created.headers.etag), /^W\/"\d+"$/)
      assert.equal(created.headers.etag, created.body.meta.version)
      const now = new Date(clock.now()).toISOString()
      assert.deepEqual(created.body, {
        schemas: [GROUP],
        id,
        displayName: 'Engineering',
        members: [
          { value: ids.alice, $ref: `${base}/Users/${ids.alice}`, display: 'alice', type: 'User' },
          { value: ids.bob, $ref: `${base}/Users/${ids.bob}`, display: 'bob', type: 'User' },
        ],
        meta: {
          resourceType: 'Group',
          created: now,
          lastModified: now,
          location: `${base}/Groups/${id}`,
          version: created.headers.etag,
        },
      })
      assert.deepEqual(await roleMembers('Engineering'), ['alice', 'bob'])
    })

    it('reads a group, with its members unless they are excluded', async () => {
      const id = groups.Engineering!
      const shown = await scim('GET', `/scim2/Groups/${id}`)
      assert.equal(shown.status, 200)
      assert.match(String(shown.headers['content-type']), /^application\/scim\+json/)
      assert.equal(shown.headers.etag, shown.body.meta.version)
      assert.deepEqual(memberIds(shown.body), sorted([ids.alice!, ids.bob!]))
      assert.deepEqual(
        shown.body.members.map((member: { display: string }) => member.display),
        ['alice', 'bob'],
      )

      const withoutMembers = await scim('GET', `/scim2/Groups/${id}?excludedAttributes=members`)
      assert.equal(withoutMembers.status, 200)
      assert.equal(withoutMembers.body.members, undefined)
      assert.equal(withoutMembers.body.displayName, 'Engineering')
      assert.deepEqual(withoutMembers.body.meta, shown.body.meta)

      const nameOnly = await scim('GET', `/scim2/Groups/${id}?attributes=displayName`)
      assert.equal(nameOnly.status, 200)
      assert.equal(nameOnly.body.displayName, 'Engineering')
      assert.equal(nameOnly.body.id, id, 'id is always returned')
      assert.equal(nameOnly.body.members, undefined)
      assert.deepEqual(nameOnly.body.schemas, [GROUP])

      const memberValues = await scim('GET', `/scim2/Groups/${id}?attributes=members.value`)
      assert.deepEqual(
        memberValues.body.members,
        [ids.alice, ids.bob].map((value) => ({ value })),
      )

      const unchanged = await call(h.app, {
        method: 'GET',
        url: `/scim2/Groups/${id}`,
        auth: h.adminAuth,
        headers: { 'if-none-match': String(shown.headers.etag) },
      })
      assert.equal(unchanged.status, 304)

      assertScimError(await scim('GET', `/scim2/Groups/${randomUUID()}`), 404)
      assertScimError(await scim('GET', '/scim2/Groups/not-an-id'), 404)
    })

    it('lists groups with filters, sorting and paging, and searches with POST .search', async () => {
      await createGroup('Sales', [ids.carol!])
      await createGroup('support desk')
      const all = ['admin', 'Engineering', 'Sales', 'support desk']
      assert.deepEqual(await names(''), all, 'by name, case-insensitively')
      assert.deepEqual(await filtered('displayName eq "ENGINEERING"'), ['Engineering'])
      assert.deepEqual(await filtered(`members[value eq "${ids.carol}"]`), ['Sales'])
      assert.deepEqual(await filtered(`members.value eq "${ids.bob}"`), ['Engineering'])
      assert.deepEqual(await filtered('members.display co "LIC"'), ['Engineering'])
      assert.deepEqual(
        await filtered(`meta.created gt "${(await read(groups.Engineering!)).meta.created}"`),
        ['Sales', 'support desk'],
      )
      assert.deepEqual(await filtered('not (displayName eq "admin")'), [
        'Engineering',
        'Sales',
        'support desk',
      ])
      assert.deepEqual(await filtered('not (members pr)'), ['support desk'])
      assert.deepEqual(await filtered('displayName sw "s" and members pr'), ['Sales'])
      assert.deepEqual(await filtered('displayName eq "nobody"'), [])

      assert.deepEqual(await names('sortBy=displayName&sortOrder=descending'), [...all].reverse())
      const page = await scim('GET', '/scim2/Groups?sortBy=displayName&startIndex=2&count=2')
      assert.equal(page.body.totalResults, 4)
      assert.equal(page.body.itemsPerPage, 2)
      assert.equal(page.body.startIndex, 2)
      assert.deepEqual(
        page.body.Resources.map((group: { displayName: string }) => group.displayName),
        ['Engineering', 'Sales'],
      )
      const counted = await scim('GET', '/scim2/Groups?count=0')
      assert.equal(counted.body.totalResults, 4)
      assert.deepEqual(counted.body.Resources, [])
      const past = await scim('GET', '/scim2/Groups?startIndex=9')
      assert.equal(past.body.totalResults, 4)
      assert.deepEqual(past.body.Resources, [])

      const slim = await scim('GET', '/scim2/Groups?excludedAttributes=members')
      assert.ok(slim.body.Resources.every((group: object) => !('members' in group)))
      const full = await scim('GET', '/scim2/Groups')
      const engineering = full.body.Resources.find(
        (group: { displayName: string }) => group.displayName === 'Engineering',
      )
      assert.deepEqual(memberIds(engineering), sorted([ids.alice!, ids.bob!]))

      const searched = await scim('POST', '/scim2/Groups/.search', {
        schemas: [SEARCH],
        filter: `members[value eq "${ids.alice}"] or displayName eq "sales"`,
        sortBy: 'displayName',
        sortOrder: 'descending',
        attributes: ['displayName'],
      })
      assert.equal(searched.status, 200, JSON.stringify(searched.body))
      assert.equal(searched.body.totalResults, 2)
      assert.deepEqual(
        searched.body.Resources.map((group: object) => Object.keys(group).sort()),
        [
          ['displayName', 'id', 'schemas'],
          ['displayName', 'id', 'schemas'],
        ],
      )
      assert.deepEqual(
        searched.body.Resources.map((group: { displayName: string }) => group.displayName),
        ['Sales', 'Engineering'],
      )
      assertScimError(
        await scim('POST', '/scim2/Groups/.search', { filter: 'displayName pr' }),
        400,
        'invalidSyntax',
      )
      assertScimError(
        await scim('GET', `/scim2/Groups?filter=${encodeURIComponent('displayName xx "a"')}`),
        400,
        'invalidFilter',
      )
      assertScimError(
        await scim('GET', `/scim2/Groups?filter=${encodeURIComponent('nickName eq "a"')}`),
        400,
        'invalidFilter',
      )
    })

    it('replaces a group with PUT: a new name and a new set of members', async () => {
      const id = groups.Engineering!
      const current = await read(id)
      const replaced = await scim(
        'PUT',
        `/scim2/Groups/${id}`,
        {
          schemas: [GROUP],
          id,
          displayName: 'Platform Engineering',
          members: [{ value: ids.carol }, { value: ids.bob, display: 'ignored' }],
        },
        { headers: { 'if-match': current.meta.version } },
      )
      assert.equal(replaced.status, 200, JSON.stringify(replaced.body))
      assert.equal(replaced.body.displayName, 'Platform Engineering')
      assert.deepEqual(memberIds(replaced.body), sorted([ids.bob!, ids.carol!]))
      assert.equal(replaced.body.members.find((m: { value: string }) => m.value === ids.bob).display, 'bob')
      assert.notEqual(replaced.body.meta.version, current.meta.version)
      assert.equal(replaced.headers.etag, replaced.body.meta.version)
      assert.equal(replaced.body.meta.created, current.meta.created)
      assert.deepEqual(await read(id), replaced.body)
      const roles = await roleNames()
      assert.ok(roles.includes('Platform Engineering') && !roles.includes('Engineering'), String(roles))
      assert.deepEqual(await roleMembers('platform engineering'), ['bob', 'carol'])

      assertScimError(await scim('PUT', `/scim2/Groups/${id}`, { displayName: 'x' }), 400, 'invalidSyntax')
      assertScimError(await scim('PUT', `/scim2/Groups/${id}`, { schemas: [GROUP] }), 400, 'invalidValue')
      assertScimError(
        await scim('PUT', `/scim2/Groups/${randomUUID()}`, { schemas: [GROUP], displayName: 'x' }),
        404,
      )
      assert.deepEqual(await read(id), replaced.body, 'the refused writes changed nothing')
    })

    it("keeps the client's externalId: written, filtered on exactly, patched, cleared by PUT", async () => {
      const created = await scim('POST', '/scim2/Groups', {
        schemas: [GROUP],
        displayName: 'External Ones',
        externalId: 'Ext-77',
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      assert.equal(created.body.externalId, 'Ext-77')
      const id = created.body.id
      assert.deepEqual(await filtered('externalId eq "Ext-77"'), ['External Ones'])
      assert.deepEqual(await filtered('externalId eq "ext-77"'), [], 'caseExact')
      assert.ok((await filtered('externalId pr')).includes('External Ones'))
      const patched = await patch(id, [{ op: 'replace', path: 'externalId', value: 'ext-78' }])
      assert.equal(patched.status, 200, JSON.stringify(patched.body))
      assert.equal(patched.body.externalId, 'ext-78')
      assert.notEqual(patched.headers.etag, created.headers.etag, 'the version moved')
      assertScimError(
        await patch(id, [{ op: 'replace', path: 'externalId', value: 42 }]),
        400,
        'invalidValue',
      )
      assert.equal((await read(id)).externalId, 'ext-78', 'nothing of the refused write was stored')
      const put = await scim('PUT', `/scim2/Groups/${id}`, { schemas: [GROUP], displayName: 'External Ones' })
      assert.equal(put.status, 200, JSON.stringify(put.body))
      assert.equal(put.body.externalId, undefined, 'a PUT without it clears it')
      assert.deepEqual(await filtered('externalId eq "ext-78"'), [])
      assert.equal((await scim('DELETE', `/scim2/Groups/${id}`)).status, 204)
    })

    it('patches members as RFC 7644 §3.5.2 and Entra ID do', async () => {
      const id = (await createGroup('Patchers')).body.id
      const step = async (operations: unknown[]) => {
        const answer = await patch(id, operations)
        assert.equal(answer.status, 200, JSON.stringify(answer.body))
        assert.equal(answer.headers.etag, answer.body.meta.version)
        return answer.body
      }
      let group = await step([
        {
          op: 'add',
          path: 'members',
          value: [
            { display: 'alice', $ref: `${base}/Users/${ids.alice}`, value: ids.alice },
            { value: ids.bob },
          ],
        },
      ])
      assert.deepEqual(memberIds(group), sorted([ids.alice!, ids.bob!]))
      group = await step([{ op: 'remove', path: `members[value eq "${ids.alice}"]` }])
      assert.deepEqual(memberIds(group), [ids.bob])
      group = await step([
        { op: 'replace', path: 'members', value: [{ value: ids.carol }, { value: ids.dave }] },
      ])
      assert.deepEqual(memberIds(group), sorted([ids.carol!, ids.dave!]))
      group = await step([{ op: 'add', value: { members: [{ value: ids.alice }] } }])
      assert.deepEqual(memberIds(group), sorted([ids.alice!, ids.carol!, ids.dave!]))
      // Entra ID: capitalised ops, members removed by value under the whole attribute's path.
      group = await step([{ op: 'Remove', path: 'members', value: [{ value: ids.carol }] }])
      assert.deepEqual(memberIds(group), sorted([ids.alice!, ids.dave!]))
      group = await step([{ op: 'Add', path: 'members', value: [{ value: ids.bob }, { value: ids.alice }] }])
      assert.deepEqual(memberIds(group), sorted([ids.alice!, ids.bob!, ids.dave!]))
      group = await step([{ op: 'Replace', path: 'displayName', value: 'Patch Team' }])
      assert.equal(group.displayName, 'Patch Team')
      assert.deepEqual(memberIds(group), sorted([ids.alice!, ids.bob!, ids.dave!]), 'a rename keeps members')
      group = await step([
        { op: 'add', path: 'members', value: [{ value: ids.carol }] },
        { op: 'remove', path: `members[value eq "${ids.alice}"]` },
        { op: 'remove', path: `members[value eq "${ids.dave}"]` },
      ])
      assert.deepEqual(memberIds(group), sorted([ids.bob!, ids.carol!]))
      assert.deepEqual(await roleMembers('Patch Team'), ['bob', 'carol'])

      const before = await read(id)
      assertScimError(await patch(id, [{ op: 'move', path: 'members' }]), 400, 'invalidSyntax')
      assertScimError(await patch(id, [{ op: 'add', path: 'nickName', value: 'x' }]), 400, 'invalidPath')
      assertScimError(await patch(id, [{ op: 'remove' }]), 400, 'noTarget')
      assertScimError(
        await patch(id, [{ op: 'replace', path: 'id', value: randomUUID() }]),
        400,
        'mutability',
      )
      assertScimError(
        await scim('PATCH', `/scim2/Groups/${id}`, { Operations: [{ op: 'remove', path: 'members' }] }),
        400,
        'invalidSyntax',
      )
      assert.deepEqual(await read(id), before, 'refused patches changed nothing')

      group = await step([{ op: 'remove', path: 'members' }])
      assert.equal(group.members, undefined)
      assert.deepEqual(await roleMembers('Patch Team'), [])
      groups['Patch Team'] = id
    })

    it("shows membership in the user's read-only groups attribute", async () => {
      const bob = await scim('GET', `/scim2/Users/${ids.bob}`)
      assert.equal(bob.status, 200)
      const byName = (list: Array<{ display: string; value: string }>) =>
        [...list].sort((a, b) => a.display.localeCompare(b.display))
      const platform = groups.Engineering!
      assert.deepEqual(byName(bob.body.groups), [
        {
          value: platform,
          $ref: `${base}/Groups/${platform}`,
          display: 'Platform Engineering',
          type: 'direct',
        },
      ])
      const carol = await scim('GET', `/scim2/Users/${ids.carol}`)
      assert.deepEqual(
        byName(carol.body.groups).map((group: { display: string; value: string }) => [
          group.display,
          group.value,
        ]),
        [
          ['Platform Engineering', platform],
          ['Sales', groups.Sales],
        ],
      )
      const admin = await scim('GET', `/scim2/Users/${adminUserId}`)
      assert.deepEqual(
        admin.body.groups.map((group: { display: string; value: string }) => [group.display, group.value]),
        [['admin', adminGroupId]],
      )
      const erin = await scim('GET', `/scim2/Users/${ids.erin}`)
      assert.equal(erin.body.groups, undefined, 'a user in no group has no groups attribute')
    })

    it('is the same thing as a role of the admin API, both ways', async () => {
      const role = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: h.adminAuth,
        payload: { name: 'Auditors', permissions: ['audit:read'] },
      })
      assert.equal(role.status, 201)
      const found = await scim(
        'GET',
        `/scim2/Groups?filter=${encodeURIComponent('displayName eq "auditors"')}`,
      )
      assert.equal(found.body.totalResults, 1)
      const auditors = found.body.Resources[0]
      assert.equal(auditors.displayName, 'Auditors')
      assert.equal(auditors.members, undefined)
      groups.Auditors = auditors.id

      const added = await patch(auditors.id, [{ op: 'add', path: 'members', value: [{ value: ids.erin }] }])
      assert.equal(added.status, 200, JSON.stringify(added.body))
      assert.deepEqual(await roleMembers('Auditors'), ['erin'])
      const roles = await call(h.app, { method: 'GET', url: '/api/admin/roles', auth: h.adminAuth })
      const sales = roles.body.roles.find((entry: { name: string }) => entry.name === 'Sales')
      assert.deepEqual(
        [sales.permissions, sales.builtin],
        [[], false],
        'a SCIM group is a role without permissions',
      )

      const salesBefore = await read(groups.Sales!)
      const assigned = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles/sales/members',
        auth: h.adminAuth,
        payload: { users: ['dave'] },
      })
      assert.equal(assigned.status, 200)
      const salesAfter = await read(groups.Sales!)
      assert.deepEqual(memberIds(salesAfter), sorted([ids.carol!, ids.dave!]))
      assert.notEqual(salesAfter.meta.version, salesBefore.meta.version, 'a membership change moves the ETag')
      const renamed = await call(h.app, {
        method: 'PATCH',
        url: '/api/admin/roles/Auditors',
        auth: h.adminAuth,
        payload: { name: 'Audit' },
      })
      assert.equal(renamed.status, 200)
      const audit = await read(auditors.id)
      assert.equal(audit.displayName, 'Audit')
      assert.notEqual(audit.meta.version, added.body.meta.version, 'a rename moves the ETag')
    })

    it('keeps the built-in admin group named, undeletable and with a member', async () => {
      const before = await read(adminGroupId)
      assert.deepEqual(memberIds(before), [adminUserId])
      assertScimError(
        await patch(adminGroupId, [{ op: 'remove', path: `members[value eq "${adminUserId}"]` }]),
        409,
      )
      assertScimError(await patch(adminGroupId, [{ op: 'remove', path: 'members' }]), 409)
      assertScimError(
        await patch(adminGroupId, [{ op: 'Remove', path: 'members', value: [{ value: adminUserId }] }]),
        409,
      )
      assertScimError(await patch(adminGroupId, [{ op: 'replace', path: 'members', value: [] }]), 409)
      assertScimError(
        await scim('PUT', `/scim2/Groups/${adminGroupId}`, {
          schemas: [GROUP],
          displayName: 'admin',
          members: [],
        }),
        409,
      )
      assertScimError(
        await scim('PUT', `/scim2/Groups/${adminGroupId}`, {
          schemas: [GROUP],
          displayName: 'superusers',
          members: [{ value: adminUserId }],
        }),
        400,
        'mutability',
      )
      assertScimError(
        await patch(adminGroupId, [{ op: 'replace', path: 'displayName', value: 'root' }]),
        400,
        'mutability',
      )
      assertScimError(await scim('DELETE', `/scim2/Groups/${adminGroupId}`), 400, 'mutability')
      assert.deepEqual(await read(adminGroupId), before, 'nothing changed')
      assert.deepEqual(await roleMembers('admin'), ['admin'])

      // Another administrator may be added and removed again: only the last one stays.
      const added = await patch(adminGroupId, [{ op: 'add', path: 'members', value: [{ value: ids.alice }] }])
      assert.deepEqual(memberIds(added.body), sorted([adminUserId, ids.alice!]))
      const removed = await patch(adminGroupId, [{ op: 'remove', path: `members[value eq "${ids.alice}"]` }])
      assert.equal(removed.status, 200)
      assert.deepEqual(memberIds(removed.body), [adminUserId])
    })

    it('refuses to grant through a group more than the credentials hold (403)', async () => {
      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: h.adminAuth,
        payload: { name: 'provisioner', scopes: ['users:read', 'users:write'] },
      })
      assert.equal(token.status, 201)
      const auth = bearer(token.body.token)
      const admins = await read(adminGroupId)
      assertScimError(
        await patch(adminGroupId, [{ op: 'add', path: 'members', value: [{ value: ids.bob }] }], { auth }),
        403,
      )
      assertScimError(
        await scim(
          'PUT',
          `/scim2/Groups/${adminGroupId}`,
          { schemas: [GROUP], displayName: 'admin', members: [{ value: adminUserId }, { value: ids.bob }] },
          { auth },
        ),
        403,
      )
      assertScimError(
        await patch(groups.Auditors!, [{ op: 'add', path: 'members', value: [{ value: ids.bob }] }], {
          auth,
        }),
        403,
      )
      assert.deepEqual(await read(adminGroupId), admins)
      assert.deepEqual(await roleMembers('admin'), ['admin'])
      assert.deepEqual(await roleMembers('Audit'), ['erin'])

      const readers = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: h.adminAuth,
        payload: { name: 'Readers', permissions: ['users:read'] },
      })
      assert.equal(readers.status, 201)
      const readersId = (
        await scim('GET', `/scim2/Groups?filter=${encodeURIComponent('displayName eq "Readers"')}`)
      ).body.Resources[0].id
      const grantable = await patch(
        readersId,
        [{ op: 'add', path: 'members', value: [{ value: ids.bob }] }],
        { auth },
      )
      assert.equal(grantable.status, 200, JSON.stringify(grantable.body))
      const plain = await patch(
        groups.Sales!,
        [{ op: 'add', path: 'members', value: [{ value: ids.erin }] }],
        { auth },
      )
      assert.equal(plain.status, 200, JSON.stringify(plain.body))
      assert.deepEqual(memberIds(plain.body), sorted([ids.carol!, ids.dave!, ids.erin!]))
      const made = await scim(
        'POST',
        '/scim2/Groups',
        { schemas: [GROUP], displayName: 'Token Made', members: [{ value: ids.erin }] },
        { auth },
      )
      assert.equal(made.status, 201, JSON.stringify(made.body))
      groups['Token Made'] = made.body.id

      const readOnly = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: h.adminAuth,
        payload: { name: 'reader', scopes: ['users:read'] },
      })
      const readerAuth = bearer(readOnly.body.token)
      assert.equal((await scim('GET', '/scim2/Groups', undefined, { auth: readerAuth })).status, 200)
      assertScimError(
        await patch(groups.Sales!, [{ op: 'remove', path: 'members' }], { auth: readerAuth }),
        403,
      )
      assertScimError(
        await scim('DELETE', `/scim2/Groups/${groups['Token Made']}`, undefined, { auth: readerAuth }),
        403,
      )
      const anonymous = await call(h.app, { method: 'GET', url: '/scim2/Groups' })
      assertScimError(anonymous, 401)
    })

    it('accepts as members only users of the same tenant', async () => {
      const id = groups.Sales!
      const before = await read(id)
      const stranger = randomUUID()
      assertScimError(
        await patch(id, [{ op: 'add', path: 'members', value: [{ value: stranger }] }]),
        400,
        'invalidValue',
      )
      assertScimError(
        await patch(id, [{ op: 'add', path: 'members', value: [{ value: 'not-a-uuid' }] }]),
        400,
        'invalidValue',
      )
      assertScimError(
        await scim('POST', '/scim2/Groups', {
          schemas: [GROUP],
          displayName: 'Ghosts',
          members: [{ value: stranger }],
        }),
        400,
        'invalidValue',
      )
      assert.deepEqual(await filtered('displayName eq "Ghosts"'), [], 'nothing half-created')

      const tenant = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: OTHER_DOMAIN, displayName: 'Other', adminPassword: OTHER_PASSWORD },
      })
      assert.equal(tenant.status, 201, JSON.stringify(tenant.body))
      const otherAuth = basicAuth('admin', OTHER_PASSWORD)
      const outsider = await createUser('outsider', `/t/${OTHER_DOMAIN}/scim2/Users`, otherAuth)
      const otherAdmin = (await scim('GET', `/t/${OTHER_DOMAIN}/scim2/Me`, undefined, { auth: otherAuth }))
        .body.id
      for (const value of [outsider, otherAdmin])
        assertScimError(
          await patch(id, [{ op: 'add', path: 'members', value: [{ value }] }]),
          400,
          'invalidValue',
        )
      assertScimError(
        await scim('PUT', `/scim2/Groups/${id}`, {
          schemas: [GROUP],
          displayName: 'Sales',
          members: [{ value: ids.carol }, { value: outsider }],
        }),
        400,
        'invalidValue',
      )
      // Nor is the group visible from the other tenant.
      assertScimError(
        await scim('GET', `/t/${OTHER_DOMAIN}/scim2/Groups/${id}`, undefined, { auth: otherAuth }),
        404,
      )
      assertScimError(
        await scim(
          'PATCH',
          `/t/${OTHER_DOMAIN}/scim2/Groups/${id}`,
          { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members' }] },
          { auth: otherAuth },
        ),
        404,
      )

      // Groups hold users only.
      assertScimError(
        await patch(id, [
          { op: 'add', path: 'members', value: [{ value: groups.Engineering, type: 'Group' }] },
        ]),
        400,
        'invalidValue',
      )
      assertScimError(
        await patch(id, [{ op: 'add', path: 'members', value: [{ value: groups.Engineering }] }]),
        400,
        'invalidValue',
      )
      assertScimError(
        await scim('POST', '/scim2/Groups', {
          schemas: [GROUP],
          displayName: 'Nameless',
          members: [{ display: 'alice' }],
        }),
        400,
        'invalidValue',
      )
      assert.deepEqual(await read(id), before)
    })

    it('keeps display names unique, whatever their case (409 uniqueness)', async () => {
      for (const displayName of ['SALES', 'Admin', 'platform engineering'])
        assertScimError(
          await scim('POST', '/scim2/Groups', { schemas: [GROUP], displayName }),
          409,
          'uniqueness',
        )
      const id = groups.Sales!
      const before = await read(id)
      assertScimError(
        await patch(id, [{ op: 'replace', path: 'displayName', value: 'ADMIN' }]),
        409,
        'uniqueness',
      )
      assertScimError(
        await scim('PUT', `/scim2/Groups/${id}`, {
          schemas: [GROUP],
          displayName: 'Patch team',
          members: before.members,
        }),
        409,
        'uniqueness',
      )
      assertScimError(
        await patch(id, [{ op: 'replace', path: 'displayName', value: 'a/b' }]),
        400,
        'invalidValue',
      )
      assertScimError(
        await scim('POST', '/scim2/Groups', { schemas: [GROUP], displayName: '' }),
        400,
        'invalidValue',
      )
      assert.deepEqual(await read(id), before)
      const recased = await patch(id, [{ op: 'replace', path: 'displayName', value: 'SALES' }])
      assert.equal(recased.status, 200, 'a group may change the case of its own name')
      assert.equal(recased.body.displayName, 'SALES')

      const racers = await Promise.all(
        ['Race', 'RACE', 'race', 'rAce', 'raCe'].map((displayName) =>
          scim('POST', '/scim2/Groups', { schemas: [GROUP], displayName }),
        ),
      )
      assert.deepEqual(
        racers.map((answer) => answer.status).sort(),
        [201, 409, 409, 409, 409],
        'simultaneous creations of one name: one wins',
      )
      for (const answer of racers.filter((answer) => answer.status === 409))
        assertScimError(answer, 409, 'uniqueness')
      assert.equal((await filtered('displayName eq "race"')).length, 1)
    })

    it('honours If-Match: a stale version is 412 and changes nothing', async () => {
      const id = groups['Token Made']!
      const first = await read(id)
      const moved = await patch(id, [{ op: 'add', path: 'members', value: [{ value: ids.dave }] }], {
        headers: { 'if-match': first.meta.version },
      })
      assert.equal(moved.status, 200)
      const current = moved.body
      const stale = { headers: { 'if-match': first.meta.version } }
      assertScimError(await patch(id, [{ op: 'remove', path: 'members' }], stale), 412)
      assertScimError(
        await scim('PUT', `/scim2/Groups/${id}`, { schemas: [GROUP], displayName: 'Stale' }, stale),
        412,
      )
      assertScimError(await scim('DELETE', `/scim2/Groups/${id}`, undefined, stale), 412)
      assertScimError(
        await patch(id, [{ op: 'remove', path: 'members' }], { headers: { 'if-match': 'not-a-tag' } }),
        400,
        'invalidVers',
      )
      assert.deepEqual(await read(id), current)
      const anyVersion = await patch(id, [{ op: 'replace', path: 'displayName', value: 'Token Team' }], {
        headers: { 'if-match': '*' },
      })
      assert.equal(anyVersion.status, 200)
      const listed = await patch(id, [{ op: 'remove', path: `members[value eq "${ids.dave}"]` }], {
        headers: { 'if-match': `W/"1", ${anyVersion.body.meta.version}` },
      })
      assert.equal(listed.status, 200)
      assert.deepEqual(memberIds(listed.body), [ids.erin])
    })

    it('loses no member when ten clients add members at once', async () => {
      const crowd = await Promise.all(
        Array.from({ length: 10 }, (_, index) => createUser(`crowd${String(index).padStart(2, '0')}`)),
      )
      const created = (await createGroup('Crowd')).body
      const id = created.id
      groups.Crowd = id
      const answers = await Promise.all(
        crowd.map((value) => patch(id, [{ op: 'add', path: 'members', value: [{ value }] }])),
      )
      assert.deepEqual(
        answers.map((answer) => answer.status),
        crowd.map(() => 200),
        JSON.stringify(answers.filter((answer) => answer.status !== 200).map((answer) => answer.body)),
      )
      const group = await read(id)
      assert.deepEqual(memberIds(group), sorted(crowd))
      const version = (tag: string) => Number(/^W\/"(\d+)"$/.exec(tag)![1])
      assert.ok(version(group.meta.version) >= version(created.meta.version) + 10, 'a new version per add')
      assert.equal((await roleMembers('Crowd')).length, 10)
    })

    it('deletes a group: 204, then 404; its members lose it', async () => {
      const id = groups.Crowd!
      const deleted = await scim('DELETE', `/scim2/Groups/${id}`)
      assert.equal(deleted.status, 204)
      assert.equal(deleted.body, undefined)
      assertScimError(await scim('GET', `/scim2/Groups/${id}`), 404)
      assertScimError(await scim('DELETE', `/scim2/Groups/${id}`), 404)
      assertScimError(await patch(id, [{ op: 'remove', path: 'members' }]), 404)
      assert.ok(!(await roleNames()).includes('Crowd'))
      const member = await scim('GET', '/scim2/Users?filter=userName%20eq%20%22crowd00%22')
      assert.equal(member.body.Resources[0].groups, undefined)
      assert.deepEqual(await filtered('displayName eq "Crowd"'), [])
    })

    it('keeps an administrator when SCIM and the admin API remove the last two at once', async () => {
      // A token with every permission, so the test can restore the group whatever happens.
      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: h.adminAuth,
        payload: {
          name: 'everything',
          scopes: [
            'login',
            'users:read',
            'users:write',
            'reset:force',
            'config:write',
            'audit:read',
            'tokens:manage',
            'tenants:manage',
          ],
        },
      })
      assert.equal(token.status, 201, JSON.stringify(token.body))
      const auth = bearer(token.body.token)
      const left: number[] = []
      try {
        for (let round = 0; round < 5; round++) {
          const restored = await patch(
            adminGroupId,
            [{ op: 'add', path: 'members', value: [{ value: adminUserId }, { value: ids.alice }] }],
            { auth },
          )
          assert.equal(restored.status, 200, JSON.stringify(restored.body))
          assert.equal(restored.body.members.length, 2)
          const [viaScim, viaAdminApi] = await Promise.all([
            patch(adminGroupId, [{ op: 'remove', path: `members[value eq "${adminUserId}"]` }], { auth }),
            call(h.app, { method: 'DELETE', url: '/api/admin/roles/admin/members/alice', auth }),
          ])
          assert.ok([200, 409].includes(viaScim.status), JSON.stringify(viaScim.body))
          assert.ok([204, 409].includes(viaAdminApi.status), JSON.stringify(viaAdminApi.body))
          const group = await scim('GET', `/scim2/Groups/${adminGroupId}`, undefined, { auth })
          left.push(group.body.members?.length ?? 0)
        }
      } finally {
        await patch(adminGroupId, [{ op: 'add', path: 'members', value: [{ value: adminUserId }] }], { auth })
      }
      assert.ok(
        left.every((count) => count >= 1),
        `administrators left after each round: ${left.join(', ')}`,
      )
    })
  })
}
