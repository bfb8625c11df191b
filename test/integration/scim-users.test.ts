import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { publicUrl } from '../../src/config/semantics.ts'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { type Answer, assertProblem, bearer, call, scimCall } from '../support/http.ts'
import { snapshotStore } from '../support/store-snapshot.ts'
import { storeKinds } from '../support/stores.ts'

/** A 401 offers both schemes ServiceProviderConfig lists, bearer tokens first. */
const SCIM_CHALLENGES = ['Bearer realm="Rekey"', 'Basic realm="Rekey", charset="UTF-8"']

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const REKEY = 'urn:rekey:params:scim:schemas:extension:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'

const claim = (name: string) => `http://wso2.org/claims/${name}`
const FORCED_RESET = claim('identity/adminForcedPasswordReset')
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** `config.scim.max_results` here: small, so that capping `count` is visible with a few users. */
const MAX_RESULTS = 5

/** The request of the brief, byte for byte, as a provisioning client sends it. */
const REFERENCE_PATCH =
  '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], "Operations": [ {"op": "add","value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"forcePasswordReset": true}}}]}'

// RFC 7643 §8: the example resources, as the RFC prints them (the certificate's base64, which
// the RFC wraps over several lines, is one string).
const RFC_CERTIFICATE =
  'MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx' +
  'EzARBgNVBAgMCkNhbGlmb3JuaWExFDASBgNVBAoMC2V4YW1wbGUuY29tMRQwEgYD' +
  'VQQDDAtleGFtcGxlLmNvbTAeFw0xMTEwMjIwNjI0MzFaFw0xMjEwMDQwNjI0MzFa' +
  'MH8xCzAJBgNVBAYTAlVTMRMwEQYDVQQIDApDYWxpZm9ybmlhMRQwEgYDVQQKDAtl' +
  'eGFtcGxlLmNvbTEhMB8GA1UEAwwYTXMuIEJhcmJhcmEgSiBKZW5zZW4gSUlJMSIw' +
  'IAYJKoZIhvcNAQkBFhNiamVuc2VuQGV4YW1wbGUuY29tMIIBIjANBgkqhkiG9w0B' +
  'AQEFAAOCAQ8AMIIBCgKCAQEA7Kr+Dcds/JQ5GwejJFcBIP682X3xpjis56AK02bc' +
  '1FLgzdLI8auoR+cC9/Vrh5t66HkQIOdA4unHh0AaZ4xL5PhVbXIPMB5vAPKpzz5i' +
  'PSi8xO8SL7I7SDhcBVJhqVqr3HgllEG6UClDdHO7nkLuwXq8HcISKkbT5WFTVfFZ' +
  'zidPl8HZ7DhXkZIRtJwBweq4bvm3hM1Os7UQH05ZS6cVDgweKNwdLLrT51ikSQG3' +
  'DYrl+ft781UQRIqxgwqCfXEuDiinPh0kkvIi5jivVu1Z9QiwlYEdRbLJ4zJQBmDr' +
  'SGTMYn4lRc2HgHO4DqB/bnMVorHB0CC6AV1QoFK4GPe1LwIDAQABo3sweTAJBgNV' +
  'HRMEAjAAMCwGCWCGSAGG+EIBDQQfFh1PcGVuU1NMIEdlbmVyYXRlZCBDZXJ0aWZp' +
  'Y2F0ZTAdBgNVHQ4EFgQU8pD0U0vsZIsaA16lL8En8bx0F/gwHwYDVR0jBBgwFoAU' +
  'dGeKitcaF7gnzsNwDx708kqaVt0wDQYJKoZIhvcNAQEFBQADgYEAA81SsFnOdYJt' +
  'Ng5Tcq+/ByEDrBgnusx0jloUhByPMEVkoMZ3J7j1ZgI8rAbOkNngX8+pKfTiDz1R' +
  'C4+dx8oU6Za+4NJXUjlL5CvV6BEYb1+QAEJwitTVvxB/A67g42/vzgAtoRUeDov1' +
  '+GFiBZ+GNF/cAYKcMtGcrs2i97ZkJMo='

/** §8.1 Minimal User Representation. */
const RFC_MINIMAL_USER = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: '2819c223-7f76-453a-919d-413861904646',
  userName: 'bjensen@example.com',
  meta: {
    resourceType: 'User',
    created: '2010-01-23T04:56:22Z',
    lastModified: '2011-05-13T04:42:34Z',
    version: 'W/"3694e05e9dff590"',
    location: 'https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646',
  },
}

/** §8.2 Full User Representation. */
const RFC_FULL_USER = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: '2819c223-7f76-453a-919d-413861904646',
  externalId: '701984',
  userName: 'bjensen@example.com',
  name: {
    formatted: 'Ms. Barbara J Jensen, III',
    familyName: 'Jensen',
    givenName: 'Barbara',
    middleName: 'Jane',
    honorificPrefix: 'Ms.',
    honorificSuffix: 'III',
  },
  displayName: 'Babs Jensen',
  nickName: 'Babs',
  profileUrl: 'https://login.example.com/bjensen',
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  addresses: [
    {
      type: 'work',
      streetAddress: '100 Universal City Plaza',
      locality: 'Hollywood',
      region: 'CA',
      postalCode: '91608',
      country: 'USA',
      formatted: '100 Universal City Plaza\nHollywood, CA 91608 USA',
      primary: true,
    },
    {
      type: 'home',
      streetAddress: '456 Hollywood Blvd',
      locality: 'Hollywood',
      region: 'CA',
      postalCode: '91608',
      country: 'USA',
      formatted: '456 Hollywood Blvd\nHollywood, CA 91608 USA',
    },
  ],
  phoneNumbers: [
    { value: '555-555-5555', type: 'work' },
    { value: '555-555-4444', type: 'mobile' },
  ],
  ims: [{ value: 'someaimhandle', type: 'aim' }],
  photos: [
    { value: 'https://photos.example.com/profilephoto/72930000000Ccne/F', type: 'photo' },
    { value: 'https://photos.example.com/profilephoto/72930000000Ccne/T', type: 'thumbnail' },
  ],
  userType: 'Employee',
  title: 'Tour Guide',
  preferredLanguage: 'en-US',
  locale: 'en-US',
  timezone: 'America/Los_Angeles',
  active: true,
  password: 't1meMa$heen',
  groups: [
    {
      value: 'e9e30dba-f08f-4109-8486-d5c6a331660a',
      $ref: 'https://example.com/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a',
      display: 'Tour Guides',
    },
    {
      value: 'fc348aa8-3835-40eb-a20b-c726e15c55b5',
      $ref: 'https://example.com/v2/Groups/fc348aa8-3835-40eb-a20b-c726e15c55b5',
      display: 'Employees',
    },
    {
      value: '71ddacd2-a8e7-49b8-a5db-ae50d0a5bfd7',
      $ref: 'https://example.com/v2/Groups/71ddacd2-a8e7-49b8-a5db-ae50d0a5bfd7',
      display: 'US Employees',
    },
  ],
  x509Certificates: [{ value: RFC_CERTIFICATE }],
  meta: {
    resourceType: 'User',
    created: '2010-01-23T04:56:22Z',
    lastModified: '2011-05-13T04:42:34Z',
    version: 'W/"a330bc54f0671c9"',
    location: 'https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646',
  },
}

/**
 * §8.3 Enterprise User Extension Representation: the §8.2 user with the extension listed in
 * `schemas` and filled in, group references relative, and its own `meta.version`.
 */
const RFC_ENTERPRISE_USER = {
  ...RFC_FULL_USER,
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
  groups: RFC_FULL_USER.groups.map((group) => ({ ...group, $ref: `../Groups/${group.value}` })),
  [ENTERPRISE]: {
    employeeNumber: '701984',
    costCenter: '4130',
    organization: 'Universal Studios',
    division: 'Theme Park',
    department: 'Tour Operations',
    manager: {
      value: '26118915-6090-4610-87e4-49d8ca9f808d',
      $ref: '../Users/26118915-6090-4610-87e4-49d8ca9f808d',
      displayName: 'John Smith',
    },
  },
  meta: { ...RFC_FULL_USER.meta, version: 'W/"3694e05e9dff591"' },
}

/**
 * What Rekey answers for an RFC example it was sent, leaving out `id`, `meta` and the Rekey
 * extension (checked on their own). Where the answer differs from the example, by design:
 * - `id` and `meta` are the server's (RFC 7643 §3.1); those in the request are ignored.
 * - `password` is writeOnly and returned never (§4.1.1); it is checked by signing in instead.
 * - `groups` is readOnly (membership changes through /Groups), so the example's are ignored.
 * - `active` is always answered; without one in the request, the user is active.
 * - `phoneNumbers`, `ims`, `photos`: when no element is marked primary, the first becomes
 *   primary, since one claim holds the primary value the rest of Rekey reads (user-mapping.ts).
 * - enterprise `manager`: `displayName` is readOnly and not stored; `$ref` is the server's
 *   absolute URL of the manager's id, the client's relative one is ignored.
 * - the Rekey extension (`accountLocked`, `passwordLastChanged`) is added by the server.
 * - sub-attributes the schema lacks, such as a `display` of emails or phoneNumbers (not in
 *   these examples), are not stored; a separate test sends one.
 */
