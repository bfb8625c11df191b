/**
 * PATCH add and replace through a value filter without a sub-attribute
 * (`addresses[type eq "work"]` with an object value) change only the sub-attributes the value
 * gives (RFC 7644 §3.5.2.1, §3.5.2.3): the matched element keeps its other sub-attributes, its
 * `type` and its `primary`, in the PATCH answer and in a GET after it, on both stores. A
 * filter that matches nothing creates the element it describes or answers noTarget, for add
 * as for replace.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Harness, openHarness } from '../support/harness.ts'
import { type Answer, type ScimMethod, scimCall } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

const workAddress = { type: 'work', streetAddress: '1 A', locality: 'X', country: 'DE', primary: true }
const homeAddress = { type: 'home', streetAddress: '2 B', locality: 'Y', country: 'DE' }
const workEmail = { value: 'w@x.org', type: 'work', primary: true }
const homeEmail = { value: 'h@x.org', type: 'home' }

/** Elements in a fixed order, so that assertions do not depend on the order storage renders. */
const byType = (elements: unknown): unknown[] =>
  (Array.isArray(elements) ? [...elements] : []).sort((left, right) =>
    String(left?.type).localeCompare(String(right?.type)),
  )

for (const kind of storeKinds) {
  describe(`${kind.kind}: SCIM PATCH through a value filter merges into the matched element`, {
    skip: kind.skip,
  }, () => {
    let h: Harness
    let created = 0

    const scim = (method: ScimMethod, url: string, payload?: unknown): Promise<Answer> =>
      scimCall(h.app, method, url, payload, { auth: h.adminAuth })
    /** A new user holding `attributes`; answers its id. */
    const createUser = async (attributes: Record<string, unknown>): Promise<string> => {
      created += 1
      const answer = await scim('POST', '/scim2/Users', {
        schemas: [USER],
        userName: `value-path-${created}`,
        ...attributes,
      })
      assert.equal(answer.status, 201, JSON.stringify(answer.body))
      return answer.body.id
    }
    const patch = (id: string, ...operations: unknown[]) =>
      scim('PATCH', `/scim2/Users/${id}`, { schemas: [PATCH_OP], Operations: operations })
    /** PATCHes and checks that the answer and a later GET both show `expected` for `attribute`. */
    const patched = async (id: string, attribute: string, expected: unknown[], ...operations: unknown[]) => {
      const answer = await patch(id, ...operations)
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      assert.deepEqual(byType(answer.body[attribute]), byType(expected), 'the PATCH answer')
      const got = await scim('GET', `/scim2/Users/${id}`)
      assert.equal(got.status, 200, JSON.stringify(got.body))
      assert.deepEqual(byType(got.body[attribute]), byType(expected), 'a GET after the PATCH')
    }

    before(async () => {
      h = await openHarness(kind)
    })
    after(async () => h?.close())

    for (const op of ['add', 'replace']) {
      it(`${op} of addresses[type eq "work"] keeps the street, country, primary and type`, async () => {
        const id = await createUser({ addresses: [workAddress, homeAddress] })
        await patched(id, 'addresses', [{ ...workAddress, locality: 'Z' }, homeAddress], {
          op,
          path: 'addresses[type eq "work"]',
          value: { locality: 'Z' },
        })
      })

      it(`${op} of emails[type eq "work"] keeps the type and the primary`, async () => {
        const id = await createUser({ emails: [workEmail, homeEmail] })
        await patched(id, 'emails', [{ ...workEmail, value: 'w3@x.org' }, homeEmail], {
          op,
          path: 'emails[type eq "work"]',
          value: { value: 'w3@x.org' },
        })
      })

      it(`${op} of addresses[type eq "work"] for a user without one creates it`, async () => {
        const id = await createUser({ addresses: [homeAddress] })
        await patched(id, 'addresses', [homeAddress, { type: 'work', locality: 'Z' }], {
          op,
          path: 'addresses[type eq "work"]',
          value: { locality: 'Z' },
        })
      })

      it(`${op} through a filter that matches nothing and describes no element is noTarget, and changes nothing`, async () => {
        const id = await createUser({ addresses: [workAddress, homeAddress] })
        const before = await scim('GET', `/scim2/Users/${id}`)
        const answer = await patch(id, {
          op,
          path: 'addresses[country eq "AT" or country eq "CH"]',
          value: { locality: 'Z' },
        })
        assert.equal(answer.status, 400, JSON.stringify(answer.body))
        assert.equal(answer.body.status, '400')
        assert.equal(answer.body.scimType, 'noTarget')
        const afterwards = await scim('GET', `/scim2/Users/${id}`)
        assert.deepEqual(afterwards.body, before.body)
      })
    }

    it('replace with null sub-attributes removes just those', async () => {
      const id = await createUser({ addresses: [workAddress, homeAddress] })
      const { streetAddress: _removed, ...rest } = workAddress
      await patched(id, 'addresses', [{ ...rest, region: 'BY' }, homeAddress], {
        op: 'replace',
        path: 'addresses[type eq "work"]',
        value: { streetAddress: null, region: 'BY' },
      })
    })

    it('moves primary to the matched element when the value sets it', async () => {
      const id = await createUser({ emails: [workEmail, homeEmail] })
      await patched(
        id,
        'emails',
        [
          { value: 'w@x.org', type: 'work' },
          { ...homeEmail, primary: true },
        ],
        {
          op: 'replace',
          path: 'emails[type eq "home"]',
          value: { primary: true },
        },
      )
    })

    it('merges into every element a filter matches', async () => {
      const other = { type: 'other', streetAddress: '3 C', country: 'AT' }
      const id = await createUser({ addresses: [workAddress, homeAddress, other] })
      await patched(
        id,
        'addresses',
        [{ ...workAddress, region: 'BY' }, { ...homeAddress, region: 'BY' }, other],
        { op: 'add', path: 'addresses[country eq "DE"]', value: { region: 'BY' } },
      )
    })

    it('still sets one sub-attribute through addresses[type eq "work"].locality', async () => {
      const id = await createUser({ addresses: [workAddress, homeAddress] })
      await patched(id, 'addresses', [{ ...workAddress, locality: 'Z' }, homeAddress], {
        op: 'replace',
        path: 'addresses[type eq "work"].locality',
        value: 'Z',
      })
    })

    it('a path-less replace of addresses still replaces the whole list (RFC 7644 §3.5.2.3)', async () => {
      const id = await createUser({ addresses: [workAddress, homeAddress] })
      await patched(id, 'addresses', [{ type: 'other', locality: 'Q' }], {
        op: 'replace',
        value: { addresses: [{ type: 'other', locality: 'Q' }] },
      })
    })
  })
}
