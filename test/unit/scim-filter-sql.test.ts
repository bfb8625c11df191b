/**
 * The SQL translation of SCIM filters over Users and Groups, case by case, on a small data
 * set: which users each filter finds (never the SQL text), for every mapping kind (columns,
 * claims, complex attributes, typed multi-valued attributes, addresses, group membership,
 * meta) and every operator. Each answer is also checked against the in-memory evaluator.
 * Last, the look-ups provisioning clients make must use an index.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { CompiledQuery, type KyselyPlugin, type PluginTransformQueryArgs } from 'kysely'
import { comparisonKey } from '../../src/domain/comparison-key.ts'
import type { Actor } from '../../src/observability/audit.ts'
import type { Executor } from '../../src/persistence/executor.ts'
import { isScimError } from '../../src/scim/errors.ts'
import { matchesFilter, validateFilter } from '../../src/scim/filter/evaluate.ts'
import { parseFilter } from '../../src/scim/filter/parser.ts'
import { GroupFilterTranslator } from '../../src/scim/groups/group-filter-sql.ts'
import { listGroups } from '../../src/scim/groups/group-query.ts'
import { renderGroup } from '../../src/scim/groups/group-resource.ts'
import { groupRegistry, userRegistry } from '../../src/scim/schema/registry.ts'
import { UserFilterTranslator } from '../../src/scim/users/user-filter-sql.ts'
import { listUsers } from '../../src/scim/users/user-query.ts'
import { renderUser } from '../../src/scim/users/user-resource.ts'
import { type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import { postgresKind, sqliteKind } from '../support/stores.ts'

const BASE = 'https://rekey.test/scim2'
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const REKEY = 'urn:rekey:params:scim:schemas:extension:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const actor: Actor = { kind: 'system', id: null, name: 'test' }
const T0 = Date.UTC(2026, 0, 1, 9, 0, 0)
const iso = (ms: number) => new Date(ms).toISOString()

/** The SQL statements a piece of code runs, compiled as the store would run them. */
async function capturing<T>(db: Executor, run: (db: Executor) => Promise<T>): Promise<CompiledQuery[]> {
  const seen: PluginTransformQueryArgs[] = []
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      seen.push(args)
      return args.node
    },
    async transformResult(args) {
      return args.result
    },
  }
  const traced = db.withPlugin(plugin)
  // Fixed statements arrive compiled, past the plugins: record those as they are run.
  const compiled: CompiledQuery[] = []
  const executeQuery = traced.executeQuery.bind(traced)
  traced.executeQuery = ((query: CompiledQuery, queryId?: Parameters<typeof executeQuery>[1]) => {
    compiled.push(query)
    return executeQuery(query, queryId)
  }) as typeof traced.executeQuery
  await run(traced)
  // Executed statements first: a fixed statement built during the run is also seen by the
  // plugin once, with placeholders for its values.
  return [...compiled, ...seen.map(({ node, queryId }) => db.getExecutor().compileQuery(node, queryId))]
}

/**
 * The page query listUsers runs for `filter`: the one with the filter, ORDER BY and LIMIT, or for
 * `userName eq`, the fixed look-up by name key.
 */
async function userPageQuery(db: Executor, tenantId: string, filter: string): Promise<CompiledQuery> {
  const queries = await capturing(db, (traced) =>
    listUsers(traced, tenantId, {
      filter: parseFilter(filter),
      sortOrder: 'ascending',
      startIndex: 1,
      count: 10,
    }),
  )
  const page = queries.find(
    (query) =>
      (/from "users" as "u"/.test(query.sql) && /\blimit\b/.test(query.sql)) ||
      /from "users" where .*"username_key" =/.test(query.sql),
  )
  assert.ok(page, `no page query among:\n${queries.map((query) => query.sql).join('\n')}`)
  return page
}