function answerFor(example: Record<string, unknown>, scimBase: string): Record<string, unknown> {
  const expected: Record<string, unknown> = structuredClone(example)
  for (const ignored of ['id', 'meta', 'password', 'groups']) delete expected[ignored]
  expected.active ??= true
  for (const name of ['phoneNumbers', 'ims', 'photos']) {
    const elements = expected[name] as Array<Record<string, unknown>> | undefined
    if (elements && !elements.some((element) => element.primary)) elements[0]!.primary = true
  }
  const enterprise = expected[ENTERPRISE] as Record<string, Record<string, unknown>> | undefined
  if (enterprise?.manager) {
    delete enterprise.manager.displayName
    enterprise.manager.$ref = `${scimBase}/Users/${enterprise.manager.value}`
  }
  return expected
}

/** The resource without what the server alone decides (`id`, `meta`, the Rekey extension). */
function clientPart(resource: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, meta: _meta, [REKEY]: _rekey, ...rest } = resource
  return { ...rest, schemas: (resource.schemas as string[]).filter((urn) => urn !== REKEY) }
}

function withoutMeta(resource: Record<string, unknown>): Record<string, unknown> {
  const { meta: _meta, ...rest } = resource
  return rest
}

/** A SCIM error answer (RFC 7644 §3.12): status as a string, the given scimType, a detail. */
function assertScimError(answer: Answer, status: number, scimType?: string): void {
  assert.equal(
    answer.status,
    status,
    `expected ${status} ${scimType ?? ''}, got ${answer.status}: ${JSON.stringify(answer.body)}`,
  )
  assert.match(String(answer.headers['content-type']), /^application\/scim\+json/)
  assert.deepEqual(answer.body.schemas, [ERROR])
  assert.equal(answer.body.status, String(status))
  assert.equal(answer.body.scimType, scimType, JSON.stringify(answer.body))
  assert.equal(typeof answer.body.detail, 'string')
  assert.ok(answer.body.detail.length > 0)
}

/** The password appears nowhere in an answer, neither as a value nor as an attribute. */
function assertNoPassword(answer: Answer, password: string): void {
  const text = JSON.stringify(answer.body)
  assert.ok(!text.includes(password), `the password is in the answer: ${text}`)
  assert.ok(!/"password"\s*:/i.test(text), `a password attribute is in the answer: ${text}`)
}

const isoInstant = (value: unknown) => typeof value === 'string' && new Date(value).toISOString() === value
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
// biome-ignore lint/suspicious/noExplicitAny: SCIM resources are JSON, asserted field by field
type Resource = Record<string, any>

