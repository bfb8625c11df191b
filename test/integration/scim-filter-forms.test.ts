/**
 * Filter forms over HTTP, on both stores, in GET and POST .search alike:
 *
 * - `schemas` (RFC 7644 §3.4.2.2's own example): a resource matches a URI its `schemas` lists;
 * - the value paths Entra ID and Microsoft's documentation write, `emails[type eq "work"].value
 *   eq "…"` and `emails[type eq "work"] eq "…"`, as the bracketed filter they mean;
 * - date-time literals finer than the millisecond, compared as the exact instants they are.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Harness, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import { forceResetThroughApi } from '../support/page-client.ts'
import { snapshotStore } from '../support/store-snapshot.ts'
import { storeKinds } from '../support/stores.ts'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const REKEY = 'urn:rekey:params:scim:schemas:extension:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'

type Resource = Record<string, unknown> & { id: string; schemas: string[] }

for (const kind of storeKinds) {
  describe(`${kind.kind}: SCIM filter forms`, { skip: kind.skip }, () => {
    let h: Harness
    const ids: Record<string, string> = {}
    let staffId = ''

    const post = async (url: string, document: Record<string, unknown>) => {
      const answer = await call(h.app, {
        method: 'POST',
        url,
        auth: h.adminAuth,
        headers: { 'content-type': 'application/scim+json' },
        payload: JSON.stringify(document),
      })
      assert.equal(answer.status, 201, JSON.stringify(answer.body))
      return answer.body as Resource
    }
    const createUser = async (document: Record<string, unknown>) => {
      const user = await post('/scim2/Users', { schemas: [USER, ENTERPRISE], ...document })
      ids[String(document.userName)] = user.id
      return user
    }

    /** The resources a filter finds on `/scim2/{type}`; GET and POST .search must agree. */
    const search = async (type: 'Users' | 'Groups' | '', filter: string): Promise<Resource[]> => {
      const path = type === '' ? '' : `/${type}`
      const searched = await call(h.app, {
        method: 'POST',
        url: `/scim2${path}/.search`,
        auth: h.adminAuth,
        headers: { 'content-type': 'application/scim+json' },
        payload: JSON.stringify({ schemas: [SEARCH], filter }),
      })
      assert.equal(searched.status, 200, `${filter}: ${JSON.stringify(searched.body)}`)
      if (type !== '') {
        const got = await call(h.app, {
          method: 'GET',
          url: `/scim2${path}?filter=${encodeURIComponent(filter)}`,
          auth: h.adminAuth,
        })
        assert.equal(got.status, 200, `${filter}: ${JSON.stringify(got.body)}`)
        const idsOf = (body: { Resources: Resource[] }) => body.Resources.map((r) => r.id).sort()
        assert.deepEqual(idsOf(searched.body), idsOf(got.body), `${filter}: GET and .search agree`)
      }
      return searched.body.Resources as Resource[]
    }
    const userNames = async (filter: string) =>
      (await search('Users', filter)).map((user) => String(user.userName)).sort()
    const groupNames = async (filter: string) =>
      (await search('Groups', filter)).map((group) => String(group.displayName)).sort()

    /** A filter refused with 400 invalidFilter, in GET and .search, changing nothing. */
    const refused = async (type: 'Users' | 'Groups', filter: string, detail?: RegExp) => {
      const before = await snapshotStore(h.container.store.db)
      for (const request of [
        { method: 'GET' as const, url: `/scim2/${type}?filter=${encodeURIComponent(filter)}` },
        {
          method: 'POST' as const,
          url: `/scim2/${type}/.search`,
          headers: { 'content-type': 'application/scim+json' },
          payload: JSON.stringify({ schemas: [SEARCH], filter }),
        },
      ]) {
        const answer = await call(h.app, { ...request, auth: h.adminAuth })
        assert.equal(answer.status, 400, `${filter}: ${JSON.stringify(answer.body)}`)
        assert.equal(answer.body.status, '400')
        assert.equal(answer.body.scimType, 'invalidFilter')
        if (detail) assert.match(answer.body.detail, detail)
      }
      assert.deepEqual(await snapshotStore(h.container.store.db), before, `${filter} changed the store`)
    }

    before(async () => {
      h = await openHarness(kind, { env: { REKEY_RESET_MODE: 'offline-otp' } })
      await createUser({
        userName: 'alice',
        emails: [
          { value: 'alice@example.com', type: 'work', primary: true },
          { value: 'alice@home.example', type: 'home' },
        ],
        addresses: [{ type: 'work', locality: 'Hollywood', country: 'US' }],
        [ENTERPRISE]: { department: 'R&D' },
      })
      // Holds alice's work address as a home address: only a filter on one element tells them apart.
      await createUser({
        userName: 'homer',
        emails: [{ value: 'alice@example.com', type: 'home' }],
        addresses: [{ type: 'home', locality: 'Hollywood' }],
      })
      await createUser({ userName: 'managed', [ENTERPRISE]: { manager: { value: ids.alice } } })
      const staff = await post('/scim2/Groups', {
        schemas: [GROUP],
        displayName: 'Staff',
        members: [{ value: ids.alice }, { value: ids.homer }],
      })
      staffId = staff.id
    })
    after(async () => h?.close())

    describe('schemas', () => {
      it('schemas eq the enterprise URN finds the users whose representation lists it', async () => {
        assert.deepEqual(await userNames(`schemas eq "${ENTERPRISE}"`), ['alice', 'managed'])
        assert.deepEqual(await userNames(`Schemas EQ "${ENTERPRISE.toLowerCase()}"`), ['alice', 'managed'])
        assert.deepEqual(await userNames(`schemas ne "${ENTERPRISE}"`), ['admin', 'homer'])
        assert.deepEqual(await userNames(`schemas eq "${USER}" and schemas eq "${REKEY}"`), [
          'admin',
          'alice',
          'homer',
          'managed',
        ])
        assert.deepEqual(await userNames('schemas co ":extension:enterprise:"'), ['alice', 'managed'])
        assert.deepEqual(await userNames('schemas pr'), ['admin', 'alice', 'homer', 'managed'])
        assert.deepEqual(await userNames(`schemas eq "${GROUP}"`), [])
        // What the filter saw is what the answers show.
        for (const user of await search('Users', 'schemas pr'))
          assert.equal(
            user.schemas.includes(ENTERPRISE),
            ['alice', 'managed'].includes(String(user.userName)),
            JSON.stringify(user),
          )
      })

      it('a pending forced reset shows forcePasswordReset, and with it the enterprise schema', async () => {
        const created = await call(h.app, {
          method: 'POST',
          url: '/api/admin/users',
          auth: h.adminAuth,
          payload: { username: 'forced' },
        })
        assert.equal(created.status, 201, JSON.stringify(created.body))
        const id = String(created.body.id)
        try {
          assert.deepEqual(await userNames(`schemas eq "${ENTERPRISE}" and userName eq "forced"`), [])
          await forceResetThroughApi(h.app, h.adminAuth, id, 'offline-otp')
          const shown = await call(h.app, { method: 'GET', url: `/scim2/Users/${id}`, auth: h.adminAuth })
          assert.ok(shown.body.schemas.includes(ENTERPRISE), JSON.stringify(shown.body))
          assert.deepEqual(await userNames(`schemas eq "${ENTERPRISE}"`), ['alice', 'forced', 'managed'])
        } finally {
          const removed = await call(h.app, {
            method: 'DELETE',
            url: `/scim2/Users/${id}`,
            auth: h.adminAuth,
          })
          assert.equal(removed.status, 204, JSON.stringify(removed.body))
        }
      })

      it('groups list the core Group schema; a root search tells users and groups apart by it', async () => {
        assert.deepEqual(await groupNames(`schemas eq "${GROUP}"`), ['Staff', 'admin'])
        assert.deepEqual(await groupNames(`schemas eq "${USER}"`), [])
        const groupsOnly = await search('', `schemas eq "${GROUP}"`)
        assert.deepEqual(groupsOnly.map((resource) => resource.displayName).sort(), ['Staff', 'admin'])
        const enterpriseUsers = await search('', `schemas eq "${ENTERPRISE}"`)
        assert.deepEqual(enterpriseUsers.map((resource) => resource.userName).sort(), ['alice', 'managed'])
        assert.equal((await search('', 'schemas pr')).length, 6)
      })

      it('refuses schemas with a sub-attribute, brackets, a schema qualifier or a number', async () => {
        await refused(
          'Users',
          'schemas.value eq "x"',
          /"schemas" is a multi-valued reference and has no sub-attributes/,
        )
        await refused('Users', 'schemas[value eq "x"]', /needs a multi-valued complex attribute/)
        await refused('Groups', 'schemas[value eq "x"]', /needs a multi-valued complex attribute/)
        await refused('Users', `${USER}:schemas eq "${USER}"`, /Unknown attribute "schemas"/)
        await refused('Groups', 'schemas eq 2', /compare it with a string/)
      })
    })

    describe('value paths as Entra ID and Microsoft write them', () => {
      it('emails[type eq "work"].value eq "…": the work address, not a home one that is equal', async () => {
        assert.deepEqual(await userNames('emails[type eq "work"].value eq "alice@example.com"'), ['alice'])
        assert.deepEqual(await userNames('emails[type eq "home"].value eq "alice@example.com"'), ['homer'])
        assert.deepEqual(await userNames('emails[type eq "work"].value pr'), ['alice'])
        assert.deepEqual(await userNames('Emails[Type eq "WORK"].Value EQ "ALICE@example.com"'), ['alice'])
        assert.deepEqual(await userNames('addresses[type eq "work"].locality eq "Hollywood"'), ['alice'])
        assert.deepEqual(await userNames('addresses[type eq "home"].locality eq "Hollywood"'), ['homer'])
        assert.deepEqual(await userNames('not (emails[type eq "work"].value eq "alice@example.com")'), [
          'admin',
          'homer',
          'managed',
        ])
        assert.deepEqual(await groupNames(`members[type eq "User"].value eq "${ids.homer}"`), ['Staff'])
      })

      it('emails[type eq "work"] eq "…" compares the element\'s value', async () => {
        assert.deepEqual(await userNames('emails[type eq "work"] eq "alice@example.com"'), ['alice'])
        assert.deepEqual(await userNames('emails[type eq "home"] co "@example.com"'), ['homer'])
        assert.deepEqual(await groupNames(`members[type eq "User"] eq "${ids.alice}"`), ['Staff'])
        assert.deepEqual(await userNames(`groups[type eq "direct"] eq "${staffId}"`), ['alice', 'homer'])
      })

      it('refuses the element form where elements have no value, and malformed sub-attributes', async () => {
        await refused(
          'Users',
          'addresses[type eq "work"] eq "Hollywood"',
          /"addresses" has no sub-attribute "value" to compare; it has formatted, .*: name the one to compare/,
        )
        await refused('Users', 'emails[type eq "work"]. value eq "x"', /Remove the space before "value"/)
        await refused('Users', 'emails[type eq "work"].value', /Expected an operator/)
        await refused(
          'Users',
          'emails[type eq "work"].nosuch eq "x"',
          /"emails" has no sub-attribute "nosuch"/,
        )
        await refused('Users', 'emails[type eq "work"] pr', /found "pr"/)
      })
    })

    describe('date-times finer than a millisecond', () => {
      it('compare as exact instants, in any zone', async () => {
        const alice = await call(h.app, {
          method: 'GET',
          url: `/scim2/Users/${ids.alice}`,
          auth: h.adminAuth,
        })
        const created = String(alice.body.meta.created)
        assert.match(created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
        const at = Date.parse(created)
        const finer = (ms: number, digits: string, zone = 'Z') => {
          const shifted = zone === 'Z' ? ms : ms + 3_600_000
          return new Date(shifted).toISOString().replace('Z', `${digits}${zone}`)
        }
        const only = 'userName eq "alice" and '
        // The RFC example, one digit finer: alice's creation is before …1 and not after itself.
        assert.deepEqual(
          await userNames(`${only}meta.created lt "${finer(at, '1')}" and meta.created ge "${created}"`),
          ['alice'],
        )
        assert.deepEqual(await userNames(`${only}meta.created eq "${finer(at, '9')}"`), [])
        assert.deepEqual(await userNames(`${only}meta.created ne "${finer(at, '9')}"`), ['alice'])
        assert.deepEqual(await userNames(`${only}meta.created gt "${finer(at, '1')}"`), [])
        assert.deepEqual(await userNames(`${only}meta.created le "${finer(at, '1')}"`), ['alice'])
        assert.deepEqual(await userNames(`${only}meta.created ge "${finer(at - 1, '9')}"`), ['alice'])
        assert.deepEqual(await userNames(`${only}meta.created le "${finer(at - 1, '9')}"`), [])
        // Zeros below the millisecond change nothing; an offset moves the instant, not the fraction.
        assert.deepEqual(await userNames(`${only}meta.created eq "${finer(at, '000000')}"`), ['alice'])
        assert.deepEqual(await userNames(`${only}meta.created eq "${finer(at, '000', '+01:00')}"`), ['alice'])
        assert.deepEqual(await userNames(`${only}meta.created eq "${finer(at, '5', '+01:00')}"`), [])
        assert.deepEqual(await userNames(`${only}meta.created lt "${finer(at, '5', '+01:00')}"`), ['alice'])
        const staff = await call(h.app, { method: 'GET', url: `/scim2/Groups/${staffId}`, auth: h.adminAuth })
        const groupCreated = Date.parse(String(staff.body.meta.created))
        assert.deepEqual(await groupNames(`meta.created eq "${finer(groupCreated, '0001')}"`), [])
        assert.deepEqual(
          await groupNames(`displayName eq "Staff" and meta.created lt "${finer(groupCreated, '0001')}"`),
          ['Staff'],
        )
      })

      it('refuses more than nine fraction digits, and a date-time without a zone', async () => {
        await refused('Users', 'meta.created gt "2026-01-01T00:00:00.1234567891Z"', /with a zone/)
        await refused('Users', 'meta.created gt "2026-01-01T00:00:00.123"', /with a zone/)
        await refused('Groups', 'meta.lastModified lt "2026-01-01T00:00:00.5+25:00"', /with a zone/)
      })
    })
  })
}
