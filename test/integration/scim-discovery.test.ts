import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { publicUrl } from '../../src/config/semantics.ts'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { type Answer, bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const REKEY = 'urn:rekey:params:scim:schemas:extension:2.0:User'
const SERVICE_PROVIDER_CONFIG = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'
const RESOURCE_TYPE = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType'
const SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema'
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'
const DOMAIN = 'branch.example'
const BRANCH_PASSWORD = 'branch-admin-password-1'

function assertScimError(answer: Answer, status: number, scimType?: string): void {
  assert.equal(
    answer.status,
    status,
    `expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`,
  )
  assertScimJson(answer)
  assert.deepEqual(answer.body.schemas, [ERROR])
  assert.equal(answer.body.status, String(status))
  assert.equal(answer.body.scimType, scimType)
  assert.equal(typeof answer.body.detail, 'string')
}

/** Like `call`, for the answers at or above 500 that `call` refuses (`/Me` answers 501). */
async function inject(
  app: Harness['app'],
  options: {
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
    url: string
    auth: string
    payload?: object
  },
): Promise<Answer> {
  const response = await app.inject({
    method: options.method,
    url: options.url,
    headers: {
      authorization: options.auth,
      ...(options.payload ? { 'content-type': 'application/scim+json' } : {}),
    },
    ...(options.payload ? { payload: JSON.stringify(options.payload) } : {}),
  })
  return { status: response.statusCode, body: response.json(), headers: response.headers }
}

function assertScimJson(answer: Answer): void {
  assert.match(String(answer.headers['content-type']), /^application\/scim\+json(;|$)/)
}

interface Attribute {
  name: string
  type: string
  multiValued: boolean
  required: boolean
  caseExact: boolean
  mutability: string
  returned: string
  uniqueness: string
  subAttributes?: Attribute[]
}

const attributeOf = (schema: { attributes: Attribute[] }, name: string): Attribute => {
  const found = schema.attributes.find((attribute) => attribute.name === name)
  assert.ok(found, `no attribute ${name}`)
  return found
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: SCIM discovery, /Me and root search`, { skip: kind.skip }, () => {
    let h: Harness
    let root = ''
    let base = ''
    let adminId = ''
    const get = (url: string, auth?: string): Promise<Answer> =>
      call(h.app, { method: 'GET', url, ...(auth ? { auth } : {}) })
    const search = (body: object): Promise<Answer> =>
      call(h.app, {
        method: 'POST',
        url: '/scim2/.search',
        auth: h.adminAuth,
        headers: { 'content-type': 'application/scim+json' },
        payload: JSON.stringify({ schemas: [SEARCH], ...body }),
      })
    const userNamesOf = (answer: Answer): string[] =>
      answer.body.Resources.map((resource: { userName?: string; displayName?: string }) =>
        resource.userName ? `user ${resource.userName}` : `group ${resource.displayName}`,
      )
    const write = (
      method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      url: string,
      payload?: object,
      auth?: string,
    ) =>
      call(h.app, {
        method,
        url,
        auth: auth ?? h.adminAuth,
        ...(payload
          ? { headers: { 'content-type': 'application/scim+json' }, payload: JSON.stringify(payload) }
          : {}),
      })

    before(async () => {
      h = await openHarness(kind, {
        env: {
          REKEY_SCIM_MAX_RESULTS: '50',
          REKEY_SCIM_BULK_MAX_OPERATIONS: '7',
          REKEY_SCIM_BULK_MAX_PAYLOAD_BYTES: '65536',
        },
      })
      root = publicUrl(h.config)
      base = `${root}/scim2`
      for (const [userName, displayName] of [
        ['ursula', 'Ursula Ulm'],
        ['victor', 'Victor Vance'],
      ]) {
        const created = await write('POST', '/scim2/Users', { schemas: [USER], userName, displayName })
        assert.equal(created.status, 201, JSON.stringify(created.body))
      }
      const victor = (await search({ filter: 'userName eq "victor"' })).body.Resources[0].id
      for (const [displayName, members] of [
        ['Ushers', []],
        ['Vendors', [victor]],
      ] as const) {
        const created = await write('POST', '/scim2/Groups', {
          schemas: [GROUP],
          displayName,
          members: members.map((value) => ({ value })),
        })
        assert.equal(created.status, 201, JSON.stringify(created.body))
      }
      const tenant = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: DOMAIN, displayName: 'Branch', adminPassword: BRANCH_PASSWORD },
      })
      assert.equal(tenant.status, 201, JSON.stringify(tenant.body))
    })
    after(async () => h?.close())

    it('describes the service provider without credentials, with the configured limits', async () => {
      assert.deepEqual(
        [h.config.scim.max_results, h.config.scim.bulk_max_operations, h.config.scim.bulk_max_payload_bytes],
        [50, 7, 65536],
      )
      for (const auth of [undefined, 'Basic bm9ib2R5Om5vdGhpbmc=']) {
        const answer = await get('/scim2/ServiceProviderConfig', auth)
        assert.equal(answer.status, 200)
        assertScimJson(answer)
        const config = answer.body
        assert.deepEqual(config.schemas, [SERVICE_PROVIDER_CONFIG])
        assert.deepEqual(config.patch, { supported: true })
        assert.deepEqual(config.bulk, { supported: true, maxOperations: 7, maxPayloadSize: 65536 })
        assert.deepEqual(config.filter, { supported: true, maxResults: 50 })
        assert.deepEqual(config.changePassword, { supported: true })
        assert.deepEqual(config.sort, { supported: true })
        assert.deepEqual(config.etag, { supported: true })
        assert.deepEqual(
          config.authenticationSchemes.map((scheme: { type: string; primary: boolean }) => [
            scheme.type,
            scheme.primary,
          ]),
          [
            ['oauthbearertoken', true],
            ['httpbasic', false],
          ],
        )
        for (const scheme of config.authenticationSchemes) {
          assert.equal(typeof scheme.name, 'string')
          assert.equal(typeof scheme.description, 'string')
          assert.match(scheme.specUri, /^https:\/\/www\.rfc-editor\.org\/rfc\/rfc\d+$/)
        }
        assert.deepEqual(config.meta, {
          resourceType: 'ServiceProviderConfig',
          location: `${base}/ServiceProviderConfig`,
        })
      }
    })

    it('refuses a filter on the discovery lists with 403 (RFC 7644 §4)', async () => {
      for (const path of ['/scim2/ResourceTypes?filter=id eq "User"', '/scim2/Schemas?Filter=id pr']) {
        const refused = await get(encodeURI(path))
        assert.equal(refused.status, 403, path)
        assertScimJson(refused)
        assert.deepEqual(refused.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'])
        assert.equal(refused.body.status, '403')
      }
    })

    it('lists the resource types, with the User extensions', async () => {
      const list = await get('/scim2/ResourceTypes')
      assert.equal(list.status, 200)
      assertScimJson(list)
      assert.deepEqual(list.body.schemas, [LIST])
      assert.equal(list.body.totalResults, 2)
      assert.deepEqual(
        list.body.Resources.map((type: { id: string }) => type.id),
        ['User', 'Group'],
      )
      const userType = await get('/scim2/ResourceTypes/User')
      assert.equal(userType.status, 200)
      assertScimJson(userType)
      assert.deepEqual(userType.body, {
        schemas: [RESOURCE_TYPE],
        id: 'User',
        name: 'User',
        description: userType.body.description,
        endpoint: '/Users',
        schema: USER,
        schemaExtensions: [
          { schema: ENTERPRISE, required: false },
          { schema: REKEY, required: false },
        ],
        meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
      })
      assert.equal(typeof userType.body.description, 'string')
      assert.deepEqual(list.body.Resources[0], userType.body)
      const groupType = await get('/scim2/ResourceTypes/group')
      assert.equal(groupType.status, 200, 'ids are matched case-insensitively')
      assert.deepEqual(groupType.body, {
        schemas: [RESOURCE_TYPE],
        id: 'Group',
        name: 'Group',
        description: 'Groups of users',
        endpoint: '/Groups',
        schema: GROUP,
        meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
      })
      assertScimError(await get('/scim2/ResourceTypes/Device'), 404)
    })

    it('publishes the schemas and their attribute characteristics', async () => {
      const list = await get('/scim2/Schemas')
      assert.equal(list.status, 200)
      assertScimJson(list)
      assert.deepEqual(list.body.schemas, [LIST])
      assert.deepEqual(
        list.body.Resources.map((schema: { id: string }) => schema.id),
        [USER, ENTERPRISE, REKEY, GROUP],
      )
      assert.equal(list.body.totalResults, 4)
      for (const schema of list.body.Resources) {
        assert.deepEqual(schema.schemas, [SCHEMA])
        assert.deepEqual(schema.meta, { resourceType: 'Schema', location: `${base}/Schemas/${schema.id}` })
      }

      const core = await get(`/scim2/Schemas/${USER}`)
      assert.equal(core.status, 200)
      assertScimJson(core)
      assert.equal(core.body.id, USER)
      assert.equal(core.body.name, 'User')
      const userName = attributeOf(core.body, 'userName')
      assert.deepEqual(
        [userName.type, userName.required, userName.uniqueness, userName.multiValued],
        ['string', true, 'server', false],
      )
      const password = attributeOf(core.body, 'password')
      assert.deepEqual([password.returned, password.mutability], ['never', 'writeOnly'])
      const groups = attributeOf(core.body, 'groups')
      assert.deepEqual([groups.mutability, groups.multiValued], ['readOnly', true])
      assert.deepEqual(
        groups.subAttributes?.map((sub) => sub.name),
        ['value', '$ref', 'display', 'type'],
      )
      assert.ok(
        !core.body.attributes.some((attribute: Attribute) => ['id', 'meta'].includes(attribute.name)),
        'id and meta belong to no schema (RFC 7643 §7)',
      )

      const enterprise = await get(`/scim2/Schemas/${ENTERPRISE}`)
      assert.equal(enterprise.status, 200)
      const force = attributeOf(enterprise.body, 'forcePasswordReset')
      assert.deepEqual([force.type, force.multiValued, force.mutability], ['boolean', false, 'readWrite'])
      const rekey = await get(`/scim2/Schemas/${REKEY.toUpperCase()}`)
      assert.equal(rekey.status, 200, 'schema ids are matched case-insensitively')
      assert.equal(rekey.body.id, REKEY)
      const group = await get(`/scim2/Schemas/${GROUP}`)
      assert.deepEqual(
        attributeOf(group.body, 'members').subAttributes?.map((sub) => sub.name),
        ['value', '$ref', 'display', 'type'],
      )
      assert.deepEqual(list.body.Resources[0], core.body)

      assertScimError(await get('/scim2/Schemas/urn:ietf:params:scim:schemas:core:2.0:Device'), 404)
      assertScimError(await get('/scim2/Nothing'), 404)
    })

    it("serves each tenant's discovery under /t/{tenant}/scim2, with its own locations", async () => {
      const tenantBase = `${root}/t/${DOMAIN}/scim2`
      const config = await get(`/t/${DOMAIN}/scim2/ServiceProviderConfig`)
      assert.equal(config.status, 200)
      assertScimJson(config)
      assert.equal(config.body.meta.location, `${tenantBase}/ServiceProviderConfig`)
      assert.deepEqual(config.body.bulk, { supported: true, maxOperations: 7, maxPayloadSize: 65536 })
      const types = await get(`/t/${DOMAIN}/scim2/ResourceTypes`)
      assertScimJson(types)
      assert.deepEqual(
        types.body.Resources.map((type: { meta: { location: string } }) => type.meta.location),
        [`${tenantBase}/ResourceTypes/User`, `${tenantBase}/ResourceTypes/Group`],
      )
      const userType = await get(`/t/${DOMAIN}/scim2/ResourceTypes/User`)
      assert.equal(userType.body.meta.location, `${tenantBase}/ResourceTypes/User`)
      const schemas = await get(`/t/${DOMAIN}/scim2/Schemas`)
      assertScimJson(schemas)
      assert.ok(
        schemas.body.Resources.every((schema: { id: string; meta: { location: string } }) =>
          schema.meta.location.startsWith(`${tenantBase}/Schemas/`),
        ),
      )
      const core = await get(`/t/${DOMAIN}/scim2/Schemas/${USER}`)
      assert.equal(core.body.meta.location, `${tenantBase}/Schemas/${USER}`)

      for (const url of [
        '/t/nowhere.example/scim2/ServiceProviderConfig',
        '/t/nowhere.example/scim2/Schemas',
        '/t/nowhere.example/scim2/Me',
      ])
        assertScimError(await get(url, h.adminAuth), 404)
    })

    it('answers /Me with the signed-in user, and 501 for tokens and changes', async () => {
      const me = await get('/scim2/Me', h.adminAuth)
      assert.equal(me.status, 200)
      assertScimJson(me)
      assert.equal(me.body.userName, 'admin')
      adminId = me.body.id
      assert.equal(me.headers.location, `${base}/Users/${adminId}`)
      assert.equal(me.headers.etag, me.body.meta.version)
      assert.equal(me.body.meta.location, `${base}/Users/${adminId}`)
      const asUser = await get(`/scim2/Users/${adminId}`, h.adminAuth)
      assert.deepEqual(me.body, asUser.body, '/Me is the user resource itself')
      assert.deepEqual(
        me.body.groups.map((group: { display: string }) => group.display),
        ['admin'],
      )
      const slim = await get('/scim2/Me?attributes=userName', h.adminAuth)
      assert.deepEqual(Object.keys(slim.body).sort(), ['id', 'schemas', 'userName'])

      const branch = await get(`/t/${DOMAIN}/scim2/Me`, basicAuth('admin', BRANCH_PASSWORD))
      assert.equal(branch.status, 200)
      assert.equal(branch.body.userName, 'admin')
      assert.notEqual(branch.body.id, adminId)
      assert.equal(branch.headers.location, `${root}/t/${DOMAIN}/scim2/Users/${branch.body.id}`)

      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: h.adminAuth,
        payload: { name: 'me probe', scopes: ['login', 'users:read'] },
      })
      assert.equal(token.status, 201, JSON.stringify(token.body))
      assertScimError(
        await inject(h.app, { method: 'GET', url: '/scim2/Me', auth: bearer(token.body.token) }),
        501,
      )
      for (const method of ['PATCH', 'PUT', 'POST', 'DELETE'] as const)
        assertScimError(
          await inject(h.app, {
            method,
            url: '/scim2/Me',
            auth: h.adminAuth,
            ...(method === 'DELETE'
              ? {}
              : {
                  payload: {
                    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
                    Operations: [{ op: 'replace', path: 'displayName', value: 'x' }],
                  },
                }),
          }),
          501,
        )
      assertScimError(await get('/scim2/Me'), 401)
      assert.deepEqual((await get('/scim2/Me', h.adminAuth)).body, me.body, 'nothing changed')
    })

    it('searches Users and Groups at the root, paging across both', async () => {
      const all = await search({})
      assert.equal(all.status, 200, JSON.stringify(all.body))
      assertScimJson(all)
      assert.deepEqual(all.body.schemas, [LIST])
      assert.equal(all.body.totalResults, 6)
      assert.equal(all.body.itemsPerPage, 6)
      assert.equal(all.body.startIndex, 1)
      const resources: Array<{ id: string; schemas: string[]; userName?: string; displayName?: string }> =
        all.body.Resources
      assert.deepEqual(
        resources.map((resource) => resource.schemas[0]),
        [USER, USER, USER, GROUP, GROUP, GROUP],
        'users first, then groups',
      )
      assert.deepEqual(
        resources
          .slice(0, 3)
          .map((user) => user.userName)
          .sort(),
        ['admin', 'ursula', 'victor'],
      )
      assert.deepEqual(
        resources
          .slice(3)
          .map((group) => group.displayName)
          .sort(),
        ['Ushers', 'Vendors', 'admin'].sort(),
      )
      for (const count of [1, 2, 4]) {
        const seen: string[] = []
        for (let startIndex = 1; startIndex <= 7; startIndex += count) {
          const page = await search({ startIndex, count })
          assert.equal(page.status, 200)
          assert.equal(page.body.totalResults, 6)
          assert.equal(page.body.startIndex, startIndex)
          assert.equal(page.body.itemsPerPage, Math.min(count, Math.max(0, 7 - startIndex)))
          seen.push(...page.body.Resources.map((resource: { id: string }) => resource.id))
        }
        assert.deepEqual(
          seen,
          resources.map((resource) => resource.id),
          `pages of ${count}`,
        )
      }
      const counted = await search({ count: 0 })
      assert.equal(counted.body.totalResults, 6)
      assert.deepEqual(counted.body.Resources, [])

      const named = await search({ filter: 'displayName sw "v"' })
      assert.equal(named.status, 200, JSON.stringify(named.body))
      assert.equal(named.body.totalResults, 2)
      assert.deepEqual(
        named.body.Resources.map((resource: { schemas: string[]; displayName: string }) => [
          resource.schemas[0],
          resource.displayName,
        ]),
        [
          [USER, 'Victor Vance'],
          [GROUP, 'Vendors'],
        ],
      )
      const byUserName = await search({ filter: 'userName eq "URSULA"' })
      assert.equal(byUserName.body.totalResults, 1)
      assert.deepEqual(
        byUserName.body.Resources.map((resource: { userName: string }) => resource.userName),
        ['ursula'],
      )
      const withMembers = await search({ filter: 'members pr' })
      assert.deepEqual(
        withMembers.body.Resources.map((resource: { displayName: string }) => resource.displayName).sort(),
        ['Vendors', 'admin'],
        'a filter only groups understand finds groups only',
      )
      // RFC 7644 §3.4.2.1: an attribute a type lacks has no value there.
      const either = await search({ filter: 'displayName eq "Vendors" or userName eq "ursula"' })
      assert.deepEqual(userNamesOf(either), ['user ursula', 'group Vendors'])
      const notUsers = await search({ filter: 'not (userName pr)' })
      assert.deepEqual(userNamesOf(notUsers).sort(), ['group Ushers', 'group Vendors', 'group admin'])
      const allButUrsula = await search({ filter: 'userName ne "ursula"' })
      assert.deepEqual(userNamesOf(allButUrsula).sort(), [
        'group Ushers',
        'group Vendors',
        'group admin',
        'user admin',
        'user victor',
      ])
      const projected = await search({ filter: 'displayName sw "u"', attributes: ['displayName'] })
      assert.deepEqual(
        projected.body.Resources.map((resource: object) => Object.keys(resource).sort()),
        [
          ['displayName', 'id', 'schemas'],
          ['displayName', 'id', 'schemas'],
        ],
      )
      const userNames = userNamesOf
      const byUser = await search({ sortBy: 'userName', filter: 'not (displayName eq "admin")' })
      assert.equal(byUser.status, 200, JSON.stringify(byUser.body))
      assert.deepEqual(userNames(byUser), [
        'user admin',
        'user ursula',
        'user victor',
        'group Ushers',
        'group Vendors',
      ])
      const byUserDown = await search({ sortBy: 'userName', sortOrder: 'descending', filter: 'userName pr' })
      assert.deepEqual(userNames(byUserDown), ['user victor', 'user ursula', 'user admin'])
      const byName = await search({ sortBy: 'displayName', sortOrder: 'descending' })
      assert.deepEqual(
        userNames(byName),
        ['user admin', 'user victor', 'user ursula', 'group Vendors', 'group Ushers', 'group admin'],
        'each type sorted (a missing value first when descending), users first',
      )
      const byNamePage = await search({
        sortBy: 'displayName',
        sortOrder: 'descending',
        startIndex: 3,
        count: 2,
      })
      assert.deepEqual(userNames(byNamePage), ['user ursula', 'group Vendors'])
      assertScimError(await search({ filter: 'shoeSize gt 40' }), 400, 'invalidFilter')
      assertScimError(await search({ filter: 'userName eq' }), 400, 'invalidFilter')
      const unmarked = await call(h.app, {
        method: 'POST',
        url: '/scim2/.search',
        auth: h.adminAuth,
        payload: { filter: 'userName eq "ursula"' },
      })
      assertScimError(unmarked, 400, 'invalidSyntax')
      const anonymous = await call(h.app, {
        method: 'POST',
        url: '/scim2/.search',
        payload: { schemas: [SEARCH] },
      })
      assertScimError(anonymous, 401)
    })
  })
}
