import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { claimsRepository } from '../../src/persistence/repositories/claims.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'
const PROFILE_URL = 'http://wso2.org/claims/url'

/**
 * The HTTP side of the SCIM service provider as independent clients and conformance suites
 * exercise it: conditional requests, content negotiation, text encoding, challenges, URLs that
 * do not route, and values checked against their schema types.
 */
for (const kind of storeKinds) {
  describe(`${kind.kind}: SCIM over HTTP as clients use it`, { skip: kind.skip }, () => {
    let h: Harness
    let sequence = 0

    before(async () => {
      h = await openHarness(kind)
    })
    after(async () => h?.close())

    const raw = (
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      url: string,
      payload?: string | Buffer,
      headers: Record<string, string> = {},
    ) =>
      h.app.inject({
        method,
        url,
        headers: { authorization: h.adminAuth, 'content-type': 'application/scim+json', ...headers },
        ...(payload === undefined ? {} : { payload }),
      })
    const scim = (
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      url: string,
      payload?: Record<string, unknown>,
    ) => call(h.app, { method, url, auth: h.adminAuth, ...(payload === undefined ? {} : { payload }) })
    const newUser = async (extra: Record<string, unknown> = {}) => {
      const created = await scim('POST', '/scim2/Users', {
        schemas: [USER],
        userName: `client-${++sequence}`,
        ...extra,
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      return created.body as { id: string; userName: string; meta: { version: string } }
    }
    const countUsers = async (userName: string) =>
      (await scim('GET', `/scim2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)).body
        .totalResults as number
    const assertScimError = (
      answer: { statusCode: number; body: string },
      status: number,
      scimType?: string,
    ) => {
      assert.equal(answer.statusCode, status, answer.body)
      const body = JSON.parse(answer.body) as Record<string, unknown>
      assert.deepEqual(body.schemas, [ERROR])
      assert.equal(body.status, String(status))
      assert.equal(body.scimType, scimType)
      assert.equal(typeof body.detail, 'string')
    }

    it('reads schemas and attribute names in any letter case on POST, PUT and search', async () => {
      const userName = `Caps-${++sequence}`
      const created = await scim('POST', '/scim2/Users', {
        Schemas: [USER.toUpperCase()],
        UserName: userName,
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      assert.equal(created.body.userName, userName)
      const group = await scim('POST', '/scim2/Groups', {
        Schemas: [GROUP],
        DisplayName: `Caps group ${sequence}`,
      })
      assert.equal(group.status, 201, JSON.stringify(group.body))
      const replaced = await scim('PUT', `/scim2/Users/${created.body.id}`, {
        SCHEMAS: [USER],
        userName,
        Title: 'Engineer',
      })
      assert.equal(replaced.status, 200, JSON.stringify(replaced.body))
      assert.equal(replaced.body.title, 'Engineer')
      const found = await scim('POST', '/scim2/Users/.search', {
        Schemas: [SEARCH],
        filter: `userName eq "${userName}"`,
      })
      assert.equal(found.status, 200, JSON.stringify(found.body))
      assert.equal(found.body.totalResults, 1)
    })

    it('answers the collection at Users/ and Groups/ too', async () => {
      const listed = await scim('GET', '/scim2/Users/?count=1')
      assert.equal(listed.status, 200, JSON.stringify(listed.body))
      assert.equal(listed.body.itemsPerPage, 1)
      assert.equal((await scim('GET', '/scim2/Groups/?count=0')).status, 200)
      const userName = `slash-${++sequence}`
      const created = await scim('POST', '/scim2/Users/', { schemas: [USER], userName })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      assert.equal(await countUsers(userName), 1)
    })

    it('honours If-None-Match on writes and If-Match on reads, changing nothing when refused', async () => {
      const user = await newUser()
      const url = `/scim2/Users/${user.id}`
      const title = (value: string) => ({
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'title', value }],
      })
      for (const tag of ['*', user.meta.version, `W/"99", ${user.meta.version}`]) {
        const refused = await raw('PATCH', url, JSON.stringify(title('refused')), { 'if-none-match': tag })
        assertScimError(refused, 412)
      }
      assertScimError(await raw('DELETE', url, undefined, { 'if-none-match': '*' }), 412)
      assertScimError(
        await raw('PUT', url, JSON.stringify({ schemas: [USER], userName: user.userName }), {
          'if-none-match': user.meta.version,
        }),
        412,
      )
      const unchanged = await scim('GET', url)
      assert.equal(unchanged.body.meta.version, user.meta.version)
      assert.equal(unchanged.body.title, undefined)

      const applied = await raw('PATCH', url, JSON.stringify(title('applied')), { 'if-none-match': 'W/"99"' })
      assert.equal(applied.statusCode, 200, applied.body)
      const now = JSON.parse(applied.body) as { meta: { version: string } }
      assert.notEqual(now.meta.version, user.meta.version)

      assertScimError(await raw('GET', url, undefined, { 'if-match': user.meta.version }), 412)
      assert.equal((await raw('GET', url, undefined, { 'if-match': now.meta.version })).statusCode, 200)
      // Both headers: If-Match must hold as well.
      assertScimError(
        await raw('PATCH', url, JSON.stringify(title('both')), {
          'if-match': user.meta.version,
          'if-none-match': 'W/"99"',
        }),
        412,
      )
      assertScimError(
        await raw('PATCH', '/scim2/Users/no-such-user', JSON.stringify(title('x')), { 'if-none-match': '*' }),
        404,
      )
    })

    it('answers in the JSON type the client accepts, and 406 when it accepts neither', async () => {
      const json = await raw('GET', '/scim2/Users?count=1', undefined, { accept: 'application/json' })
      assert.equal(json.statusCode, 200)
      assert.equal(json.headers['content-type'], 'application/json; charset=utf-8')
      const jsonError = await raw('GET', '/scim2/Users/no-such-user', undefined, {
        accept: 'application/json',
      })
      assert.equal(jsonError.statusCode, 404)
      assert.equal(jsonError.headers['content-type'], 'application/json; charset=utf-8')
      for (const accept of [
        'application/scim+json',
        'application/scim+json, application/json',
        'application/json;q=0.5, application/scim+json',
        'text/html, */*;q=0.1',
        'application/*',
      ]) {
        const answer = await raw('GET', '/scim2/Users?count=1', undefined, { accept })
        assert.equal(answer.statusCode, 200, accept)
        assert.equal(answer.headers['content-type'], 'application/scim+json; charset=utf-8', accept)
      }
      for (const accept of ['text/html', 'application/xml', 'application/json;q=0, text/plain']) {
        const refused = await raw('GET', '/scim2/Users?count=1', undefined, { accept })
        assertScimError(refused, 406)
        assert.equal(refused.headers['content-type'], 'application/scim+json; charset=utf-8')
      }
    })

    it('challenges for both schemes it lists', async () => {
      for (const authorization of [undefined, 'Bearer rkt_not-a-token']) {
        const answer = await h.app.inject({
          method: 'GET',
          url: '/scim2/Users',
          headers: authorization ? { authorization } : {},
        })
        assert.equal(answer.statusCode, 401)
        assert.deepEqual(answer.headers['www-authenticate'], [
          'Bearer realm="Rekey"',
          'Basic realm="Rekey", charset="UTF-8"',
        ])
      }
    })

    it('takes bodies as UTF-8 text only: no unpaired surrogates, no invalid bytes, no other charset', async () => {
      const body = (userName: string) => `{"schemas":["${USER}"],"userName":"${userName}"}`
      const lone = `lone-${++sequence}`
      assertScimError(await raw('POST', '/scim2/Users', body(`${lone}\\ud800x`)), 400, 'invalidSyntax')
      assertScimError(await raw('POST', '/scim2/Users', body(`${lone}\\udc00`)), 400, 'invalidSyntax')
      const user = await newUser()
      assertScimError(
        await raw(
          'PATCH',
          `/scim2/Users/${user.id}`,
          `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","value":{"nickName":"\\ud83d"}}]}`,
        ),
        400,
        'invalidSyntax',
      )
      const invalidBytes = Buffer.concat([
        Buffer.from(`{"schemas":["${USER}"],"userName":"bytes-${sequence}`),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}'),
      ])
      assertScimError(await raw('POST', '/scim2/Users', invalidBytes), 400, 'invalidSyntax')
      assertScimError(
        await raw('POST', '/scim2/Users', body(`latin-${sequence}`), {
          'content-type': 'application/scim+json; charset=iso-8859-1',
        }),
        415,
      )
      assert.equal(await countUsers(`bytes-${sequence}\ufffd\ufffd`), 0)
      assert.equal(await countUsers(`latin-${sequence}`), 0)
      assert.equal((await scim('GET', `/scim2/Users/${user.id}`)).body.nickName, undefined)

      // Paired surrogates are ordinary text, escaped or not; charset UTF-8 in any spelling.
      const emoji = `pair-${sequence}\u{1F600}`
      const paired = await raw('POST', '/scim2/Users', body(`pair-${sequence}\\ud83d\\ude00`), {
        'content-type': 'application/scim+json; charset="UTF-8"',
      })
      assert.equal(paired.statusCode, 201, paired.body)
      assert.equal((JSON.parse(paired.body) as { userName: string }).userName, emoji)
      assert.equal(await countUsers(emoji), 1)
    })

    it('checks binary and reference values, yet accepts a value stored before such checks', async () => {
      const refusals: Array<[Record<string, unknown>, RegExp]> = [
        [{ x509Certificates: [{ value: 'not base64!!' }] }, /x509Certificates\.value must be base64/],
        [{ x509Certificates: [{ value: 'QUJD' + '=' }] }, /base64/],
        [{ profileUrl: 'not a uri' }, /profileUrl must be a URI/],
        [{ profileUrl: 'https://example.com/%zz' }, /profileUrl must be a URI/],
        [{ photos: [{ value: 'also not a uri', type: 'photo' }] }, /photos\.value must be a URI/],
      ]
      for (const [extra, detail] of refusals) {
        const userName = `typed-${++sequence}`
        const refused = await raw(
          'POST',
          '/scim2/Users',
          JSON.stringify({ schemas: [USER], userName, ...extra }),
        )
        assertScimError(refused, 400, 'invalidValue')
        assert.match(JSON.parse(refused.body).detail, detail)
        assert.equal(await countUsers(userName), 0)
      }
      const good = await newUser({
        profileUrl: 'https://example.com/people/bücher?tab=1#top',
        photos: [{ value: 'https://photos.example.com/p/1.jpg', type: 'photo' }],
        x509Certificates: [{ value: 'TUlJRFF6Q0NBcXlnQXdJQkFnSUNFQUF3RFFZSktvWklodmNO' }],
      })
      const read = await scim('GET', `/scim2/Users/${good.id}`)
      assert.equal(read.body.profileUrl, 'https://example.com/people/bücher?tab=1#top')

      // A value stored before the check (written here straight to the store) does not block
      // changes to other attributes, by PATCH or by a PUT that sends it back.
      const legacy = await newUser()
      await claimsRepository.apply(h.container.store.db, h.defaultTenant.id, legacy.id, {
        [PROFILE_URL]: 'legacy value',
      })
      const patched = await scim('PATCH', `/scim2/Users/${legacy.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'title', value: 'Kept' }],
      })
      assert.equal(patched.status, 200, JSON.stringify(patched.body))
      assert.equal(patched.body.profileUrl, 'legacy value')
      const put = await scim('PUT', `/scim2/Users/${legacy.id}`, { ...patched.body, title: 'Again' })
      assert.equal(put.status, 200, JSON.stringify(put.body))
      // A new invalid value is still refused.
      const changed = await raw(
        'PATCH',
        `/scim2/Users/${legacy.id}`,
        JSON.stringify({
          schemas: [PATCH_OP],
          Operations: [{ op: 'replace', path: 'profileUrl', value: 'other bad' }],
        }),
      )
      assertScimError(changed, 400, 'invalidValue')
    })

    it('answers a path the router cannot read in SCIM format, and elsewhere as problem+json', async () => {
      assertScimError(await raw('GET', '/scim2/Users/%E0%A4%A'), 400)
      assertScimError(await raw('GET', `/scim2/Users/${'a'.repeat(600)}`), 414)
      const tenantScoped = await raw('GET', '/t/carbon.super/scim2/Groups/%E0%A4%A')
      assertScimError(tenantScoped, 400)
      assertScimError(await raw('GET', '//scim2/Users/%E0%A4%A'), 400)
      const admin = await raw('GET', '/api/admin/users/%E0%A4%A')
      assert.equal(admin.statusCode, 400)
      assert.match(String(admin.headers['content-type']), /^application\/problem\+json/)
      assert.equal(JSON.parse(admin.body).code, 'request.malformed-url')
    })

    it('answers 405 with Allow for a method an endpoint does not take, and 404 for no endpoint', async () => {
      const cases: Array<['GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', string, string]> = [
        ['PATCH', '/scim2/Users', 'GET, HEAD, POST'],
        ['DELETE', '/scim2/Groups', 'GET, HEAD, POST'],
        ['POST', '/scim2/Users/some-id', 'GET, HEAD, PUT, PATCH, DELETE'],
        ['GET', '/scim2/Users/.search', 'POST'],
        ['GET', '/scim2/Bulk', 'POST'],
        ['PUT', '/scim2/ServiceProviderConfig', 'GET, HEAD'],
        ['DELETE', '/t/carbon.super/scim2/Schemas', 'GET, HEAD'],
      ]
      for (const [method, url, allow] of cases) {
        const answer = await raw(method, url, method === 'GET' || method === 'DELETE' ? undefined : '{}')
        assertScimError(answer, 405)
        assert.equal(answer.headers.allow, allow, `${method} ${url}`)
      }
      assertScimError(await raw('GET', '/scim2/Nothing'), 404)
      // Slashes as the router reads them.
      for (const url of ['/scim2//Users/some-id', '/scim2/Users/some-id/', '//scim2/Users/some-id']) {
        const answer = await raw('POST', url, '{}')
        assertScimError(answer, 405)
        assert.equal(answer.headers.allow, 'GET, HEAD, PUT, PATCH, DELETE', url)
      }
    })

    it('reads a doubled slash and a trailing slash as the endpoint', async () => {
      for (const url of [
        '/scim2//Users?count=1',
        '/scim2/Schemas/',
        '/scim2/ResourceTypes/',
        '/scim2/ServiceProviderConfig/',
      ])
        assert.equal((await raw('GET', url)).statusCode, 200, url)
    })

    it('finds a user by userName eq with the name as it was sent, spaces and PRIMARY/ included', async () => {
      const name = `spaced-${++sequence}`
      const created = await raw(
        'POST',
        '/scim2/Users',
        JSON.stringify({ schemas: [USER], userName: `  ${name} ` }),
      )
      assert.equal(created.statusCode, 201, created.body)
      assert.equal(JSON.parse(created.body).userName, name)
      for (const literal of [`  ${name} `, `PRIMARY/${name}`, `primary/${name.toUpperCase()}`, name])
        assert.equal(await countUsers(literal), 1, literal)
      const others = await scim(
        'GET',
        `/scim2/Users?count=0&filter=${encodeURIComponent(`userName ne " ${name} "`)}`,
      )
      const all = await scim('GET', '/scim2/Users?count=0')
      assert.equal(others.body.totalResults, all.body.totalResults - 1)
      // Other operators compare the literal as written.
      const starts = await scim('GET', `/scim2/Users?filter=${encodeURIComponent(`userName sw " ${name}"`)}`)
      assert.equal(starts.body.totalResults, 0)
    })

    it('reads count and startIndex as decimal integers only', async () => {
      for (const query of ['count=0x10', 'count=1e2', 'startIndex=1.5', 'count=ten'])
        assertScimError(await raw('GET', `/scim2/Users?${query}`), 400, 'invalidValue')
      for (const startIndex of [true, '0x2'])
        assertScimError(
          await raw('POST', '/scim2/Users/.search', JSON.stringify({ schemas: [SEARCH], startIndex })),
          400,
          'invalidValue',
        )
      assert.equal((await raw('GET', '/scim2/Users?count=%2010&startIndex=1')).statusCode, 200)
    })

    it('takes q=0 as not acceptable', async () => {
      assertScimError(
        await raw('GET', '/scim2/Users?count=1', undefined, { accept: 'application/scim+json;q=0' }),
        406,
      )
    })

    it('refuses one attribute named twice and prototype keys, saying which', async () => {
      const twice = await raw(
        'POST',
        '/scim2/Users',
        JSON.stringify({ schemas: [USER], userName: `twice-${++sequence}`, UserName: `other-${sequence}` }),
      )
      assertScimError(twice, 400, 'invalidSyntax')
      assert.match(JSON.parse(twice.body).detail, /userName and UserName/)
      assert.equal(await countUsers(`twice-${sequence}`), 0)
      assert.equal(await countUsers(`other-${sequence}`), 0)
      const extension = await raw(
        'POST',
        '/scim2/Users',
        JSON.stringify({
          schemas: [USER],
          userName: `twice-ext-${sequence}`,
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'A', Department: 'B' },
        }),
      )
      assertScimError(extension, 400, 'invalidSyntax')
      const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
      for (const body of [
        { userName: `twice-a-${sequence}`, [`${USER}:userName`]: `twice-b-${sequence}` },
        {
          userName: `twice-a-${sequence}`,
          [ENTERPRISE]: { department: 'A' },
          [`${ENTERPRISE}:department`]: 'B',
        },
        { userName: `twice-a-${sequence}`, name: { givenName: 'A', GivenName: 'B' } },
        { userName: `twice-a-${sequence}`, emails: [{ value: 'a@example.com', Value: 'b@example.com' }] },
      ]) {
        const refused = await raw('POST', '/scim2/Users', JSON.stringify({ schemas: [USER], ...body }))
        assertScimError(refused, 400, 'invalidSyntax')
        assert.match(JSON.parse(refused.body).detail, /twice/)
      }
      assert.equal(await countUsers(`twice-a-${sequence}`), 0)
      // PATCH values in other letter cases merge into the attribute they name: no duplicate.
      const patched = await newUser({ name: { givenName: 'Ann' } })
      const merged = await scim('PATCH', `/scim2/Users/${patched.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'add', value: { Name: { GivenName: 'Anna' } } }],
      })
      assert.equal(merged.status, 200, JSON.stringify(merged.body))
      assert.equal(merged.body.name.givenName, 'Anna')
      for (const body of [
        `{"schemas":["${USER}"],"userName":"proto-${sequence}","__proto__":{"admin":true}}`,
        `{"schemas":["${USER}"],"userName":"proto-${sequence}","constructor":{"prototype":{"admin":true}}}`,
      ]) {
        const refused = await raw('POST', '/scim2/Users', body)
        assertScimError(refused, 400, 'invalidSyntax')
        assert.match(JSON.parse(refused.body).detail, /__proto__/)
      }
      assert.equal(await countUsers(`proto-${sequence}`), 0)
    })

    it('gives what the admin API creates through a doubled slash a Location on this host', async () => {
      const created = await h.app.inject({
        method: 'POST',
        url: '//api/admin/users',
        headers: { authorization: h.adminAuth, 'content-type': 'application/json' },
        payload: { username: `located-${++sequence}` },
      })
      assert.equal(created.statusCode, 201, created.body)
      assert.match(String(created.headers.location), /^\/api\/admin\/users\/[0-9a-f-]+$/)
    })

    it('answers a PATCH by a credential that may write but not read with 204, never the resource', async () => {
      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: h.adminAuth,
        payload: { name: `write-only-${++sequence}`, scopes: ['users:write'] },
      })
      assert.equal(token.status, 201)
      const user = await newUser({ emails: [{ value: `hidden-${sequence}@example.com`, type: 'work' }] })
      const writer = `Bearer ${token.body.token}`
      const read = await call(h.app, { method: 'GET', url: `/scim2/Users/${user.id}`, auth: writer })
      assert.equal(read.status, 403)
      for (const value of [user.userName, 'Engineer']) {
        const patched = await h.app.inject({
          method: 'PATCH',
          url: `/scim2/Users/${user.id}`,
          headers: { authorization: writer, 'content-type': 'application/scim+json' },
          payload: JSON.stringify({
            schemas: [PATCH_OP],
            Operations: [{ op: 'replace', path: value === 'Engineer' ? 'title' : 'userName', value }],
          }),
        })
        assert.equal(patched.statusCode, 204, patched.body)
        assert.equal(patched.body, '')
        assert.match(String(patched.headers.etag), /^W\/"\d+"$/)
      }
      assert.equal((await scim('GET', `/scim2/Users/${user.id}`)).body.title, 'Engineer')
    })

    it('describes group members as users only, as it accepts them', async () => {
      const schema = await scim('GET', `/scim2/Schemas/${GROUP}`)
      assert.equal(schema.status, 200)
      const members = (
        schema.body.attributes as Array<{ name: string; subAttributes: Array<Record<string, unknown>> }>
      ).find((attribute) => attribute.name === 'members')!
      const sub = (name: string) => members.subAttributes.find((attribute) => attribute.name === name)!
      assert.deepEqual(sub('type').canonicalValues, ['User'])
      assert.deepEqual(sub('$ref').referenceTypes, ['User'])
    })
  })
}
