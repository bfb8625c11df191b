/**
 * RFC 7644 §3.4.2.2: `pr` applies to complex attributes too. A complex single-valued attribute
 * (`name`, the enterprise `manager`) is present when one of its sub-attributes has a value, and
 * `not (… pr)` is its exact negation; on both stores, over HTTP, in GET and in POST .search.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Harness, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'

for (const kind of storeKinds) {
  describe(`${kind.kind}: SCIM pr on complex single-valued attributes`, { skip: kind.skip }, () => {
    let h: Harness
    const ids: Record<string, string> = {}

    const create = async (document: Record<string, unknown>) => {
      const answer = await call(h.app, {
        method: 'POST',
        url: '/scim2/Users',
        auth: h.adminAuth,
        headers: { 'content-type': 'application/scim+json' },
        payload: JSON.stringify({ schemas: [USER, ENTERPRISE], ...document }),
      })
      assert.equal(answer.status, 201, JSON.stringify(answer.body))
      ids[String(document.userName)] = answer.body.id
    }
    /** The user names a filter finds, sorted; GET and POST .search must agree. */
    const found = async (filter: string): Promise<string[]> => {
      const got = await call(h.app, {
        method: 'GET',
        url: `/scim2/Users?filter=${encodeURIComponent(filter)}`,
        auth: h.adminAuth,
      })
      assert.equal(got.status, 200, `${filter}: ${JSON.stringify(got.body)}`)
      const searched = await call(h.app, {
        method: 'POST',
        url: '/scim2/Users/.search',
        auth: h.adminAuth,
        headers: { 'content-type': 'application/scim+json' },
        payload: JSON.stringify({ schemas: [SEARCH], filter }),
      })
      assert.equal(searched.status, 200, `${filter}: ${JSON.stringify(searched.body)}`)
      const names = (body: { Resources: Array<{ userName: string }> }) =>
        body.Resources.map((user) => user.userName).sort()
      assert.deepEqual(names(searched.body), names(got.body), `${filter}: GET and .search agree`)
      return names(got.body)
    }

    before(async () => {
      h = await openHarness(kind)
      await create({ userName: 'named', name: { familyName: 'Jensen' } })
      await create({ userName: 'honorific', name: { honorificPrefix: 'Dr.' } })
      await create({ userName: 'managed', [ENTERPRISE]: { manager: { value: ids.named } } })
      await create({ userName: 'plain', title: 'Engineer' })
    })
    after(async () => h?.close())

    it('name pr: some part of the name has a value; not (name pr) is the rest', async () => {
      assert.deepEqual(await found('name pr'), ['honorific', 'named'])
      assert.deepEqual(await found('Name PR'), ['honorific', 'named'])
      assert.deepEqual(await found(`${USER}:name pr`), ['honorific', 'named'])
      assert.deepEqual(await found('not (name pr)'), ['admin', 'managed', 'plain'])
      assert.deepEqual(await found('name eq null'), ['admin', 'managed', 'plain'])
      assert.deepEqual(await found('name pr and title pr'), [])
      assert.deepEqual(await found('name pr or title pr'), ['honorific', 'named', 'plain'])
    })

    it('manager pr, qualified or not; manager eq compares its value', async () => {
      assert.deepEqual(await found(`${ENTERPRISE}:manager pr`), ['managed'])
      assert.deepEqual(await found('manager pr'), ['managed'])
      assert.deepEqual(await found(`not (${ENTERPRISE}:manager pr)`), [
        'admin',
        'honorific',
        'named',
        'plain',
      ])
      assert.deepEqual(await found(`${ENTERPRISE}:manager eq "${ids.named}"`), ['managed'])
      assert.deepEqual(await found(`${ENTERPRISE}:manager ne "${ids.named}"`), [
        'admin',
        'honorific',
        'named',
        'plain',
      ])
    })

    it('meta pr holds for every user', async () => {
      assert.deepEqual(await found('meta pr'), ['admin', 'honorific', 'managed', 'named', 'plain'])
      assert.deepEqual(await found('not (meta pr)'), [])
    })

    it('a complex attribute without a value sub-attribute is still only for pr (400 invalidFilter)', async () => {
      const answer = await call(h.app, {
        method: 'GET',
        url: `/scim2/Users?filter=${encodeURIComponent('name eq "Jensen"')}`,
        auth: h.adminAuth,
      })
      assert.equal(answer.status, 400, JSON.stringify(answer.body))
      assert.equal(answer.body.scimType, 'invalidFilter')
    })
  })
}
