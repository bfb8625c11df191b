/**
 * RFC 7643 §2.4: `primary: true` appears on one element of a multi-valued attribute at most.
 * Rekey keeps the primary value of `emails` (and `phoneNumbers`, …) in one claim, not its type,
 * so when two types hold the same value the first of them in the mapping's order is the
 * primary one (emails: work, home, other; phoneNumbers: work, home, mobile, …) — in every
 * answer (POST, GET, list, PUT, PATCH) and in filters on `primary`, on both stores.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Harness, openHarness } from '../support/harness.ts'
import { type Answer, call, type ScimMethod, scimCall } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const claim = (name: string) => `http://wso2.org/claims/${name}`

// biome-ignore lint/suspicious/noExplicitAny: SCIM resources are JSON, asserted field by field
type Resource = Record<string, any>

/** The elements marked primary, as `type:value`. */
const primaries = (elements: Resource[] | undefined) =>
  (elements ?? [])
    .filter((element) => element.primary === true)
    .map((element) => `${element.type ?? '-'}:${element.value}`)

for (const kind of storeKinds) {
  describe(`${kind.kind}: SCIM one primary value per attribute`, { skip: kind.skip }, () => {
    let h: Harness

    const scim = (method: ScimMethod, url: string, payload?: unknown): Promise<Answer> =>
      scimCall(h.app, method, url, payload, { auth: h.adminAuth })
    const filtered = async (filter: string): Promise<string[]> => {
      const answer = await scim('GET', `/scim2/Users?filter=${encodeURIComponent(filter)}`)
      assert.equal(answer.status, 200, `${filter}: ${JSON.stringify(answer.body)}`)
      return answer.body.Resources.map((user: Resource) => user.userName).sort()
    }

    before(async () => {
      h = await openHarness(kind)
    })
    after(async () => h?.close())

    it('one address under two types: one primary in the POST, GET, list, PUT and PATCH answers', async () => {
      const shared = 'same@example.com'
      const document = {
        schemas: [USER],
        userName: 'twin-mail',
        // Written home first and marked primary there: storage keeps the value, and the
        // first type in the mapping's order that holds it is the primary element.
        emails: [
          { value: shared, type: 'home', primary: true },
          { value: shared, type: 'work' },
          { value: 'other@example.com', type: 'other' },
        ],
        phoneNumbers: [
          { value: '+1 555 0100', type: 'mobile', primary: true },
          { value: '+1 555 0100', type: 'home' },
        ],
      }
      const created = await scim('POST', '/scim2/Users', document)
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const id = created.body.id
      const expected = (user: Resource, label: string) => {
        assert.deepEqual(primaries(user.emails), [`work:${shared}`], `${label}: emails`)
        assert.equal(user.emails.length, 3, `${label}: every email is shown`)
        assert.deepEqual(primaries(user.phoneNumbers), ['home:+1 555 0100'], `${label}: phoneNumbers`)
      }
      expected(created.body, 'POST')
      expected((await scim('GET', `/scim2/Users/${id}`)).body, 'GET')
      const listed = await scim('GET', `/scim2/Users?filter=${encodeURIComponent('userName eq "twin-mail"')}`)
      expected(listed.body.Resources[0], 'list')

      // The representation as answered is accepted back as it is: nothing changes.
      const again = await scim('PUT', `/scim2/Users/${id}`, { ...created.body, schemas: [USER] })
      assert.equal(again.status, 200, JSON.stringify(again.body))
      expected(again.body, 'PUT')
      assert.equal(again.body.meta.version, created.body.meta.version, 'the same document stores nothing')

      const patched = await scim('PATCH', `/scim2/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'title', value: 'Engineer' }],
      })
      assert.equal(patched.status, 200, JSON.stringify(patched.body))
      expected(patched.body, 'PATCH')
    })

    it('a PATCH that gives a second type the primary value shows one primary', async () => {
      const created = await scim('POST', '/scim2/Users', {
        schemas: [USER],
        userName: 'becomes-twin',
        emails: [
          { value: 'work@example.com', type: 'work' },
          { value: 'home@example.com', type: 'home', primary: true },
        ],
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      assert.deepEqual(primaries(created.body.emails), ['home:home@example.com'])
      const patched = await scim('PATCH', `/scim2/Users/${created.body.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'home@example.com' }],
      })
      assert.equal(patched.status, 200, JSON.stringify(patched.body))
      assert.deepEqual(primaries(patched.body.emails), ['work:home@example.com'])
      const read = await scim('GET', `/scim2/Users/${created.body.id}`)
      assert.deepEqual(read.body.emails, patched.body.emails)
    })

    it('claims written through the admin API: the first type holding the primary value is primary', async () => {
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: h.adminAuth,
        payload: {
          username: 'claims-twin',
          claims: {
            [claim('emailaddress')]: 'c@example.com',
            [claim('emails.other')]: 'c@example.com',
            [claim('emails.home')]: 'c@example.com',
          },
        },
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const user = (await scim('GET', `/scim2/Users/${created.body.id}`)).body
      assert.deepEqual(user.emails, [
        { value: 'c@example.com', type: 'home', primary: true },
        { value: 'c@example.com', type: 'other' },
      ])
    })

    it('filters on primary find what the representation shows', async () => {
      // twin-mail: work and home hold the primary value, work is primary; claims-twin: home
      // and other, home is primary.
      assert.deepEqual(await filtered('emails[type eq "work" and primary eq true]'), [
        'becomes-twin',
        'twin-mail',
      ])
      assert.deepEqual(await filtered('emails[type eq "home" and primary eq true]'), ['claims-twin'])
      assert.deepEqual(await filtered('emails[type eq "other" and primary eq true]'), [])
      assert.deepEqual(await filtered('emails[type eq "home" and not (primary eq true)]'), [
        'becomes-twin',
        'twin-mail',
      ])
      assert.deepEqual(await filtered('phoneNumbers[type eq "mobile" and primary eq true]'), [])
      assert.deepEqual(await filtered('phoneNumbers[type eq "home" and primary eq true]'), ['twin-mail'])
      assert.deepEqual(await filtered('emails[primary eq true and value eq "c@example.com"]'), [
        'claims-twin',
      ])
    })
  })
}