for (const kind of storeKinds) {
  describe(`${kind.kind}: SCIM Users over HTTP`, { skip: kind.skip }, () => {
    let h: Harness
    let base: string

    /** A SCIM request; bodies go as application/scim+json, with the default admin's credentials. */
    const scim = (
      method: Method,
      url: string,
      body?: unknown,
      options: { auth?: string; headers?: Record<string, string> } = {},
    ): Promise<Answer> =>
      scimCall(h.app, method, url, body, { auth: options.auth ?? h.adminAuth, headers: options.headers })
    const createUser = async (body: Resource): Promise<Resource> => {
      const created = await scim('POST', '/scim2/Users', { schemas: [CORE], ...body })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      return created.body
    }
    const getUser = (id: string, headers: Record<string, string> = {}) =>
      scim('GET', `/scim2/Users/${id}`, undefined, { headers })
    const patchUser = (id: string, operations: unknown[], headers: Record<string, string> = {}) =>
      scim('PATCH', `/scim2/Users/${id}`, { schemas: [PATCH_OP], Operations: operations }, { headers })
    const patched = async (id: string, operations: unknown[]): Promise<Resource> => {
      const answer = await patchUser(id, operations)
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      assert.equal(answer.headers.etag, answer.body.meta.version)
      return answer.body
    }
    const adminUser = async (id: string): Promise<Resource> => {
      const answer = await call(h.app, { method: 'GET', url: `/api/admin/users/${id}`, auth: h.adminAuth })
      assert.equal(answer.status, 200)
      return answer.body
    }
    const login = (username: string, password: string) =>
      call(h.app, { method: 'POST', url: '/api/auth/login', payload: { username, password } })
    const sessionStatus = async (token: string) =>
      (await call(h.app, { method: 'GET', url: '/api/auth/session', auth: bearer(token) })).status
    const grantLogin = async (id: string) => {
      const granted = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles/member/members',
        auth: h.adminAuth,
        payload: { users: [id] },
      })
      assert.equal(granted.status, 200)
    }
    const snapshot = () => snapshotStore(h.container.store.db)

    before(async () => {
      h = await openHarness(kind, { env: { REKEY_SCIM_MAX_RESULTS: String(MAX_RESULTS) } })
      base = `${publicUrl(h.config)}/scim2`
      const role = await call(h.app, {
        method: 'POST',
        url: '/api/admin/roles',
        auth: h.adminAuth,
        payload: { name: 'member', permissions: ['login'] },
      })
      assert.equal(role.status, 201)
    })
    after(async () => h?.close())

    describe('create, read, replace, delete', () => {
      const CAROL_PASSWORD = 'carol-passphrase-1'
      let carol: Resource

      it('POST /Users (application/scim+json): 201 with Location, ETag W/"1" and meta; no password', async () => {
        const started = Date.now()
        const answer = await scim('POST', '/scim2/Users', {
          schemas: [CORE],
          userName: 'carol',
          password: CAROL_PASSWORD,
          externalId: 'hr-0001',
          name: { givenName: 'Carol', familyName: 'Danvers' },
          title: 'Pilot',
          emails: [{ value: 'carol@example.com', type: 'work', primary: true }],
        })
        assert.equal(answer.status, 201, JSON.stringify(answer.body))
        assert.match(String(answer.headers['content-type']), /^application\/scim\+json/)
        carol = answer.body
        assert.match(carol.id, UUID)
        assert.equal(answer.headers.location, `${base}/Users/${carol.id}`)
        assert.equal(answer.headers.etag, 'W/"1"')
        assert.deepEqual(Object.keys(carol.meta).sort(), [
          'created',
          'lastModified',
          'location',
          'resourceType',
          'version',
        ])
        assert.equal(carol.meta.resourceType, 'User')
        assert.equal(carol.meta.location, `${base}/Users/${carol.id}`)
        assert.equal(carol.meta.version, 'W/"1"')
        assert.ok(isoInstant(carol.meta.created), carol.meta.created)
        assert.equal(carol.meta.lastModified, carol.meta.created)
        const created = Date.parse(carol.meta.created)
        assert.ok(created >= started - 1000 && created <= Date.now() + 1000, carol.meta.created)
        assert.deepEqual(carol.schemas, [CORE, REKEY])
        assert.equal(carol.userName, 'carol')
        assert.equal(carol.externalId, 'hr-0001')
        assert.deepEqual(carol.name, { givenName: 'Carol', familyName: 'Danvers' })
        assert.equal(carol.title, 'Pilot')
        assert.deepEqual(carol.emails, [{ value: 'carol@example.com', type: 'work', primary: true }])
        assert.equal(carol.active, true)
        assert.equal(carol[REKEY].accountLocked, false)
        assert.ok(isoInstant(carol[REKEY].passwordLastChanged), 'the password was set')
        assert.equal(carol.groups, undefined)
        assertNoPassword(answer, CAROL_PASSWORD)
      })

      it('POST /Users with application/json works the same', async () => {
        const answer = await call(h.app, {
          method: 'POST',
          url: '/scim2/Users',
          auth: h.adminAuth,
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ schemas: [CORE], userName: 'dave', displayName: 'Dave' }),
        })
        assert.equal(answer.status, 201, JSON.stringify(answer.body))
        assert.match(String(answer.headers['content-type']), /^application\/scim\+json/)
        assert.equal(answer.headers.etag, 'W/"1"')
        assert.equal(answer.headers.location, `${base}/Users/${answer.body.id}`)
        assert.equal(answer.body.userName, 'dave')
        assert.equal(answer.body.displayName, 'Dave')
        assert.deepEqual(
          answer.body[REKEY],
          { accountLocked: false },
          'no password, so no passwordLastChanged',
        )
      })

      it('the password is never returned: not by GET, list, search, PATCH, nor when asked for', async () => {
        const filter = encodeURIComponent('userName eq "carol"')
        const answers = [
          await getUser(carol.id),
          await scim('GET', `/scim2/Users?filter=${filter}`),
          await scim('POST', '/scim2/Users/.search', { schemas: [SEARCH], filter: 'userName eq "carol"' }),
          await patchUser(carol.id, [{ op: 'add', path: 'nickName', value: 'Captain' }]),
          await scim('PUT', `/scim2/Users/${carol.id}`, {
            ...withoutMeta(carol),
            nickName: 'Captain',
            password: CAROL_PASSWORD,
          }),
          await scim('GET', `/scim2/Users/${carol.id}?attributes=password`),
          await scim('GET', `/scim2/Users?filter=${filter}&attributes=password,userName`),
        ]
        for (const answer of answers) {
          assert.equal(answer.status, 200, JSON.stringify(answer.body))
          assertNoPassword(answer, CAROL_PASSWORD)
        }
        assert.equal(answers[1]!.body.totalResults, 1)
        assert.equal(answers[2]!.body.totalResults, 1)
        assert.deepEqual(answers[5]!.body, { schemas: [CORE], id: carol.id }, 'password is returned never')
      })

      it('sign-in with the SCIM password works only once the user holds a role with login', async () => {
        assertProblem(await login('carol', CAROL_PASSWORD), 403, 'auth.login-not-permitted')
        await grantLogin(carol.id)
        const signedIn = await login('carol', CAROL_PASSWORD)
        assert.equal(signedIn.status, 200)
        assert.equal(signedIn.body.user.id, carol.id)
        assertProblem(await login('carol', 'not-carols-password'), 401, 'auth.failed')
        const [group, ...others] = (await getUser(carol.id)).body.groups
        assert.deepEqual(others, [], 'one role, one group')
        assert.deepEqual(
          group,
          { value: group.value, $ref: `${base}/Groups/${group.value}`, display: 'member', type: 'direct' },
          'the role shows as a group',
        )
      })

      it('GET /Users/{id} answers the stored resource and its ETag; unknown ids are 404 SCIM errors', async () => {
        const erin = await createUser({ userName: 'erin', title: 'Auditor', active: false })
        const read = await getUser(erin.id)
        assert.equal(read.status, 200)
        assert.equal(read.headers.etag, 'W/"1"')
        assert.match(String(read.headers['content-type']), /^application\/scim\+json/)
        assert.deepEqual(read.body, erin)
        assert.equal(read.body.active, false)
        assert.equal((await adminUser(erin.id)).status, 'disabled')
        assertScimError(await getUser(randomUUID()), 404)
        assertScimError(await getUser('not-an-id'), 404)
      })

      it('PUT replaces: attributes absent from the body are cleared, readOnly ones ignored', async () => {
        const frank = await createUser({
          userName: 'frank',
          externalId: 'hr-0007',
          title: 'Clerk',
          nickName: 'Frankie',
          name: { givenName: 'Frank', familyName: 'Castle' },
          emails: [{ value: 'frank@example.com', type: 'work' }],
          phoneNumbers: [{ value: '+1 555 0101', type: 'mobile' }],
          [ENTERPRISE]: { department: 'Archive', employeeNumber: '7' },
        })
        const replaced = await scim('PUT', `/scim2/Users/${frank.id}`, {
          schemas: [CORE, ENTERPRISE, REKEY],
          id: randomUUID(),
          userName: 'frank',
          name: { familyName: 'Castle' },
          displayName: 'F. Castle',
          meta: { created: '2000-01-01T00:00:00Z', version: 'W/"99"', resourceType: 'Group' },
          groups: [{ value: randomUUID(), display: 'Invented' }],
          [REKEY]: { lockedReason: 'invented', passwordLastChanged: '2000-01-01T00:00:00Z' },
        })
        assert.equal(replaced.status, 200, JSON.stringify(replaced.body))
        assert.equal(replaced.headers.etag, 'W/"2"')
        assert.equal(replaced.body.meta.version, 'W/"2"')
        assert.equal(replaced.body.meta.created, frank.meta.created)
        assert.equal(replaced.body.meta.resourceType, 'User')
        assert.ok(replaced.body.meta.lastModified >= frank.meta.lastModified)
        assert.deepEqual(withoutMeta(replaced.body), {
          schemas: [CORE, REKEY],
          id: frank.id,
          userName: 'frank',
          name: { familyName: 'Castle' },
          displayName: 'F. Castle',
          active: true,
          [REKEY]: { accountLocked: false },
        })
        assert.deepEqual((await getUser(frank.id)).body, replaced.body)
        assert.deepEqual((await adminUser(frank.id)).claims, {
          [claim('lastname')]: 'Castle',
          [claim('displayName')]: 'F. Castle',
        })
      })

      it('DELETE answers 204; then GET, PUT, PATCH and DELETE are 404', async () => {
        const gone = await createUser({ userName: 'gone', title: 'Temporary' })
        const deleted = await scim('DELETE', `/scim2/Users/${gone.id}`)
        assert.equal(deleted.status, 204)
        assert.equal(deleted.body, undefined)
        assertScimError(await getUser(gone.id), 404)
        assertScimError(
          await scim('PUT', `/scim2/Users/${gone.id}`, { schemas: [CORE], userName: 'gone' }),
          404,
        )
        assertScimError(await patchUser(gone.id, [{ op: 'add', path: 'title', value: 'Back' }]), 404)
        assertScimError(await scim('DELETE', `/scim2/Users/${gone.id}`), 404)
        assertProblem(
          await call(h.app, { method: 'GET', url: `/api/admin/users/${gone.id}`, auth: h.adminAuth }),
          404,
          'user.not-found',
        )
      })
    })

    describe('the reference forcePasswordReset PATCH', () => {
      it('starts the forced reset: flag, lock, pending mode, queued email and audit events', async () => {
        const user = await createUser({ userName: 'reset-me', emails: [{ value: 'reset@example.com' }] })
        const answer = await call(h.app, {
          method: 'PATCH',
          url: `/scim2/Users/${user.id}`,
          auth: h.adminAuth,
          headers: { 'content-type': 'application/json' },
          payload: REFERENCE_PATCH,
        })
        assert.equal(answer.status, 200, JSON.stringify(answer.body))
        assert.match(String(answer.headers['content-type']), /^application\/scim\+json/)
        const read = await getUser(user.id)
        assert.equal(answer.headers.etag, read.headers.etag, 'the answer carries the stored version')
        assert.notEqual(answer.headers.etag, 'W/"1"')
        assert.deepEqual(answer.body.schemas, [CORE, ENTERPRISE, REKEY])
        assert.deepEqual(answer.body[ENTERPRISE], { forcePasswordReset: true })
        assert.deepEqual(answer.body[REKEY], {
          accountLocked: true,
          lockedReason: 'reset-pending',
          pendingResetMode: 'email-link',
        })
        assert.deepEqual(withoutMeta(answer.body), {
          ...withoutMeta(user),
          schemas: [CORE, ENTERPRISE, REKEY],
          [ENTERPRISE]: { forcePasswordReset: true },
          [REKEY]: answer.body[REKEY],
        })
        const stored = await adminUser(user.id)
        assert.equal(stored.claims[FORCED_RESET], 'true')
        assert.equal(stored.status, 'locked')
        const auditOf = async (action: string) => {
          const audit = await call(h.app, {
            method: 'GET',
            url: `/api/admin/audit?action=${action}&target=${user.id}`,
            auth: h.adminAuth,
          })
          assert.equal(audit.status, 200)
          return audit.body.events
        }
        assert.deepEqual(await auditOf('user.updated'), [], "the reset's own event is the write's record")
        const [forced, ...moreForced] = await auditOf('user.reset-forced')
        assert.equal(moreForced.length, 0)
        assert.equal(forced.actor, 'user:admin')
        assert.equal(forced.detail.channel, 'scim')
        assert.equal(forced.detail.mode, 'email-link')
        const mail = await call(h.app, { method: 'GET', url: '/api/admin/outbox', auth: h.adminAuth })
        assert.ok(
          mail.body.messages.some(
            (message: { type: string; to: string }) =>
              message.type === 'AdminForcedPasswordReset' && message.to === 'reset@example.com',
          ),
          JSON.stringify(mail.body),
        )
        const found = await scim(
          'GET',
          `/scim2/Users?filter=${encodeURIComponent(`${ENTERPRISE}:forcePasswordReset eq true and userName eq "reset-me"`)}`,
        )
        assert.deepEqual(
          found.body.Resources.map((resource: Resource) => resource.id),
          [user.id],
        )
        const again = await call(h.app, {
          method: 'PATCH',
          url: `/scim2/Users/${user.id}`,
          auth: h.adminAuth,
          headers: { 'content-type': 'application/json' },
          payload: REFERENCE_PATCH,
        })
        assert.equal(again.status, 200)
        assert.equal(again.headers.etag, answer.headers.etag, 'the same request again changes nothing')
        assert.equal((await auditOf('user.reset-forced')).length, 1, 'and sends nothing new')

        const cancelled = await call(h.app, {
          method: 'PATCH',
          url: `/scim2/Users/${user.id}`,
          auth: h.adminAuth,
          headers: { 'content-type': 'application/json' },
          payload: {
            schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
            Operations: [{ op: 'replace', value: { [ENTERPRISE]: { forcePasswordReset: false } } }],
          },
        })
        assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body))
        assert.deepEqual(cancelled.body[ENTERPRISE], { forcePasswordReset: false })
        assert.deepEqual(cancelled.body[REKEY], { accountLocked: false })
        assert.equal((await adminUser(user.id)).status, 'active')
        assert.equal((await auditOf('user.reset-cancelled')).length, 1)
        assert.deepEqual(await auditOf('user.updated'), [])

        // The flag beside another change: the reset's event, and user.updated for the write.
        const both = await patchUser(user.id, [
          { op: 'replace', path: 'title', value: 'Reset with a new title' },
          { op: 'replace', path: `${ENTERPRISE}:forcePasswordReset`, value: true },
        ])
        assert.equal(both.status, 200, JSON.stringify(both.body))
        assert.equal((await auditOf('user.reset-forced')).length, 2)
        const [updated, ...moreUpdates] = await auditOf('user.updated')
        assert.equal(moreUpdates.length, 0)
        assert.equal(updated.actor, 'user:admin')
        assert.equal(updated.detail.via, 'scim')
        assert.deepEqual(updated.detail.claims.sort(), [FORCED_RESET, 'http://wso2.org/claims/title'].sort())
      })

      it('refuses the flag without reset:force and a reset that has no email to go to, changing nothing', async () => {
        const token = await call(h.app, {
          method: 'POST',
          url: '/api/admin/tokens',
          auth: h.adminAuth,
          payload: { name: 'profile-editor', scopes: ['users:read', 'users:write'] },
        })
        assert.equal(token.status, 201)
        const editor = await createUser({ userName: 'edit-only', emails: [{ value: 'e@example.com' }] })
        const forbidden = await call(h.app, {
          method: 'PATCH',
          url: `/scim2/Users/${editor.id}`,
          auth: bearer(token.body.token),
          headers: { 'content-type': 'application/json' },
          payload: REFERENCE_PATCH,
        })
        assert.equal(forbidden.status, 403, JSON.stringify(forbidden.body))
        assert.equal(forbidden.body.status, '403')
        assert.equal((await getUser(editor.id)).headers.etag, 'W/"1"')
        assert.equal((await adminUser(editor.id)).status, 'active')

        const user = await createUser({ userName: 'no-mail-user' })
        const refused = await call(h.app, {
          method: 'PATCH',
          url: `/scim2/Users/${user.id}`,
          auth: h.adminAuth,
          headers: { 'content-type': 'application/json' },
          payload: REFERENCE_PATCH,
        })
        assert.equal(refused.status, 409, JSON.stringify(refused.body))
        assert.deepEqual(refused.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'])
        assert.equal(refused.body.status, '409')
        const after = await getUser(user.id)
        assert.equal(after.headers.etag, 'W/"1"', 'nothing was stored')
        assert.equal((await adminUser(user.id)).status, 'active')
      })
    })

    describe('RFC 7643 §8 example resources round-trip', () => {
      /** POST, then GET; both answer the example as `answerFor` describes it. */
      async function roundTrip(example: Resource): Promise<Resource> {
        const created = await scim('POST', '/scim2/Users', example)
        assert.equal(created.status, 201, JSON.stringify(created.body))
        const read = await getUser(created.body.id)
        assert.deepEqual(read.body, created.body, 'GET answers what POST answered')
        const user = read.body
        assert.deepEqual(clientPart(user), answerFor(example, base))
        assert.match(user.id, UUID)
        assert.notEqual(user.id, example.id)
        assert.equal(user.meta.version, 'W/"1"')
        assert.equal(user.meta.location, `${base}/Users/${user.id}`)
        assert.notEqual(user.meta.created, example.meta.created)
        assert.equal(user[REKEY].accountLocked, false)
        assert.equal(user.groups, undefined, 'groups in a request are ignored')
        return user
      }
      const remove = async (id: string) =>
        assert.equal((await scim('DELETE', `/scim2/Users/${id}`)).status, 204)

      it('§8.1 minimal user', async () => {
        const user = await roundTrip(RFC_MINIMAL_USER)
        assert.deepEqual(withoutMeta(user), {
          schemas: [CORE, REKEY],
          id: user.id,
          userName: 'bjensen@example.com',
          active: true,
          [REKEY]: { accountLocked: false },
        })
        await remove(user.id)
      })

      it('§8.2 full user, whose password then signs in', async () => {
        const user = await roundTrip(RFC_FULL_USER)
        assert.deepEqual(user.schemas, [CORE, REKEY])
        assert.ok(isoInstant(user[REKEY].passwordLastChanged))
        await grantLogin(user.id)
        assert.equal((await login('bjensen@example.com', RFC_FULL_USER.password)).status, 200)
        const claims = (await adminUser(user.id)).claims
        assert.equal(claims[claim('emailaddress')], 'bjensen@example.com')
        assert.equal(claims[claim('x509Certificates')], JSON.stringify([RFC_CERTIFICATE]))
        await remove(user.id)
      })

      it('§8.3 enterprise user', async () => {
        const user = await roundTrip(RFC_ENTERPRISE_USER)
        assert.deepEqual(user.schemas, [CORE, ENTERPRISE, REKEY])
        assert.deepEqual(user[ENTERPRISE].manager, {
          value: '26118915-6090-4610-87e4-49d8ca9f808d',
          $ref: `${base}/Users/26118915-6090-4610-87e4-49d8ca9f808d`,
        })
        const claims = (await adminUser(user.id)).claims
        assert.equal(claims[claim('employeeNumber')], '701984')
        assert.equal(claims[claim('manager')], '26118915-6090-4610-87e4-49d8ca9f808d')
        await remove(user.id)
      })

      it('sub-attributes the schema lacks (display of emails and phoneNumbers) are not stored', async () => {
        const user = await createUser({
          userName: 'displays',
          emails: [{ value: 'displays@example.com', type: 'work', primary: true, display: 'Work mail' }],
          phoneNumbers: [{ value: '+1 555 0110', type: 'work', display: 'Desk' }],
        })
        assert.deepEqual(user.emails, [{ value: 'displays@example.com', type: 'work', primary: true }])
        assert.deepEqual(user.phoneNumbers, [{ value: '+1 555 0110', type: 'work', primary: true }])
      })
    })

    describe('claim mapping shared with the admin API', () => {
      it('a primary email set through SCIM is the emailaddress claim of the admin API', async () => {
        const user = await createUser({
          userName: 'mapped',
          emails: [
            { value: 'mapped.work@example.com', type: 'work' },
            { value: 'mapped.home@example.com', type: 'home', primary: true },
          ],
        })
        const claims = (await adminUser(user.id)).claims
        assert.equal(claims[claim('emailaddress')], 'mapped.home@example.com')
        assert.equal(claims[claim('emails.work')], 'mapped.work@example.com')
        assert.equal(claims[claim('emails.home')], 'mapped.home@example.com')
      })

      it('claims set through the admin API appear in the SCIM resource, under a new version', async () => {
        const user = await createUser({ userName: 'admin-made', title: 'Intern' })
        const changed = await call(h.app, {
          method: 'PATCH',
          url: `/api/admin/users/${user.id}`,
          auth: h.adminAuth,
          payload: {
            claims: {
              [claim('givenname')]: 'Mia',
              [claim('lastname')]: 'Wong',
              [claim('mobile')]: '+1 555 0199',
              [claim('title')]: 'Analyst',
              [claim('emailaddress')]: 'mia@example.com',
              [claim('department')]: 'Research',
            },
          },
        })
        assert.equal(changed.status, 200)
        const stale = await getUser(user.id, { 'if-none-match': 'W/"1"' })
        assert.equal(stale.status, 200, 'the admin API write moved the SCIM version')
        const read = await getUser(user.id)
        assert.equal(read.headers.etag, 'W/"2"')
        assert.deepEqual(read.body.name, { givenName: 'Mia', familyName: 'Wong' })
        assert.deepEqual(read.body.phoneNumbers, [{ value: '+1 555 0199', type: 'mobile' }])
        assert.equal(read.body.title, 'Analyst')
        assert.deepEqual(read.body.emails, [{ value: 'mia@example.com', primary: true }])
        assert.deepEqual(read.body[ENTERPRISE], { department: 'Research' })
      })
    })

    describe('filters, sorting, paging and projection', () => {
      /** Four users the filters pick from; their user names start with "f-", no one else's do. */
      const cohortBodies: Record<string, Resource> = {
        a: {
          userName: 'F-Alice',
          externalId: 'X-A',
          name: { givenName: 'Alice' },
          title: 'Engineer',
          emails: [
            { value: 'alice@x.example', type: 'work', primary: true },
            { value: 'alice@home.example', type: 'home' },
          ],
          [ENTERPRISE]: { employeeNumber: '100', forcePasswordReset: true },
        },
        b: {
          userName: 'f-bob',
          externalId: 'x-b',
          title: 'Manager',
          active: false,
          emails: [{ value: 'bob@y.example', type: 'work' }],
          [ENTERPRISE]: { employeeNumber: '200' },
        },
        c: {
          userName: 'f-cara',
          [ENTERPRISE]: { employeeNumber: '300', forcePasswordReset: false },
          [REKEY]: { accountLocked: true },
        },
        d: { userName: 'f-dan', title: 'Engineer', emails: [{ value: 'dan@x.example', type: 'other' }] },
      }
      const cohort: Record<string, Resource> = {}
      const letterOf = new Map<string, string>()
      const letters = (answer: Answer) =>
        answer.body.Resources.map((resource: Resource) => letterOf.get(resource.id) ?? '?').join('')
      const list = async (query: string) => {
        const answer = await scim('GET', `/scim2/Users?${query}`)
        assert.equal(answer.status, 200, `${query}: ${JSON.stringify(answer.body)}`)
        assert.deepEqual(answer.body.schemas, [LIST])
        return answer
      }
      const cohortOnly = `filter=${encodeURIComponent('userName sw "f-"')}`
      /** The cohort members `filter` selects, as sorted letters. */
      const matching = async (filter: string) => {
        const answer = await list(`filter=${encodeURIComponent(`userName sw "f-" and (${filter})`)}`)
        assert.equal(answer.body.totalResults, answer.body.Resources.length)
        return [...letters(answer)].sort().join('')
      }
      const expectMatches = async (cases: Array<[filter: string, expected: string]>) => {
        for (const [filter, expected] of cases) assert.equal(await matching(filter), expected, filter)
      }

      before(async () => {
        for (const [letter, body] of Object.entries(cohortBodies)) {
          const user = await createUser(body)
          cohort[letter] = user
          letterOf.set(user.id, letter)
          // Distinct creation instants, so that date comparisons can tell the users apart.
          await pause(5)
        }
      })

      it('compares with eq, ne, co, sw, ew, gt, ge, lt, le and pr', async () => {
        await expectMatches([
          ['userName eq "f-bob"', 'b'],
          ['userName ne "f-bob"', 'acd'],
          ['title co "gine"', 'ad'],
          ['title sw "eng"', 'ad'],
          ['title ew "GER"', 'b'],
          ['title gt "F"', 'b'],
          ['title ge "Manager"', 'b'],
          ['title lt "Manager"', 'ad'],
          ['title le "Engineer"', 'ad'],
          ['title pr', 'abd'],
          ['title eq null', 'c'],
          ['emails pr', 'abd'],
          ['name.givenName pr', 'a'],
          ['meta.resourceType eq "User"', 'abcd'],
        ])
      })

      it('combines with and, or, not and parentheses (and binds tighter than or)', async () => {
        await expectMatches([
          ['title eq "Engineer" or title eq "Manager"', 'abd'],
          ['not (title pr)', 'c'],
          ['not (title eq "Engineer") and not (userName eq "f-cara")', 'b'],
          ['title eq "Manager" or title eq "Engineer" and emails[type eq "other"]', 'bd'],
          ['(title eq "Manager" or title eq "Engineer") and emails[type eq "other"]', 'd'],
          ['not (title eq "Manager" or emails pr)', 'c'],
        ])
        const ungrouped = await list(
          `filter=${encodeURIComponent('userName eq "f-dan" or userName eq "f-bob" and active eq true')}`,
        )
        assert.equal(letters(ungrouped), 'd', 'f-bob is inactive; and binds tighter than or')
      })

      it('matches value paths and sub-attributes of multi-valued attributes', async () => {
        await expectMatches([
          ['emails[type eq "work" and value co "@x"]', 'a'],
          ['emails[type eq "work" and value co "@X.EXAMPLE"]', 'a'],
          ['emails[type eq "home"]', 'a'],
          ['emails[type eq "work" or type eq "other"]', 'abd'],
          ['emails[not (type eq "work")]', 'ad'],
          ['emails[primary eq true and value sw "alice"]', 'a'],
          ['emails.value ew "@x.example"', 'ad'],
          ['emails.type eq "other"', 'd'],
          ['emails eq "bob@y.example"', 'b'],
        ])
      })

      it('names attributes case-insensitively and honours caseExact', async () => {
        await expectMatches([
          ['USERNAME eq "F-ALICE"', 'a'],
          ['username eq "f-alice"', 'a'],
          ['Emails[Type eq "home"]', 'a'],
          ['externalId eq "X-A"', 'a'],
          ['externalId eq "x-a"', ''],
          ['EXTERNALID eq "x-b"', 'b'],
          [`id eq "${cohort.a!.id}"`, 'a'],
          [`id eq "${cohort.a!.id.toUpperCase()}"`, ''],
        ])
      })

      it('compares meta.created and meta.lastModified as instants', async () => {
        const [a, b, c] = [cohort.a!, cohort.b!, cohort.c!].map((user) => user.meta.created as string)
        assert.ok(a! < b! && b! < c!, 'the cohort was created in order')
        const sameInstantElsewhere = new Date(Date.parse(b!) + 3_600_000).toISOString().replace('Z', '+01:00')
        await expectMatches([
          [`meta.created gt "${a}"`, 'bcd'],
          [`meta.created ge "${b}"`, 'bcd'],
          [`meta.created lt "${b}"`, 'a'],
          [`meta.created le "${b}"`, 'ab'],
          [`meta.created eq "${c}"`, 'c'],
          [`meta.created eq "${sameInstantElsewhere}"`, 'b'],
          ['meta.lastModified gt "2000-01-01T00:00:00Z"', 'abcd'],
          ['meta.lastModified lt "2000-01-01T00:00:00Z"', ''],
          [`meta.lastModified ge "${a}" and meta.created lt "${c}"`, 'ab'],
        ])
      })

      it('compares booleans, also sent as "True"/"False" strings', async () => {
        await expectMatches([
          ['active eq true', 'acd'],
          ['active eq false', 'b'],
          ['active eq "True"', 'acd'],
          ['active eq "false"', 'b'],
          ['active ne true', 'b'],
          [`${ENTERPRISE}:forcePasswordReset eq true`, 'a'],
          [`${ENTERPRISE}:forcePasswordReset eq "True"`, 'a'],
          [`${ENTERPRISE}:forcePasswordReset eq false`, 'c'],
          [`${ENTERPRISE}:forcePasswordReset pr`, 'ac'],
          // a was created with forcePasswordReset: locked for the reset that started.
          [`${REKEY}:accountLocked eq true`, 'ac'],
          ['emails[primary eq "TRUE"]', 'abd'],
        ])
      })

      it('resolves URN-qualified attribute names', async () => {
        await expectMatches([
          [`${CORE}:userName eq "f-dan"`, 'd'],
          [`${CORE}:name.givenName eq "alice"`, 'a'],
          [`${ENTERPRISE}:employeeNumber gt "150"`, 'bc'],
          [`${ENTERPRISE.toUpperCase()}:EMPLOYEENUMBER eq "100"`, 'a'],
          [`${CORE}:emails[type eq "home"]`, 'a'],
        ])
      })

      it('sorts with sortBy and sortOrder; absent values sort last ascending, first descending', async () => {
        const sorted = async (query: string) => letters(await list(`${cohortOnly}&${query}`))
        assert.equal(await sorted('sortBy=userName'), 'abcd')
        assert.equal(await sorted('sortBy=USERNAME&sortOrder=DESCENDING'), 'dcba')
        assert.equal(await sorted(`sortBy=${ENTERPRISE}:employeeNumber`), 'abcd')
        assert.equal(await sorted(`sortBy=${ENTERPRISE}:employeeNumber&sortOrder=descending`), 'dcba')
        assert.equal(await sorted('sortBy=emails'), 'abdc', 'by the primary email; f-cara has none')
        assert.equal(await sorted('sortBy=meta.created'), 'abcd')
        assert.equal(await sorted('sortBy=meta.created&sortOrder=descending'), 'dcba')
        assert.equal(await sorted('sortBy=meta.lastModified'), 'abcd')
        const byTitle = await sorted('sortBy=title')
        assert.deepEqual([[...byTitle.slice(0, 2)].sort().join(''), byTitle.slice(2)], ['ad', 'bc'])
        const byTitleDescending = await sorted('sortBy=title&sortOrder=descending')
        assert.equal(byTitleDescending.slice(0, 2), 'cb')
      })

      it('pages with startIndex and count; count=0 gives only totalResults; count is capped', async () => {
        const page = async (query: string) => list(`${cohortOnly}&sortBy=userName&${query}`)
        const second = await page('startIndex=2&count=2')
        assert.deepEqual(
          [second.body.totalResults, second.body.itemsPerPage, second.body.startIndex, letters(second)],
          [4, 2, 2, 'bc'],
        )
        const last = await page('startIndex=4&count=2')
        assert.deepEqual([last.body.itemsPerPage, letters(last)], [1, 'd'])
        const beyond = await page('startIndex=9')
        assert.deepEqual(
          [beyond.body.totalResults, beyond.body.itemsPerPage, beyond.body.Resources],
          [4, 0, []],
        )
        const countOnly = await page('count=0')
        assert.deepEqual(
          [countOnly.body.totalResults, countOnly.body.itemsPerPage, countOnly.body.Resources],
          [4, 0, []],
        )
        const belowOne = await page('startIndex=0&count=-1')
        assert.deepEqual([belowOne.body.startIndex, belowOne.body.itemsPerPage], [1, 0])

        let total = (await list('count=0')).body.totalResults as number
        for (; total <= MAX_RESULTS; total++) await createUser({ userName: `cap-${total}` })
        const capped = await list('count=1000')
        assert.ok(capped.body.totalResults > MAX_RESULTS)
        assert.equal(capped.body.itemsPerPage, MAX_RESULTS)
        assert.equal(capped.body.Resources.length, MAX_RESULTS)
        const unasked = await list('')
        assert.equal(unasked.body.itemsPerPage, MAX_RESULTS, 'without count, a page is the maximum')
        const config = await scim('GET', '/scim2/ServiceProviderConfig', undefined, { auth: '' })
        assert.equal(config.body.filter.maxResults, MAX_RESULTS)
      })

      it('projects with attributes and excludedAttributes; id and schemas always come back', async () => {
        const { a, c } = cohort as Record<string, Resource>
        const picked = await list(`${cohortOnly}&sortBy=userName&attributes=userName,emails.value`)
        assert.deepEqual(picked.body.Resources[0], {
          schemas: [CORE],
          id: a!.id,
          userName: 'F-Alice',
          emails: [{ value: 'alice@x.example' }, { value: 'alice@home.example' }],
        })
        assert.deepEqual(picked.body.Resources[2], { schemas: [CORE], id: c!.id, userName: 'f-cara' })
        const extension = await list(`${cohortOnly}&sortBy=userName&attributes=${ENTERPRISE}:employeeNumber`)
        assert.deepEqual(extension.body.Resources[0], {
          schemas: [CORE, ENTERPRISE],
          id: a!.id,
          [ENTERPRISE]: { employeeNumber: '100' },
        })
        assert.deepEqual(extension.body.Resources[3], { schemas: [CORE], id: cohort.d!.id })
        // A schema URN alone names the whole schema (RFC 7644 §3.10), in any case.
        const whole = await scim('GET', `/scim2/Users/${a!.id}?attributes=${ENTERPRISE.toLowerCase()}`)
        assert.deepEqual(whole.body, { schemas: [CORE, ENTERPRISE], id: a!.id, [ENTERPRISE]: a![ENTERPRISE] })
        const core = await scim('GET', `/scim2/Users/${a!.id}?attributes=${CORE}`)
        assert.equal(core.body.userName, 'F-Alice')
        assert.equal(core.body[ENTERPRISE], undefined)
        const withoutExtension = await scim('GET', `/scim2/Users/${a!.id}?excludedAttributes=${ENTERPRISE}`)
        assert.equal(withoutExtension.body[ENTERPRISE], undefined)
        assert.deepEqual(withoutExtension.body.schemas, [CORE, REKEY])
        const rekey = await scim('GET', `/scim2/Users/${a!.id}?attributes=${REKEY}`)
        assert.equal(rekey.body[REKEY].oneTimePassword, undefined, 'returned only when named')
        const excluded = await list(
          `${cohortOnly}&sortBy=userName&excludedAttributes=emails,meta,id,schemas,name`,
        )
        const first = excluded.body.Resources[0]
        assert.equal(first.id, a!.id)
        assert.deepEqual(first.schemas, [CORE, ENTERPRISE, REKEY])
        for (const name of ['emails', 'meta', 'name']) assert.equal(first[name], undefined, name)
        assert.equal(first.userName, 'F-Alice')
        assert.equal(first.title, 'Engineer')
        const one = await scim('GET', `/scim2/Users/${a!.id}?attributes=USERNAME,name.givenName`)
        assert.deepEqual(one.body, {
          schemas: [CORE],
          id: a!.id,
          userName: 'F-Alice',
          name: { givenName: 'Alice' },
        })
        const allBut = await scim(
          'GET',
          `/scim2/Users/${a!.id}?excludedAttributes=meta,title,${ENTERPRISE}:employeeNumber`,
        )
        assert.deepEqual(
          [allBut.body.meta, allBut.body.title, allBut.body.userName],
          [undefined, undefined, 'F-Alice'],
        )
        assert.deepEqual(allBut.body[ENTERPRISE], { forcePasswordReset: true })
      })

      it('POST /Users/.search with a SearchRequest answers as GET does', async () => {
        const filter = 'userName sw "f-" and title pr'
        const query = [
          `filter=${encodeURIComponent(filter)}`,
          'sortBy=userName',
          'sortOrder=descending',
          'startIndex=1',
          'count=2',
          'attributes=userName,title',
        ].join('&')
        const viaGet = await list(query)
        const viaPost = await scim('POST', '/scim2/Users/.search', {
          schemas: [SEARCH],
          filter,
          sortBy: 'userName',
          sortOrder: 'descending',
          startIndex: 1,
          count: 2,
          attributes: ['userName', 'title'],
        })
        assert.equal(viaPost.status, 200)
        assert.deepEqual(viaPost.body, viaGet.body)
        assert.deepEqual([viaGet.body.totalResults, viaGet.body.itemsPerPage, letters(viaGet)], [3, 2, 'db'])
        assert.deepEqual(viaGet.body.Resources[0], {
          schemas: [CORE],
          id: cohort.d!.id,
          userName: 'f-dan',
          title: 'Engineer',
        })
        const excludedGet = await list(`${cohortOnly}&sortBy=userName&excludedAttributes=emails,meta`)
        const excludedPost = await scim('POST', '/scim2/Users/.search', {
          schemas: [SEARCH],
          filter: 'userName sw "f-"',
          sortBy: 'userName',
          excludedAttributes: ['emails', 'meta'],
        })
        assert.deepEqual(excludedPost.body, excludedGet.body)
      })
    })

    describe('PATCH', () => {
      let pat: Resource
      let password = 'pat-passphrase-1'

      before(async () => {
        pat = await createUser({
          userName: 'pat',
          password,
          emails: [{ value: 'pat@work.example', type: 'work', primary: true }],
        })
        await grantLogin(pat.id)
      })

      it('adds, replaces and removes with paths, value filters and path-less values', async () => {
        // Created (1), then given a role (2): a change of the user's groups moves its version.
        let version = 2
        const step = async (operations: unknown[]): Promise<Resource> => {
          const body = await patched(pat.id, operations)
          version += 1
          assert.equal(body.meta.version, `W/"${version}"`, JSON.stringify(operations))
          return body
        }
        let user = await step([
          { op: 'add', path: 'name.givenName', value: 'Pat' },
          { op: 'add', path: 'emails', value: [{ value: 'pat@home.example', type: 'home' }] },
        ])
        assert.deepEqual(user.name, { givenName: 'Pat' })
        assert.deepEqual(user.emails, [
          { value: 'pat@work.example', type: 'work', primary: true },
          { value: 'pat@home.example', type: 'home' },
        ])
        user = await step([
          { op: 'replace', path: 'emails[type eq "home"].value', value: 'pat@home2.example' },
        ])
        assert.equal(user.emails[1].value, 'pat@home2.example')
        user = await step([
          { op: 'replace', path: 'emails[type eq "other"].value', value: 'pat@other.example' },
        ])
        assert.deepEqual(
          user.emails[2],
          { value: 'pat@other.example', type: 'other' },
          'an unmatched eq filter describes the element to create',
        )
        user = await step([{ op: 'remove', path: 'emails[type eq "other" or value co "home2"]' }])
        assert.deepEqual(user.emails, [{ value: 'pat@work.example', type: 'work', primary: true }])
        user = await step([
          {
            op: 'replace',
            value: {
              id: randomUUID(),
              meta: { version: 'W/"77"' },
              displayName: 'P. Smith',
              'name.familyName': 'Smith',
              [ENTERPRISE]: { department: 'Ops' },
              [`${ENTERPRISE}:costCenter`]: 'CC-1',
            },
          },
        ])
        assert.equal(user.id, pat.id, 'readOnly values in a path-less value are ignored')
        assert.equal(user.displayName, 'P. Smith')
        assert.deepEqual(user.name, { givenName: 'Pat', familyName: 'Smith' })
        assert.deepEqual(user[ENTERPRISE], { department: 'Ops', costCenter: 'CC-1' })
        assert.deepEqual(user.schemas, [CORE, ENTERPRISE, REKEY])
        user = await step([{ op: 'replace', path: `${ENTERPRISE}:department`, value: 'Sales' }])
        assert.equal(user[ENTERPRISE].department, 'Sales')
        user = await step([
          { op: 'remove', path: `${ENTERPRISE}:department` },
          { op: 'remove', path: `${ENTERPRISE}:costCenter` },
          { op: 'remove', path: 'name.givenName' },
        ])
        assert.equal(user[ENTERPRISE], undefined, 'an emptied extension is gone')
        assert.deepEqual(user.schemas, [CORE, REKEY])
        assert.deepEqual(user.name, { familyName: 'Smith' })
        assert.deepEqual((await getUser(pat.id)).body, user)
      })

      it('takes Entra ID style operations: "Replace" and "False"/"True" for active', async () => {
        let user = await patched(pat.id, [{ op: 'Replace', path: 'active', value: 'False' }])
        assert.equal(user.active, false)
        assert.equal((await adminUser(pat.id)).status, 'disabled')
        user = await patched(pat.id, [{ op: 'Replace', path: 'active', value: 'True' }])
        assert.equal(user.active, true)
        assert.equal((await adminUser(pat.id)).status, 'active')
      })

      it('takes a bare manager id in POST and PUT as in PATCH', async () => {
        const created = await scim('POST', '/scim2/Users', {
          schemas: [CORE, ENTERPRISE],
          userName: 'managed-one',
          [ENTERPRISE]: { manager: 'm-1' },
        })
        assert.equal(created.status, 201, JSON.stringify(created.body))
        assert.equal(created.body[ENTERPRISE].manager.value, 'm-1')
        const replaced = await scim('PUT', `/scim2/Users/${created.body.id}`, {
          schemas: [CORE, ENTERPRISE],
          userName: 'managed-one',
          [ENTERPRISE]: { manager: 'm-2' },
        })
        assert.equal(replaced.status, 200, JSON.stringify(replaced.body))
        assert.equal(replaced.body[ENTERPRISE].manager.value, 'm-2')
        const refused = await scim('PUT', `/scim2/Users/${created.body.id}`, {
          schemas: [CORE, ENTERPRISE],
          userName: 'managed-one',
          [ENTERPRISE]: { manager: ['m-3'] },
        })
        assertScimError(refused, 400, 'invalidValue')
        assert.equal((await scim('DELETE', `/scim2/Users/${created.body.id}`)).status, 204)
      })

      it('takes Okta style operations: a path-less replace with id and active', async () => {
        let user = await patched(pat.id, [{ op: 'replace', value: { id: pat.id, active: false } }])
        assert.equal(user.id, pat.id)
        assert.equal(user.active, false)
        user = await patched(pat.id, [{ op: 'replace', value: { id: pat.id, active: true } }])
        assert.equal(user.active, true)
      })

      it('sets a password: the old one stops working and the sessions are revoked', async () => {
        const session = await login('pat', password)
        assert.equal(session.status, 200)
        assert.equal(await sessionStatus(session.body.token), 200)
        const before = (await getUser(pat.id)).body[REKEY].passwordLastChanged
        const next = 'pat-passphrase-2'
        const answer = await patchUser(pat.id, [{ op: 'replace', path: 'password', value: next }])
        assert.equal(answer.status, 200, JSON.stringify(answer.body))
        assertNoPassword(answer, next)
        assert.ok(answer.body[REKEY].passwordLastChanged > before, 'passwordLastChanged moved')
        assert.equal(await sessionStatus(session.body.token), 401, 'the session opened before is revoked')
        assertProblem(await login('pat', password), 401, 'auth.failed')
        assert.equal((await login('pat', next)).status, 200)
        password = next
      })

      it('active false revokes the sessions and refuses sign-in; true admits again', async () => {
        const session = await login('pat', password)
        assert.equal(session.status, 200)
        const user = await patched(pat.id, [{ op: 'replace', path: 'active', value: false }])
        assert.equal(user.active, false)
        assert.equal(await sessionStatus(session.body.token), 401)
        assertProblem(await login('pat', password), 401, 'auth.failed')
        await patched(pat.id, [{ op: 'replace', path: 'active', value: true }])
        assert.equal((await login('pat', password)).status, 200)
      })

      it('accountLocked true locks the account (and revokes its sessions); false unlocks it', async () => {
        const session = await login('pat', password)
        assert.equal(session.status, 200)
        let user = await patched(pat.id, [{ op: 'replace', path: `${REKEY}:accountLocked`, value: true }])
        assert.equal(user[REKEY].accountLocked, true)
        assert.equal(user[REKEY].lockedReason, 'admin')
        assert.equal(user.active, true, 'locked is not inactive')
        const locked = await adminUser(pat.id)
        assert.deepEqual([locked.status, locked.lockReason], ['locked', 'admin'])
        assert.equal(await sessionStatus(session.body.token), 401)
        assertProblem(await login('pat', password), 401, 'auth.failed')
        const found = await scim(
          'GET',
          `/scim2/Users?filter=${encodeURIComponent(`${REKEY}:accountLocked eq true and userName eq "pat"`)}`,
        )
        assert.equal(found.body.totalResults, 1)
        user = await patched(pat.id, [{ op: 'replace', path: `${REKEY}:accountLocked`, value: false }])
        assert.equal(user[REKEY].accountLocked, false)
        assert.equal(user[REKEY].lockedReason, undefined)
        const unlocked = await adminUser(pat.id)
        assert.deepEqual([unlocked.status, unlocked.lockReason], ['active', null])
        assert.equal((await login('pat', password)).status, 200)
      })
    })

    describe('ETags and versions', () => {
      let user: Resource

      before(async () => {
        user = await createUser({ userName: 'etag-user', title: 'First' })
      })

      it('If-None-Match with the current tag (or *) → 304; another tag → 200', async () => {
        const read = await getUser(user.id)
        const tag = String(read.headers.etag)
        assert.equal(tag, read.body.meta.version)
        for (const header of [tag, '*', `W/"999", ${tag}`, tag.replace('W/', '')]) {
          const notModified = await getUser(user.id, { 'if-none-match': header })
          assert.equal(notModified.status, 304, header)
          assert.equal(notModified.headers.etag, tag)
          assert.equal(notModified.body, undefined)
        }
        const other = await getUser(user.id, { 'if-none-match': 'W/"999"' })
        assert.equal(other.status, 200)
        assert.deepEqual(other.body, read.body)
      })

      it('a change of role membership moves the version: a cached copy with the old groups is stale', async () => {
        const member = await createUser({ userName: 'etag-member' })
        const before = await getUser(member.id)
        await grantLogin(member.id)
        const after = await getUser(member.id, { 'if-none-match': String(before.headers.etag) })
        assert.equal(after.status, 200, 'the old ETag must not answer 304 once the groups changed')
        assert.notEqual(after.headers.etag, before.headers.etag)
        assert.deepEqual(
          after.body.groups.map((group: { display: string }) => group.display),
          ['member'],
        )
      })

      it('If-Match with a stale tag: PUT, PATCH and DELETE → 412 and nothing changes', async () => {
        await patched(user.id, [{ op: 'replace', path: 'title', value: 'Second' }])
        const current = (await getUser(user.id)).body
        assert.equal(current.meta.version, 'W/"2"')
        const stale = { 'if-match': 'W/"1"' }
        const before = await snapshot()
        assertScimError(
          await scim(
            'PUT',
            `/scim2/Users/${user.id}`,
            { schemas: [CORE], userName: 'etag-user' },
            { headers: stale },
          ),
          412,
        )
        assertScimError(await patchUser(user.id, [{ op: 'add', path: 'nickName', value: 'x' }], stale), 412)
        assertScimError(await scim('DELETE', `/scim2/Users/${user.id}`, undefined, { headers: stale }), 412)
        assert.deepEqual(await snapshot(), before)
        assert.deepEqual((await getUser(user.id)).body, current)
      })

      it('If-Match with the current tag, or *, lets the write through', async () => {
        const current = (await getUser(user.id)).body
        const matched = await patchUser(user.id, [{ op: 'replace', path: 'title', value: 'Third' }], {
          'if-match': current.meta.version,
        })
        assert.equal(matched.status, 200)
        assert.equal(matched.headers.etag, 'W/"3"')
        const star = await scim(
          'PUT',
          `/scim2/Users/${user.id}`,
          { schemas: [CORE], userName: 'etag-user', title: 'Fourth' },
          { headers: { 'if-match': '*' } },
        )
        assert.equal(star.status, 200)
        assert.equal(star.headers.etag, 'W/"4"')
        const listed = await patchUser(user.id, [{ op: 'replace', path: 'title', value: 'Fifth' }], {
          'if-match': 'W/"1", W/"4"',
        })
        assert.equal(listed.status, 200, 'any tag of a list may match')
      })

      it('a malformed If-Match is 400 invalidVers and changes nothing', async () => {
        const before = await snapshot()
        for (const header of ['garbage', 'W/5', '"unterminated']) {
          assertScimError(
            await patchUser(user.id, [{ op: 'add', path: 'nickName', value: 'x' }], { 'if-match': header }),
            400,
            'invalidVers',
          )
        }
        assert.deepEqual(await snapshot(), before)
      })

      it('each write increments meta.version by one; a write that changes nothing keeps it', async () => {
        const start = Number(/^W\/"(\d+)"$/.exec((await getUser(user.id)).body.meta.version)![1])
        const versions: string[] = []
        versions.push(
          (await patched(user.id, [{ op: 'replace', path: 'title', value: 'Sixth' }])).meta.version,
        )
        const put = await scim('PUT', `/scim2/Users/${user.id}`, {
          schemas: [CORE],
          userName: 'etag-user',
          title: 'Seventh',
        })
        versions.push(put.body.meta.version)
        versions.push((await patched(user.id, [{ op: 'add', path: 'nickName', value: 'Et' }])).meta.version)
        versions.push((await patched(user.id, [{ op: 'add', path: 'nickName', value: 'Et' }])).meta.version)
        assert.deepEqual(
          versions,
          [start + 1, start + 2, start + 3, start + 3].map((n) => `W/"${n}"`),
        )
        const read = await getUser(user.id)
        assert.equal(read.headers.etag, `W/"${start + 3}"`)
        assert.ok(read.body.meta.lastModified >= user.meta.lastModified)
      })

      it('10 concurrent PATCHes of one user all land', async () => {
        const busy = await createUser({ userName: 'busy' })
        const phones = ['work', 'home', 'mobile', 'fax', 'pager', 'other']
        const enterprise = ['department', 'division', 'organization', 'costCenter']
        const answers = await Promise.all([
          ...phones.map((type, index) =>
            patchUser(busy.id, [
              { op: 'add', path: 'phoneNumbers', value: [{ value: `+1 555 010${index}`, type }] },
            ]),
          ),
          ...enterprise.map((name) =>
            patchUser(busy.id, [{ op: 'add', path: `${ENTERPRISE}:${name}`, value: name }]),
          ),
        ])
        assert.deepEqual(
          answers.map((answer) => answer.status),
          Array(10).fill(200),
          JSON.stringify(answers.filter((answer) => answer.status !== 200).map((answer) => answer.body)),
        )
        const final = (await getUser(busy.id)).body
        assert.equal(final.meta.version, 'W/"11"')
        assert.deepEqual(
          Object.fromEntries(final.phoneNumbers.map((phone: Resource) => [phone.type, phone.value])),
          Object.fromEntries(phones.map((type, index) => [type, `+1 555 010${index}`])),
        )
        assert.deepEqual(final[ENTERPRISE], Object.fromEntries(enterprise.map((name) => [name, name])))
      })
    })

    describe('tenants', () => {
      const DOMAIN = 'acme.test'
      const OTHER_PASSWORD = 'acme-admin-passphrase-1'
      let otherAdmin: string
      /** The default tenant's user and group, and the other tenant's. */
      const ids = { user: '', group: '', otherUser: '', otherGroup: '', admin: '' }

      interface Route {
        method: Method
        path: string
        body?: unknown
      }
      /** Every SCIM route behind authentication, aimed at the given user and group. */
      const scimRoutes = (user: string, group: string): Route[] => [
        { method: 'GET', path: '/Users' },
        { method: 'POST', path: '/Users', body: { schemas: [CORE], userName: 'intruder' } },
        { method: 'POST', path: '/Users/.search', body: { schemas: [SEARCH] } },
        { method: 'GET', path: `/Users/${user}` },
        { method: 'PUT', path: `/Users/${user}`, body: { schemas: [CORE], userName: 'owned' } },
        {
          method: 'PATCH',
          path: `/Users/${user}`,
          body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] },
        },
        { method: 'DELETE', path: `/Users/${user}` },
        { method: 'GET', path: '/Groups' },
        { method: 'POST', path: '/Groups', body: { schemas: [GROUP], displayName: 'intruders' } },
        { method: 'POST', path: '/Groups/.search', body: { schemas: [SEARCH] } },
        { method: 'GET', path: `/Groups/${group}` },
        { method: 'PUT', path: `/Groups/${group}`, body: { schemas: [GROUP], displayName: 'owned' } },
        {
          method: 'PATCH',
          path: `/Groups/${group}`,
          body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'owned' }] },
        },
        { method: 'DELETE', path: `/Groups/${group}` },
        {
          method: 'POST',
          path: '/Bulk',
          body: {
            schemas: [BULK],
            Operations: [
              {
                method: 'PATCH',
                path: `/Users/${user}`,
                data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'owned' }] },
              },
              { method: 'DELETE', path: `/Groups/${group}` },
              { method: 'DELETE', path: `/Users/${user}` },
            ],
          },
        },
        { method: 'GET', path: '/Me' },
        { method: 'POST', path: '/.search', body: { schemas: [SEARCH] } },
      ]
      const send = (prefix: string, route: Route, auth: string) =>
        scim(route.method, `${prefix}${route.path}`, route.body, { auth })

      before(async () => {
        const tenant = await call(h.app, {
          method: 'POST',
          url: '/api/admin/tenants',
          auth: h.adminAuth,
          payload: { domain: DOMAIN, adminPassword: OTHER_PASSWORD },
        })
        assert.equal(tenant.status, 201, JSON.stringify(tenant.body))
        otherAdmin = basicAuth('admin', OTHER_PASSWORD)
        const victim = await createUser({ userName: 'victim', title: 'Untouched' })
        ids.user = victim.id
        const group = await scim('POST', '/scim2/Groups', {
          schemas: [GROUP],
          displayName: 'victims',
          members: [{ value: victim.id }],
        })
        assert.equal(group.status, 201)
        ids.group = group.body.id
        ids.admin = (await scim('GET', '/scim2/Me')).body.id
        const theirs = await scim(
          'POST',
          `/t/${DOMAIN}/scim2/Users`,
          { schemas: [CORE], userName: 'acme-user' },
          { auth: otherAdmin },
        )
        assert.equal(theirs.status, 201)
        assert.equal(
          theirs.headers.location,
          `${publicUrl(h.config)}/t/${DOMAIN}/scim2/Users/${theirs.body.id}`,
        )
        ids.otherUser = theirs.body.id
        const theirGroup = await scim(
          'POST',
          `/t/${DOMAIN}/scim2/Groups`,
          { schemas: [GROUP], displayName: 'acme-staff', members: [{ value: theirs.body.id }] },
          { auth: otherAdmin },
        )
        assert.equal(theirGroup.status, 201)
        ids.otherGroup = theirGroup.body.id
      })

      it("the other tenant's admin cannot reach the default tenant's users and groups through its URL", async () => {
        const prefix = `/t/${DOMAIN}/scim2`
        const before = await snapshot()
        const secrets = [ids.user, ids.group, ids.admin, 'victim']
        for (const route of scimRoutes(ids.user, ids.group)) {
          // Creating is the tenant's right and touches nothing of the default tenant.
          if (route.method === 'POST' && (route.path === '/Users' || route.path === '/Groups')) continue
          const answer = await send(prefix, route, otherAdmin)
          const label = `${route.method} ${route.path}`
          if (route.path.startsWith('/Users/') && !route.path.endsWith('.search'))
            assertScimError(answer, 404)
          else if (route.path.startsWith('/Groups/') && !route.path.endsWith('.search'))
            assertScimError(answer, 404)
          else if (route.path === '/Bulk') {
            assert.equal(answer.status, 200, label)
            assert.deepEqual(
              answer.body.Operations.map((operation: Resource) => operation.status),
              ['404', '404', '404'],
              label,
            )
          } else {
            assert.equal(answer.status, 200, label)
            const text = JSON.stringify(answer.body)
            for (const secret of secrets) assert.ok(!text.includes(secret), `${label} shows ${secret}`)
          }
        }
        const me = await scim('GET', `${prefix}/Me`, undefined, { auth: otherAdmin })
        assert.equal(me.body.userName, 'admin')
        assert.notEqual(me.body.id, ids.admin)
        assert.equal(me.body.meta.location, `${publicUrl(h.config)}${prefix}/Users/${me.body.id}`)
        const byId = await scim(
          'GET',
          `${prefix}/Users?filter=${encodeURIComponent(`id eq "${ids.user}"`)}`,
          undefined,
          {
            auth: otherAdmin,
          },
        )
        assert.equal(byId.body.totalResults, 0)
        assert.deepEqual(await snapshot(), before)
        assert.equal((await getUser(ids.user)).body.title, 'Untouched')
      })

      it("its credentials on the default tenant's URL are 401 on every route", async () => {
        const before = await snapshot()
        for (const route of scimRoutes(ids.user, ids.group)) {
          const answer = await send('/scim2', route, otherAdmin)
          assertScimError(answer, 401)
          assert.deepEqual(answer.headers['www-authenticate'], SCIM_CHALLENGES)
        }
        assert.deepEqual(await snapshot(), before)
      })

      it("the default admin's credentials on the other tenant's URL are 401 on every route", async () => {
        const before = await snapshot()
        for (const route of scimRoutes(ids.otherUser, ids.otherGroup)) {
          const answer = await send(`/t/${DOMAIN}/scim2`, route, h.adminAuth)
          assertScimError(answer, 401)
          assert.deepEqual(answer.headers['www-authenticate'], SCIM_CHALLENGES)
        }
        assert.deepEqual(await snapshot(), before)
        const theirs = await scim('GET', `/t/${DOMAIN}/scim2/Users/${ids.otherUser}`, undefined, {
          auth: otherAdmin,
        })
        assert.equal(theirs.status, 200)
        assert.equal(theirs.body.userName, 'acme-user')
      })
    })

    describe('permissions and authentication', () => {
      let reader: string
      let target: Resource

      before(async () => {
        target = await createUser({ userName: 'perm-target', title: 'Kept' })
        const token = await call(h.app, {
          method: 'POST',
          url: '/api/admin/tokens',
          auth: h.adminAuth,
          payload: { name: 'scim-reader', scopes: ['users:read'] },
        })
        assert.equal(token.status, 201)
        reader = bearer(token.body.token)
      })

      it('a users:read token can read', async () => {
        const one = await scim('GET', `/scim2/Users/${target.id}`, undefined, { auth: reader })
        assert.equal(one.status, 200)
        assert.equal(one.body.title, 'Kept')
        const filter = encodeURIComponent('userName eq "perm-target"')
        const listed = await scim('GET', `/scim2/Users?filter=${filter}`, undefined, { auth: reader })
        assert.equal(listed.body.totalResults, 1)
        const searched = await scim(
          'POST',
          '/scim2/Users/.search',
          { schemas: [SEARCH], filter: 'userName eq "perm-target"' },
          { auth: reader },
        )
        assert.deepEqual(searched.body, listed.body)
        assert.equal((await scim('GET', '/scim2/Groups', undefined, { auth: reader })).status, 200)
      })

      it('writes with it are 403 SCIM errors and change nothing', async () => {
        const before = await snapshot()
        const writes: Array<[Method, string, unknown]> = [
          ['POST', '/scim2/Users', { schemas: [CORE], userName: 'token-made' }],
          ['PUT', `/scim2/Users/${target.id}`, { schemas: [CORE], userName: 'perm-target' }],
          [
            'PATCH',
            `/scim2/Users/${target.id}`,
            { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Changed' }] },
          ],
          ['DELETE', `/scim2/Users/${target.id}`, undefined],
          [
            'POST',
            '/scim2/Bulk',
            { schemas: [BULK], Operations: [{ method: 'DELETE', path: `/Users/${target.id}` }] },
          ],
          ['POST', '/scim2/Groups', { schemas: [GROUP], displayName: 'token-group' }],
        ]
        for (const [method, url, body] of writes) {
          const answer = await scim(method, url, body, { auth: reader })
          assertScimError(answer, 403)
          assert.match(answer.body.detail, /users:write/)
        }
        assert.deepEqual(await snapshot(), before)
      })

      it('no credentials → 401 with WWW-Authenticate; wrong credentials → 401', async () => {
        const before = await snapshot()
        for (const auth of [
          '',
          basicAuth('admin', 'not-the-password'),
          basicAuth('nobody', 'x'),
          bearer('rkt_unknown'),
          'Basic !!!',
          'Digest x',
        ]) {
          for (const [method, url, body] of [
            ['GET', '/scim2/Users', undefined],
            ['GET', `/scim2/Users/${target.id}`, undefined],
            ['POST', '/scim2/Users', { schemas: [CORE], userName: 'anonymous' }],
            ['DELETE', `/scim2/Users/${target.id}`, undefined],
          ] as Array<[Method, string, unknown]>) {
            const answer = await scim(method, url, body, { auth })
            assertScimError(answer, 401)
            assert.deepEqual(answer.headers['www-authenticate'], SCIM_CHALLENGES, `${auth} ${method} ${url}`)
          }
        }
        assert.deepEqual(await snapshot(), before)
        const discovery = await scim('GET', '/scim2/ServiceProviderConfig', undefined, { auth: '' })
        assert.equal(discovery.status, 200, 'discovery needs no credentials')
      })
    })
  })
}