describe('SCIM filter translation (SQLite)', () => {
  let h: Harness
  let db: Executor
  let tenantId: string
  const ids: Record<string, string> = {}
  let staffId = ''

  before(async () => {
    const clock = new ManualClock(T0)
    h = await openHarness(sqliteKind, { clock, env: { REKEY_RESET_MODE: 'offline-otp' } })
    db = h.container.store.db
    tenantId = h.defaultTenant.id
    const tenant = h.defaultTenant
    const store = await call(h.app, {
      method: 'POST',
      url: '/api/admin/user-stores',
      auth: h.adminAuth,
      payload: { domain: 'PARTNERS' },
    })
    assert.equal(store.status, 201)
    const scim = async (document: Record<string, unknown>) => {
      clock.advance(60_000)
      const record = await h.container.scimUsers.create(
        tenant,
        { schemas: [CORE], ...document },
        {
          actor,
          permissions: new Set(['reset:force'] as const),
        },
      )
      ids[String(document.userName)] = record.row.id
    }
    // alice at T0 + 1 min, Bob + 2, Chloé + 3, dan + 4, PARTNERS/carol + 5.
    await scim({
      userName: 'alice',
      externalId: 'ext-A',
      name: { givenName: 'Alice', familyName: 'Smith' },
      displayName: 'Alice Smith',
      title: 'Engineer',
      emails: [
        { value: 'alice@work.example', type: 'work', primary: true },
        { value: 'alice@home.example', type: 'home' },
      ],
      phoneNumbers: [{ value: '+1 555 0100', type: 'mobile' }],
      addresses: [{ type: 'work', locality: 'Paris', country: 'FR', primary: true }],
      [ENTERPRISE]: { department: 'R&D', employeeNumber: '100', forcePasswordReset: true },
    })
    // Bob's only email has no primary flag: as the first value it becomes the primary one.
    await scim({
      userName: 'Bob',
      title: 'engineer',
      active: false,
      emails: [{ value: 'bob@home.example', type: 'home' }],
      [ENTERPRISE]: { department: 'Sales', forcePasswordReset: false, manager: { value: ids.alice } },
    })
    await scim({ userName: 'Chloé', externalId: 'EXT-A', [REKEY]: { accountLocked: true } })
    // dan's address is in the primary email claim only: an email without a type.
    clock.advance(60_000)
    const dan = await call(h.app, {
      method: 'POST',
      url: '/api/admin/users',
      auth: h.adminAuth,
      payload: { username: 'dan', claims: { 'http://wso2.org/claims/emailaddress': 'dan@example.com' } },
    })
    assert.equal(dan.status, 201, JSON.stringify(dan.body))
    ids.dan = dan.body.id
    clock.advance(60_000)
    const carol = await call(h.app, {
      method: 'POST',
      url: '/api/admin/users',
      auth: h.adminAuth,
      payload: { username: 'PARTNERS/carol' },
    })
    assert.equal(carol.status, 201, JSON.stringify(carol.body))
    ids['PARTNERS/carol'] = carol.body.id
    const principal = { tenantId, actor, permissions: new Set<never>() }
    clock.advance(60_000)
    const staff = await h.container.scimGroups.create(
      tenant,
      { schemas: [GROUP], displayName: 'Staff', members: [{ value: ids.alice }, { value: ids.Bob }] },
      principal,
    )
    staffId = staff.row.id
    clock.advance(60_000)
    await h.container.scimGroups.create(
      tenant,
      { schemas: [GROUP], displayName: 'partners', members: [{ value: ids['PARTNERS/carol'] }] },
      principal,
    )
    clock.advance(60_000)
    await h.container.scimGroups.create(tenant, { schemas: [GROUP], displayName: 'empty' }, principal)
  })
  after(async () => h?.close())

  /** The userNames listUsers finds, sorted; the evaluator must find the same. */
  async function users(text: string): Promise<string[]> {
    const filter = parseFilter(text)
    validateFilter(filter, userRegistry)
    const found = await listUsers(db, tenantId, { filter, sortOrder: 'ascending', startIndex: 1, count: 100 })
    const all = await listUsers(db, tenantId, { sortOrder: 'ascending', startIndex: 1, count: 100 })
    const names = (resources: Record<string, unknown>[]) => resources.map((r) => String(r.userName)).sort()
    const matched = names(found.records.map((record) => renderUser(record, BASE)))
    const expected = names(
      all.records
        .map((record) => renderUser(record, BASE))
        .filter((r) => matchesFilter(r, filter, userRegistry)),
    )
    assert.deepEqual(matched, expected, `SQL and the evaluator disagree on ${text}`)
    assert.equal(found.total, matched.length)
    return matched
  }

  async function groups(text: string): Promise<string[]> {
    const filter = parseFilter(text)
    validateFilter(filter, groupRegistry)
    const request = { sortOrder: 'ascending' as const, startIndex: 1, count: 100, withMembers: true }
    const found = await listGroups(db, tenantId, { ...request, filter })
    const all = await listGroups(db, tenantId, request)
    const names = (resources: Record<string, unknown>[]) => resources.map((r) => String(r.displayName)).sort()
    const matched = names(found.records.map((record) => renderGroup(record, BASE)))
    const expected = names(
      all.records
        .map((record) => renderGroup(record, BASE))
        .filter((r) => matchesFilter(r, filter, groupRegistry)),
    )
    assert.deepEqual(matched, expected, `SQL and the evaluator disagree on ${text}`)
    return matched
  }

  async function rejected(text: string, registry: 'users' | 'groups' = 'users') {
    const filter = parseFilter(text)
    const request = { filter, sortOrder: 'ascending' as const, startIndex: 1, count: 100 }
    await assert.rejects(
      registry === 'users'
        ? listUsers(db, tenantId, request)
        : listGroups(db, tenantId, { ...request, withMembers: false }),
      (error) => isScimError(error) && error.scimType === 'invalidFilter',
    )
  }

  const everyone = ['Bob', 'Chloé', 'PARTNERS/carol', 'admin', 'alice', 'dan']
  const except = (...names: string[]) => everyone.filter((name) => !names.includes(name))

  describe('columns', () => {
    it('id compares exactly', async () => {
      assert.deepEqual(await users(`id eq "${ids.alice}"`), ['alice'])
      assert.deepEqual(await users(`id eq "${ids.alice!.toUpperCase()}"`), [])
      assert.deepEqual(await users(`id ne "${ids.alice}"`), except('alice'))
      assert.deepEqual(await users('id pr'), everyone)
    })

    it('userName: every operator, case-insensitively', async () => {
      assert.deepEqual(await users('userName eq "ALICE"'), ['alice'])
      assert.deepEqual(await users('userName ne "alice"'), except('alice'))
      assert.deepEqual(await users('userName co "LI"'), ['alice'])
      assert.deepEqual(await users('userName sw "b"'), ['Bob'])
      assert.deepEqual(await users('userName ew "É"'), ['Chloé'])
      // Keys in code-point order: admin < alice < bob < chloé < dan < partners/carol.
      assert.deepEqual(await users('userName gt "c"'), ['Chloé', 'PARTNERS/carol', 'dan'])
      assert.deepEqual(await users('userName ge "dan"'), ['PARTNERS/carol', 'dan'])
      assert.deepEqual(await users('userName lt "alice"'), ['admin'])
      assert.deepEqual(await users('userName le "alice"'), ['admin', 'alice'])
      assert.deepEqual(await users('userName pr'), everyone)
    })

    it('userName of the primary store has no PRIMARY/ prefix, so "PRIMARY/x" matches nobody', async () => {
      assert.deepEqual(await users('userName eq "PRIMARY/alice"'), [])
      assert.deepEqual(await users('userName eq "primary/alice"'), [])
      assert.deepEqual(await users('userName sw "PRIMARY/"'), [])
    })

    it('userName of a secondary store is DOMAIN/name, with the domain case-insensitive', async () => {
      assert.deepEqual(await users('userName eq "partners/carol"'), ['PARTNERS/carol'])
      assert.deepEqual(await users('userName eq "Partners/CAROL"'), ['PARTNERS/carol'])
      assert.deepEqual(await users('userName eq "carol"'), [])
      assert.deepEqual(await users('userName sw "partners/"'), ['PARTNERS/carol'])
      assert.deepEqual(await users('userName ne "PARTNERS/carol"'), except('PARTNERS/carol'))
    })

    it('active and accountLocked are flags; the literal may be a "True"/"false" string', async () => {
      assert.deepEqual(await users('active eq false'), ['Bob'])
      assert.deepEqual(await users('active eq "False"'), ['Bob'])
      assert.deepEqual(await users('active ne true'), ['Bob'])
      assert.deepEqual(await users('active eq true'), except('Bob'))
      // alice was created with forcePasswordReset: locked for her reset.
      assert.deepEqual(await users(`${REKEY}:accountLocked eq true`), ['Chloé', 'alice'])
      assert.deepEqual(await users('accountLocked eq "TRUE"'), ['Chloé', 'alice'])
      assert.deepEqual(await users(`${REKEY}:lockedReason eq "reset-pending"`), ['alice'])
      assert.deepEqual(await users(`${REKEY}:pendingResetMode eq "offline-otp"`), ['alice'])
      assert.deepEqual(await users('accountLocked pr'), everyone)
      assert.deepEqual(await users(`${REKEY}:lockedReason eq "ADMIN"`), ['Chloé'])
      assert.deepEqual(await users(`${REKEY}:lockedReason ne "admin"`), except('Chloé'))
    })

    it('meta.created and meta.lastModified compare instants, whatever the zone', async () => {
      const bob = T0 + 2 * 60_000
      assert.deepEqual(await users(`meta.created eq "${iso(bob)}"`), ['Bob'])
      assert.deepEqual(await users(`meta.created eq "${iso(bob + 3_600_000).replace('Z', '+01:00')}"`), [
        'Bob',
      ])
      assert.deepEqual(await users(`meta.created gt "${iso(bob)}"`), ['Chloé', 'PARTNERS/carol', 'dan'])
      assert.deepEqual(await users(`meta.created ge "${iso(bob)}"`), [
        'Bob',
        'Chloé',
        'PARTNERS/carol',
        'dan',
      ])
      assert.deepEqual(await users(`meta.created lt "${iso(T0 + 60_000)}"`), ['admin'])
      // Chloé is in no group: nothing changes her after she is created.
      assert.deepEqual(await users(`meta.lastModified eq "${iso(T0 + 3 * 60_000)}"`), ['Chloé'])
      assert.deepEqual(await users(`meta.lastModified lt "${iso(T0 + 60_000)}"`), ['admin'])
      assert.deepEqual(await users(`meta.created ne "${iso(bob)}"`), except('Bob'))
      assert.deepEqual(await users('meta.lastModified pr'), everyone)
    })

    it('meta.resourceType is the constant "User", compared case-exactly', async () => {
      assert.deepEqual(await users('meta.resourceType eq "User"'), everyone)
      assert.deepEqual(await users('meta.resourceType eq "user"'), [])
      assert.deepEqual(await users('meta.resourceType ne "user"'), everyone)
    })
  })

  describe('claims', () => {
    it('a case-insensitive claim: every operator', async () => {
      assert.deepEqual(await users('title eq "ENGINEER"'), ['Bob', 'alice'])
      assert.deepEqual(await users('title co "gin"'), ['Bob', 'alice'])
      assert.deepEqual(await users('title sw "eng"'), ['Bob', 'alice'])
      assert.deepEqual(await users('title ew "NEER"'), ['Bob', 'alice'])
      assert.deepEqual(await users('title gt "e"'), ['Bob', 'alice'])
      assert.deepEqual(await users('title lt "e"'), [])
      assert.deepEqual(await users('displayName ge "alice smith"'), ['alice'])
      assert.deepEqual(await users('displayName le "Alice Smith"'), ['alice'])
    })

    it('ne matches the users without the attribute; eq null and not pr are the same set', async () => {
      assert.deepEqual(await users('title ne "engineer"'), except('Bob', 'alice'))
      assert.deepEqual(await users('title ne "nobody"'), everyone)
      assert.deepEqual(await users('title pr'), ['Bob', 'alice'])
      assert.deepEqual(await users('not (title pr)'), except('Bob', 'alice'))
      assert.deepEqual(await users('title eq null'), except('Bob', 'alice'))
      assert.deepEqual(await users('title ne null'), ['Bob', 'alice'])
    })

    it('externalId compares exactly (caseExact)', async () => {
      assert.deepEqual(await users('externalId eq "ext-A"'), ['alice'])
      assert.deepEqual(await users('externalId eq "EXT-A"'), ['Chloé'])
      assert.deepEqual(await users('externalId sw "ext"'), ['alice'])
      assert.deepEqual(await users('externalId ne "ext-A"'), except('alice'))
    })

    it('sub-attributes of name', async () => {
      assert.deepEqual(await users('name.givenName sw "AL"'), ['alice'])
      assert.deepEqual(await users('name.familyName eq null'), except('alice'))
      assert.deepEqual(await users('name.middleName pr'), [])
    })

    it('pr on a complex single-valued attribute: one of its sub-attributes has a value', async () => {
      assert.deepEqual(await users('name pr'), ['alice'])
      assert.deepEqual(await users('NAME pr'), ['alice'])
      assert.deepEqual(await users(`${CORE}:name pr`), ['alice'])
      assert.deepEqual(await users('not (name pr)'), except('alice'))
      assert.deepEqual(await users('name eq null'), except('alice'))
      assert.deepEqual(await users('name ne null'), ['alice'])
      assert.deepEqual(await users(`${ENTERPRISE}:manager pr`), ['Bob'])
      assert.deepEqual(await users('manager pr'), ['Bob'])
      assert.deepEqual(await users(`not (${ENTERPRISE}:manager pr) and title pr`), ['alice'])
      // Compared without a sub-attribute, manager is its value (its id), exactly.
      assert.deepEqual(await users(`${ENTERPRISE}:manager eq "${ids.alice}"`), ['Bob'])
      assert.deepEqual(await users(`manager eq "${ids.alice!.toUpperCase()}"`), [])
      assert.deepEqual(await users('meta pr'), everyone)
      assert.deepEqual(await users('not (meta pr)'), [])
      assert.deepEqual(await groups('meta pr'), ['Staff', 'admin', 'empty', 'partners'])
    })

    it('pr on a complex attribute counts no sub-attribute holding "" (the admin API stores those)', async () => {
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/users',
        auth: h.adminAuth,
        payload: {
          username: 'hollow',
          claims: {
            'http://wso2.org/claims/givenname': '',
            'http://wso2.org/claims/manager': '',
          },
        },
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      try {
        assert.deepEqual(await users('name pr or manager pr'), ['Bob', 'alice'])
        assert.ok((await users('not (name pr) and not (manager pr)')).includes('hollow'))
      } finally {
        const deleted = await call(h.app, {
          method: 'DELETE',
          url: `/api/admin/users/${created.body.id}`,
          auth: h.adminAuth,
        })
        assert.equal(deleted.status, 204)
      }
    })

    it('enterprise extension, qualified or not; a boolean claim', async () => {
      assert.deepEqual(await users(`${ENTERPRISE}:department eq "sales"`), ['Bob'])
      assert.deepEqual(await users('department eq "r&d"'), ['alice'])
      assert.deepEqual(await users(`${ENTERPRISE}:employeeNumber eq "100"`), ['alice'])
      assert.deepEqual(await users(`${ENTERPRISE}:forcePasswordReset eq true`), ['alice'])
      assert.deepEqual(await users(`${ENTERPRISE}:forcePasswordReset eq false`), ['Bob'])
      assert.deepEqual(await users(`${ENTERPRISE}:forcePasswordReset ne true`), except('alice'))
      assert.deepEqual(await users(`${ENTERPRISE}:forcePasswordReset pr`), ['Bob', 'alice'])
    })
  })

  describe('typed multi-valued attributes', () => {
    it('emails pr, and not (emails pr): the untyped primary email counts', async () => {
      assert.deepEqual(await users('emails pr'), ['Bob', 'alice', 'dan'])
      assert.deepEqual(await users('not (emails pr)'), ['Chloé', 'PARTNERS/carol', 'admin'])
      assert.deepEqual(await users('emails eq null'), ['Chloé', 'PARTNERS/carol', 'admin'])
    })

    it('emails and emails.value compare the values of any element', async () => {
      assert.deepEqual(await users('emails co "@HOME"'), ['Bob', 'alice'])
      assert.deepEqual(await users('emails.value eq "dan@example.com"'), ['dan'])
      assert.deepEqual(await users('emails.value ew ".example"'), ['Bob', 'alice'])
      assert.deepEqual(await users('emails.value ne "alice@work.example"'), except('alice'))
    })

    it('emails[type eq "work"] does not match an untyped primary email', async () => {
      assert.deepEqual(await users('emails[type eq "work"]'), ['alice'])
      assert.deepEqual(await users('emails[type eq "WORK"]'), ['alice'])
      assert.deepEqual(await users('emails.type eq "home"'), ['Bob', 'alice'])
      assert.deepEqual(await users('emails[not (type pr)]'), ['dan'])
      assert.deepEqual(await users('emails[type pr]'), ['Bob', 'alice'])
    })

    it('primary: the typed value the primary claim repeats, or the untyped one', async () => {
      assert.deepEqual(await users('emails[primary eq true]'), ['Bob', 'alice', 'dan'])
      assert.deepEqual(await users('emails[primary eq true and type eq "work"]'), ['alice'])
      assert.deepEqual(await users('emails[primary eq true and value co "home"]'), ['Bob'])
      assert.deepEqual(await users('emails[type eq "home" and not (primary eq true)]'), ['alice'])
      assert.deepEqual(await users('emails.primary eq null'), ['Chloé', 'PARTNERS/carol', 'admin'])
    })

    it('phone numbers: value path with type and value', async () => {
      assert.deepEqual(await users('phoneNumbers[type eq "mobile" and value sw "+1"]'), ['alice'])
      assert.deepEqual(await users('phoneNumbers[type eq "work"]'), [])
      assert.deepEqual(await users('phoneNumbers co "555"'), ['alice'])
    })

    it('addresses: sub-attributes per type, the primary type', async () => {
      assert.deepEqual(await users('addresses[type eq "work" and locality eq "paris"]'), ['alice'])
      assert.deepEqual(await users('addresses[type eq "home" and locality eq "paris"]'), [])
      assert.deepEqual(await users('addresses.country eq "fr"'), ['alice'])
      assert.deepEqual(await users('addresses[primary eq true]'), ['alice'])
      assert.deepEqual(await users('addresses pr'), ['alice'])
      assert.deepEqual(await users('not (addresses pr)'), except('alice'))
    })

    it('groups: value, display and type of the groups a user is a direct member of', async () => {
      assert.deepEqual(await users(`groups.value eq "${staffId}"`), ['Bob', 'alice'])
      assert.deepEqual(await users(`groups eq "${staffId}"`), ['Bob', 'alice'])
      assert.deepEqual(await users('groups.display eq "STAFF"'), ['Bob', 'alice'])
      assert.deepEqual(await users('groups[display sw "part"]'), ['PARTNERS/carol'])
      assert.deepEqual(await users('groups[type eq "direct" and display eq "admin"]'), ['admin'])
      assert.deepEqual(await users('not (groups pr)'), ['Chloé', 'dan'])
    })

    it('groups.display compares role names by the same key as other text', async () => {
      const principal = { tenantId, actor, permissions: new Set<never>() }
      const finance = await h.container.scimGroups.create(
        h.defaultTenant,
        { schemas: [GROUP], displayName: 'ﬁnance', members: [{ value: ids.dan }] },
        principal,
      )
      try {
        assert.deepEqual(await groups('displayName eq "finance"'), ['ﬁnance'])
        assert.deepEqual(await users('groups.display eq "finance"'), ['dan'])
      } finally {
        await h.container.scimGroups.delete(h.defaultTenant, finance.row.id, principal)
      }
    })
  })

  describe('value paths as Entra ID and Microsoft write them', () => {
    it('attr[filter].sub op value: one element satisfies both', async () => {
      assert.deepEqual(await users('emails[type eq "work"].value eq "ALICE@work.example"'), ['alice'])
      // alice's home address is an element, her work address another: no element has both.
      assert.deepEqual(await users('emails[type eq "home"].value eq "alice@work.example"'), [])
      assert.deepEqual(await users('emails[type eq "home"].value co "@home"'), ['Bob', 'alice'])
      assert.deepEqual(await users('emails[type eq "work"].value ne "nobody@x"'), ['alice'])
      assert.deepEqual(await users('not (emails[type eq "work"].value pr)'), except('alice'))
      assert.deepEqual(await users('emails[primary eq true].value sw "dan"'), ['dan'])
      assert.deepEqual(await users('addresses[type eq "work"].locality eq "paris"'), ['alice'])
      assert.deepEqual(await users('addresses[type eq "home"].locality eq "paris"'), [])
      assert.deepEqual(await users('addresses[primary eq true].country pr'), ['alice'])
      assert.deepEqual(await users('phoneNumbers[type eq "mobile"].value sw "+1"'), ['alice'])
    })

    it("attr[filter] op value compares the element's value", async () => {
      assert.deepEqual(await users('emails[type eq "home"] eq "bob@home.example"'), ['Bob'])
      assert.deepEqual(await users('emails[type eq "work"] eq "bob@home.example"'), [])
      assert.deepEqual(await users(`groups[type eq "direct"] eq "${staffId}"`), ['Bob', 'alice'])
    })
  })

  describe('schemas', () => {
    it('core and Rekey for every user, enterprise for users with an enterprise attribute', async () => {
      const withEnterprise = ['Bob', 'alice']
      assert.deepEqual(await users(`schemas eq "${ENTERPRISE}"`), withEnterprise)
      assert.deepEqual(await users(`SCHEMAS eq "${ENTERPRISE.toUpperCase()}"`), withEnterprise)
      assert.deepEqual(await users(`schemas ne "${ENTERPRISE}"`), except(...withEnterprise))
      assert.deepEqual(await users(`not (schemas eq "${ENTERPRISE}")`), except(...withEnterprise))
      assert.deepEqual(await users(`schemas eq "${CORE}" and schemas eq "${REKEY}"`), everyone)
      assert.deepEqual(await users('schemas eq "urn:ietf:params:scim:schemas:core:2.0:Group"'), [])
      assert.deepEqual(await users('schemas pr'), everyone)
      assert.deepEqual(await users('schemas eq null'), [])
      assert.deepEqual(await users('schemas sw "urn:ietf:params:scim:schemas:extension:"'), withEnterprise)
      assert.deepEqual(await users('schemas ew ":Enterprise:2.0:User"'), withEnterprise)
      assert.deepEqual(await users('schemas co "rekey"'), everyone)
      // By code point the core URI comes before "…:d", the Rekey one after it.
      assert.deepEqual(await users('schemas lt "urn:ietf:params:scim:schemas:d"'), everyone)
      assert.deepEqual(await users('schemas gt "urn:ietf:params:scim:schemas:d"'), everyone)
      assert.deepEqual(await users('schemas ge "urn:s" or schemas le "urn:a"'), [])
      assert.deepEqual(await users(`schemas eq "${ENTERPRISE}" and title eq "engineer"`), withEnterprise)
    })

    it('translates the URI comparison at translation time: only the enterprise claims reach SQL', async () => {
      const translate = (text: string) =>
        new UserFilterTranslator({ tenantId, postgres: false }).translate(parseFilter(text))
      assert.equal(translate(`schemas eq "${CORE}"`), true)
      assert.equal(translate(`schemas eq "${REKEY.toUpperCase()}"`), true)
      assert.equal(translate('schemas eq "urn:x"'), false)
      assert.equal(translate('schemas pr'), true)
      const group = (text: string) =>
        new GroupFilterTranslator({ tenantId, postgres: false }).translate(parseFilter(text))
      assert.equal(group(`schemas eq "${GROUP}"`), true)
      assert.equal(group(`schemas ne "${GROUP}"`), false)
      const query = await userPageQuery(db, tenantId, `schemas eq "${ENTERPRISE}"`)
      assert.match(query.sql, /user_claims/)
      assert.match(query.sql, /pending_resets/)
      assert.ok(!query.parameters.includes(ENTERPRISE), 'the URI is no parameter of the query')
    })

    it('groups list the core Group schema alone', async () => {
      const all = ['Staff', 'admin', 'empty', 'partners']
      assert.deepEqual(await groups(`schemas eq "${GROUP}"`), all)
      assert.deepEqual(await groups(`schemas eq "${GROUP.toLowerCase()}" and displayName sw "s"`), ['Staff'])
      assert.deepEqual(await groups(`schemas eq "${CORE}"`), [])
      assert.deepEqual(await groups(`schemas ne "${CORE}"`), all)
      assert.deepEqual(await groups('schemas pr and schemas ew ":group"'), all)
    })
  })

  describe('date-times finer than a millisecond', () => {
    const bob = T0 + 2 * 60_000
    const finer = (ms: number, digits: string) => iso(ms).replace(/Z$/, `${digits}Z`)

    it('compare as exact instants with the whole milliseconds stored', async () => {
      // Bob was created at …:02:00.000Z; ….0001Z is after it, …:01:59.9999Z before it.
      const after = finer(bob, '1')
      const before = finer(bob - 1, '9')
      assert.deepEqual(await users(`meta.created lt "${after}" and meta.created ge "${iso(bob)}"`), ['Bob'])
      assert.deepEqual(await users(`meta.created eq "${finer(bob, '9')}"`), [])
      assert.deepEqual(await users(`meta.created ne "${finer(bob, '9')}"`), everyone)
      assert.deepEqual(await users(`meta.created le "${after}"`), ['Bob', 'admin', 'alice'])
      assert.deepEqual(await users(`meta.created gt "${after}"`), ['Chloé', 'PARTNERS/carol', 'dan'])
      assert.deepEqual(await users(`meta.created ge "${after}"`), ['Chloé', 'PARTNERS/carol', 'dan'])
      assert.deepEqual(await users(`meta.created lt "${before}"`), ['admin', 'alice'])
      assert.deepEqual(await users(`meta.created le "${before}"`), ['admin', 'alice'])
      assert.deepEqual(await users(`meta.created gt "${before}"`), except('admin', 'alice'))
      assert.deepEqual(await users(`meta.created ge "${before}"`), except('admin', 'alice'))
      // Zeros below the millisecond are the same instant; a zone moves it, not its fraction.
      assert.deepEqual(await users(`meta.created eq "${finer(bob, '000000')}"`), ['Bob'])
      const zoned = iso(bob + 3_600_000).replace(/Z$/, '000001+01:00')
      assert.deepEqual(await users(`meta.created eq "${zoned}"`), [])
      assert.deepEqual(await users(`meta.created lt "${zoned}" and meta.created gt "${before}"`), ['Bob'])
      assert.deepEqual(await users(`${REKEY}:passwordLastChanged ne "${after}"`), everyone)
    })

    it('in groups too', async () => {
      const staff = T0 + 6 * 60_000
      assert.deepEqual(
        await groups(`meta.created lt "${finer(staff, '5')}" and meta.created ge "${iso(staff)}"`),
        ['Staff'],
      )
      assert.deepEqual(await groups(`meta.created eq "${finer(staff, '5')}"`), [])
    })
  })

  describe('nesting', () => {
    it('and binds tighter than or; not negates exactly, also where values are absent', async () => {
      assert.deepEqual(await users('title pr and active eq false or userName eq "dan"'), ['Bob', 'dan'])
      assert.deepEqual(await users('title pr and (active eq false or userName eq "dan")'), ['Bob'])
      assert.deepEqual(await users('not (title eq "engineer" or emails pr)'), [
        'Chloé',
        'PARTNERS/carol',
        'admin',
      ])
      assert.deepEqual(await users('not (not (title pr))'), ['Bob', 'alice'])
    })
  })

  describe('refused', () => {
    it('attributes SQL cannot answer are invalidFilter, not silently empty', async () => {
      await rejected('x509Certificates pr')
      await rejected('groups.$ref pr')
      await rejected('groups[$ref co "Groups"]')
      await rejected(`${REKEY}:oneTimePassword pr`)
      await rejected('members[$ref pr]', 'groups')
      await rejected('schemas.value eq "x"')
      await rejected('schemas[value eq "x"]')
      await rejected('schemas[value eq "x"]', 'groups')
      await rejected('schemas eq 1', 'groups')
      await rejected('addresses[type eq "work"] eq "Paris"')
    })
  })

  describe('groups', () => {
    it('displayName, id, members, members.value, members.display, meta.created', async () => {
      assert.deepEqual(await groups('displayName eq "STAFF"'), ['Staff'])
      assert.deepEqual(await groups('displayName ne "staff"'), ['admin', 'empty', 'partners'])
      assert.deepEqual(await groups(`id eq "${staffId}"`), ['Staff'])
      assert.deepEqual(await groups('members pr'), ['Staff', 'admin', 'partners'])
      assert.deepEqual(await groups('members eq null'), ['empty'])
      assert.deepEqual(await groups(`members.value eq "${ids.Bob}"`), ['Staff'])
      assert.deepEqual(await groups(`members eq "${ids.Bob}"`), ['Staff'])
      assert.deepEqual(await groups('members.display eq "partners/CAROL"'), ['partners'])
      assert.deepEqual(await groups('members[display sw "a"]'), ['Staff', 'admin'])
      assert.deepEqual(await groups(`meta.created gt "${iso(T0 + 6 * 60_000)}"`), ['empty', 'partners'])
      assert.deepEqual(await groups('meta.resourceType eq "group"'), [])
    })
  })

  describe('indexes (SQLite)', () => {
    async function plan(filter: string): Promise<string[]> {
      const query = await userPageQuery(db, tenantId, filter)
      const rows = await db.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
      )
      return rows.rows.map((row) => row.detail)
    }

    it('userName eq "x" searches users_name_unique, it does not scan users', async () => {
      const details = await plan('userName eq "x"')
      assert.ok(
        details.some((detail) => /SEARCH (u|users) USING (COVERING )?INDEX users_name_unique/.test(detail)),
        details.join('\n'),
      )
      assert.ok(!details.some((detail) => /^SCAN (u|users)\b/.test(detail)), details.join('\n'))
    })

    it('userName eq "DOMAIN/x" probes the index too', async () => {
      const details = await plan('userName eq "partners/x"')
      assert.ok(
        details.some((detail) => /USING (COVERING )?INDEX users_name_unique/.test(detail)),
        details.join('\n'),
      )
      assert.ok(!details.some((detail) => /^SCAN (u|users)\b/.test(detail)), details.join('\n'))
    })

    it('externalId eq "x" searches user_claims_value_lookup (tenant_id, claim_uri, value)', async () => {
      const details = await plan('externalId eq "x"')
      assert.ok(
        details.some((detail) => /SEARCH c USING (COVERING )?INDEX user_claims_value_lookup/.test(detail)),
        details.join('\n'),
      )
    })
  })
})

describe('SCIM filter translation: the userName look-up on PostgreSQL uses an index', {
  skip: postgresKind.skip,
}, () => {
  let h: Harness
  before(async () => {
    h = await openHarness(postgresKind)
    const db = h.container.store.db
    const tenantId = h.defaultTenant.id
    const now = Date.now()
    for (let batch = 0; batch < 4; batch++) {
      const rows = Array.from({ length: 500 }, (_, index) => {
        const name = `user${batch * 500 + index}`
        return {
          id: randomUUID(),
          tenant_id: tenantId,
          store_domain: 'PRIMARY',
          username: name,
          username_key: comparisonKey(name),
          status: 'active' as const,
          lock_reason: null,
          created_at: now + index,
          updated_at: now + index,
          version: 1,
        }
      })
      await db.insertInto('users').values(rows).execute()
      await db
        .insertInto('user_claims')
        .values(
          rows.map((row) => ({
            user_id: row.id,
            tenant_id: tenantId,
            claim_uri: 'http://wso2.org/claims/externalid',
            value: `ext-${row.username}`,
            value_key: comparisonKey(`ext-${row.username}`),
          })),
        )
        .execute()
    }
    await db.executeQuery(CompiledQuery.raw('analyze users'))
    await db.executeQuery(CompiledQuery.raw('analyze user_claims'))
  })
  after(async () => h?.close())

  it('EXPLAIN of userName eq "user1234" shows an Index Scan, not a Seq Scan on users', async () => {
    const db = h.container.store.db
    const query = await userPageQuery(db, h.defaultTenant.id, 'userName eq "user1234"')
    const result = await db.executeQuery<{ 'QUERY PLAN': string }>(
      CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]),
    )
    const plan = result.rows.map((row) => row['QUERY PLAN']).join('\n')
    assert.match(plan, /Index (Only )?Scan using users_(name_unique|tenant_name) on users( u)?\b/, plan)
    assert.doesNotMatch(plan, /Seq Scan on users/, plan)
    const found = await listUsers(db, h.defaultTenant.id, {
      filter: parseFilter('userName eq "USER1234"'),
      sortOrder: 'ascending',
      startIndex: 1,
      count: 10,
    })
    assert.deepEqual(
      found.records.map((record) => record.row.username),
      ['user1234'],
    )
  })
})
