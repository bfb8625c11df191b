import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, beforeEach, describe, it } from 'node:test'
import fc from 'fast-check'
import { type Harness, openHarness } from '../support/harness.ts'
import { type Answer, call } from '../support/http.ts'
import { snapshotStore } from '../support/store-snapshot.ts'
import { storeKinds } from '../support/stores.ts'

/** A UTF-16 surrogate without its pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const REKEY = 'urn:rekey:params:scim:schemas:extension:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'

/** `server.body_limit_bytes` here; Bulk has its own limit and operation count. */
const BODY_LIMIT = 4096
const BULK_PAYLOAD_LIMIT = 8192
const BULK_MAX_OPERATIONS = 5

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
type ScimType =
  | 'invalidFilter'
  | 'invalidPath'
  | 'invalidValue'
  | 'invalidSyntax'
  | 'uniqueness'
  | 'mutability'
  | 'noTarget'
  | 'invalidVers'
// biome-ignore lint/suspicious/noExplicitAny: SCIM resources are JSON, asserted field by field
type Resource = Record<string, any>

/** A request as the tests write it: a JSON body, or raw text with its content type. */
interface ScimRequest {
  method: Method
  url: string
  body?: unknown
  raw?: string
  contentType?: string
  headers?: Record<string, string>
}

/** A SCIM error answer (RFC 7644 §3.12): status as a string, the given scimType, a detail. */
function assertScimError(answer: Answer, status: number, scimType?: ScimType): void {
  assert.equal(
    answer.status,
    status,
    `expected ${status} ${scimType ?? ''}, got ${answer.status}: ${JSON.stringify(answer.body)}`,
  )
  assertErrorShape(answer)
  assert.equal(answer.body.scimType, scimType, JSON.stringify(answer.body))
}

function assertErrorShape(answer: Answer): void {
  assert.match(String(answer.headers['content-type']), /^application\/scim\+json/)
  assert.deepEqual(answer.body.schemas, [ERROR], JSON.stringify(answer.body))
  assert.equal(answer.body.status, String(answer.status), 'status is a string equal to the HTTP status')
  assert.equal(typeof answer.body.detail, 'string')
  assert.ok(answer.body.detail.length > 0)
}

const versionOf = (user: Resource) => Number(/^W\/"(\d+)"$/.exec(user.meta.version)![1])

/** Every SCIM User invariant a write must keep, whatever it was asked. */
function assertValidUser(user: Resource, id: string): void {
  assert.equal(user.schemas[0], CORE)
  assert.equal(user.id, id)
  assert.equal(typeof user.userName, 'string')
  assert.ok(user.userName.length > 0)
  assert.equal(typeof user.active, 'boolean')
  assert.match(user.meta.version, /^W\/"\d+"$/)
  assert.equal(user.password, undefined)
  for (const name of ['emails', 'phoneNumbers', 'ims', 'photos', 'addresses']) {
    const elements = (user[name] ?? []) as Resource[]
    assert.ok(elements.length > 0 || user[name] === undefined, `${name} is never an empty list`)
    assert.ok(
      elements.filter((element) => element.primary === true).length <= 1,
      `${name}: one primary at most`,
    )
  }
  for (const urn of user.schemas.slice(1)) assert.equal(typeof user[urn], 'object', urn)
}

/**
 * Requests for the fuzz test. Most are well formed, with values of the right type for their
 * attribute, so that they get past the envelope checks into PATCH, filter translation, Bulk
 * and storage; the rest are random JSON, random text and near-misses of the grammar.
 */
function requestArbitrary(danaId: string, other: string): fc.Arbitrary<ScimRequest> {
  const danaUrl = `/scim2/Users/${danaId}`
  const often = (usual: fc.Arbitrary<unknown>, rare: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
    fc.oneof({ weight: 4, arbitrary: usual }, { weight: 1, arbitrary: rare })
  const json = fc.jsonValue({ maxDepth: 2 })
  const word = fc.stringMatching(/^[a-z][a-z0-9.-]{0,7}$/)
  const text = fc.oneof(
    { weight: 3, arbitrary: word },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
    { weight: 1, arbitrary: fc.constantFrom('', 'Dana', 'ERIK', 'x@example.com', 'W/"1"', '\u0000', 'a/b') },
  )
  const flag = fc.oneof(fc.boolean(), fc.constantFrom('True', 'False', 'true', 'yes', null))
  const typed = (types: string[]) =>
    fc.record(
      { value: text, type: fc.constantFrom(...types, 'weird'), primary: flag, display: text },
      { requiredKeys: ['value'] },
    )
  const partial = <T>(shape: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(shape, { requiredKeys: [] })
  /** Elements of a multi-valued attribute with distinct types, the first one maybe primary. */
  const distinctTyped = (types: string[], value: fc.Arbitrary<string>) =>
    fc
      .tuple(
        fc.uniqueArray(fc.constantFrom(...types), { maxLength: 3 }),
        fc.array(value, { minLength: 3, maxLength: 3 }),
        fc.boolean(),
      )
      .map(([chosen, values, primary]) =>
        chosen.map((type, index) => ({
          value: values[index],
          type,
          ...(primary && index === 0 ? { primary } : {}),
        })),
      )
  const email = word.map((name) => `${name}@example.com`)
  /** Values that fit their attribute. */
  const fitting: Record<string, fc.Arbitrary<unknown>> = {
    title: word,
    displayName: word,
    nickName: word,
    externalId: word,
    userName: word.map((name) => `fz-${name}`),
    password: word.map((name) => `${name}-passphrase`),
    active: fc.oneof(fc.boolean(), fc.constantFrom('True', 'False')),
    name: partial({ givenName: word, familyName: word }),
    emails: distinctTyped(['work', 'home', 'other'], email),
    phoneNumbers: distinctTyped(
      ['work', 'mobile', 'home', 'fax'],
      fc.integer({ min: 1000, max: 9999 }).map(String),
    ),
    addresses: fc
      .uniqueArray(fc.constantFrom('work', 'home', 'other'), { maxLength: 2 })
      .chain((types) =>
        fc.tuple(...types.map((type) => partial({ type: fc.constant(type), locality: word, country: word }))),
      ),
    x509Certificates: fc.array(partial({ value: word }), { maxLength: 2 }),
    [ENTERPRISE]: partial({
      employeeNumber: word,
      department: word,
      manager: partial({ value: word }),
      forcePasswordReset: fc.boolean(),
    }),
    [REKEY]: partial({ accountLocked: fc.boolean() }),
  }
  /** Values of the right shape but often wrong in detail: odd text, unknown types, two primaries. */
  const rough: Record<string, fc.Arbitrary<unknown>> = {
    ...Object.fromEntries(Object.keys(fitting).map((key) => [key, text])),
    active: flag,
    name: partial({ givenName: text, familyName: text, formatted: text }),
    emails: fc.array(typed(['work', 'home', 'other']), { maxLength: 3 }),
    phoneNumbers: fc.array(typed(['work', 'mobile', 'home', 'fax']), { maxLength: 3 }),
    ims: fc.array(typed(['aim', 'skype']), { maxLength: 2 }),
    addresses: fc.array(
      partial({ type: fc.constantFrom('work', 'home', 'other'), locality: text, primary: flag }),
      {
        maxLength: 2,
      },
    ),
    x509Certificates: fc.array(partial({ value: text }), { maxLength: 2 }),
    groups: fc.array(partial({ value: text, display: text }), { maxLength: 2 }),
    [ENTERPRISE]: partial({
      employeeNumber: text,
      manager: fc.oneof(partial({ value: text, displayName: text }), text),
      forcePasswordReset: flag,
    }),
    [REKEY]: partial({ accountLocked: flag, lockedReason: text }),
  }
  const attributeValue: Record<string, fc.Arbitrary<unknown>> = Object.fromEntries(
    Object.keys(rough).map((key) => [key, fitting[key] ? often(fitting[key], rough[key]!) : rough[key]!]),
  )
  /** A few attributes (at most four), each with a value for it. */
  const attributes = fc
    .subarray(Object.keys(attributeValue), { maxLength: 4 })
    .chain((keys) => fc.record(Object.fromEntries(keys.map((key) => [key, attributeValue[key]!]))))
  const randomAttributes = fc.dictionary(
    fc.constantFrom(
      ...Object.keys(attributeValue),
      'id',
      'meta',
      'schemas',
      'USERNAME',
      `${CORE}:title`,
      'nosuch',
    ),
    fc.oneof(text, json, flag),
    { maxKeys: 4 },
  )
  const userBody = often(
    fc
      .tuple(attributes, word)
      .map(([values, name]) => ({ schemas: [CORE], userName: `fz-${name}`, ...values })),
    fc
      .tuple(fc.oneof(fc.constant([CORE]), json), randomAttributes)
      .map(([schemas, values]) => ({ schemas, ...values })),
  )
  const putBody = often(
    attributes.map((values) => ({ schemas: [CORE, ENTERPRISE], userName: 'Dana', ...values })),
    userBody,
  )

  const paths = fc.constantFrom(
    'title',
    'name.givenName',
    'emails[type eq "work"].value',
    'emails[type eq "home"]',
    'emails[value co "x"]',
    'phoneNumbers[type eq "mobile"].value',
    'addresses[type eq "home"].locality',
    `${ENTERPRISE}:manager`,
    `${ENTERPRISE}:manager.value`,
    `${REKEY}:accountLocked`,
    'id',
    'meta.created',
    'groups',
    'nosuch',
    'emails[type eq',
  )
  const attributeOperation = fc.constantFrom(...Object.keys(attributeValue)).chain((path) =>
    fc.record({
      op: fc.constantFrom('add', 'replace', 'Replace', 'Add'),
      path: fc.constant(path),
      value: attributeValue[path]!,
    }),
  )
  const operation = fc.oneof(
    { weight: 4, arbitrary: attributeOperation },
    { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('add', 'replace'), path: paths, value: text }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constantFrom('remove', 'Remove'),
        path: fc.oneof(paths, fc.constantFrom(...Object.keys(attributeValue))),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constantFrom('add', 'replace'),
        value: fc.oneof(attributes, randomAttributes),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record(
        {
          op: fc.oneof(fc.constantFrom('add', 'remove', 'move'), json),
          path: fc.oneof(text, json),
          value: json,
        },
        { requiredKeys: ['op'] },
      ),
    },
  )
  const patchBody = often(
    fc
      .array(operation, { minLength: 1, maxLength: 3 })
      .map((operations) => ({ schemas: [PATCH_OP], Operations: operations })),
    fc.record({
      schemas: fc.oneof(fc.constant([PATCH_OP, ENTERPRISE]), json),
      Operations: fc.oneof(fc.array(operation, { maxLength: 2 }), json),
    }),
  )

  // Filters: leaves compare an attribute with a literal of its type, value paths use the
  // element's sub-attributes; near-misses and random text come less often.
  const quoted = text.map((value) => JSON.stringify(value))
  const instant = fc
    .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) })
    .map((time) => JSON.stringify(new Date(time).toISOString()))
  const leaf = (names: string[], operators: string[], literal: fc.Arbitrary<string>) =>
    fc
      .tuple(fc.constantFrom(...names), fc.constantFrom(...operators), literal)
      .map(([name, operator, value]) => `${name} ${operator} ${value}`)
  const orderings = ['eq', 'ne', 'gt', 'ge', 'lt', 'le']
  const textual = [...orderings, 'co', 'sw', 'ew']
  const booleans = fc.constantFrom('true', 'false', '"True"', '"false"', 'null')
  const stringNames = [
    'userName',
    'title',
    'externalId',
    'displayName',
    'id',
    'emails',
    'emails.value',
    'emails.type',
    'name.givenName',
    'groups.display',
    'groups.value',
    'addresses.locality',
    'phoneNumbers.value',
    'meta.resourceType',
    `${ENTERPRISE}:employeeNumber`,
    `${ENTERPRISE}:manager.value`,
    `${CORE}:userName`,
    `${REKEY}:lockedReason`,
  ]
  const booleanNames = [
    'active',
    'emails.primary',
    `${ENTERPRISE}:forcePasswordReset`,
    `${REKEY}:accountLocked`,
  ]
  const instantNames = ['meta.created', 'meta.lastModified', `${REKEY}:passwordLastChanged`]
  const allNames = [
    ...stringNames,
    ...booleanNames,
    ...instantNames,
    'name',
    'password',
    'nosuch',
    'x509Certificates',
  ]
  const elementFilter = fc.letrec<{ inner: string }>((tie) => ({
    inner: fc.oneof(
      { maxDepth: 2 },
      leaf(['value', 'type', 'display', 'locality'], textual, quoted),
      leaf(['primary'], ['eq', 'ne'], booleans),
      fc.constantFrom('value pr', 'type pr', 'primary pr'),
      fc.tuple(tie('inner'), fc.constantFrom('and', 'or'), tie('inner')).map(([l, j, r]) => `${l} ${j} ${r}`),
      tie('inner').map((inner) => `not (${inner})`),
    ),
  })).inner
  const { filter } = fc.letrec<{ filter: string }>((tie) => ({
    filter: fc.oneof(
      { maxDepth: 3 },
      leaf(stringNames, textual, quoted),
      leaf(booleanNames, ['eq', 'ne'], booleans),
      leaf(instantNames, orderings, instant),
      fc.constantFrom(...allNames).map((name) => `${name} pr`),
      fc
        .tuple(fc.constantFrom('emails', 'phoneNumbers', 'addresses', 'groups', 'ims'), elementFilter)
        .map(([name, inner]) => `${name}[${inner}]`),
      fc
        .tuple(tie('filter'), fc.constantFrom('and', 'or', 'AND'), tie('filter'))
        .map(([l, j, r]) => `${l} ${j} ${r}`),
      tie('filter').map((inner) => `not (${inner})`),
      tie('filter').map((inner) => `(${inner})`),
    ),
  }))
  const misfit = leaf(
    allNames,
    [...textual, 'pr', 'EQ', 'xx'],
    fc.oneof(quoted, booleans, instant, fc.constantFrom('5', '-1.5', '1e400')),
  )
  const filterText = fc.oneof(
    { weight: 6, arbitrary: filter },
    { weight: 1, arbitrary: misfit },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    {
      weight: 1,
      arbitrary: fc.tuple(filter, fc.nat(), fc.string({ maxLength: 3 })).map(([whole, at, junk]) => {
        const cut = at % (whole.length + 1)
        return whole.slice(0, cut) + junk + whole.slice(cut)
      }),
    },
  )
  const sortable = fc.constantFrom(
    'userName',
    'title',
    'meta.created',
    'meta.lastModified',
    'emails',
    'id',
    `${ENTERPRISE}:employeeNumber`,
    'name.givenName',
    'password',
    'nosuch',
  )
  const projection = fc.array(fc.constantFrom(...allNames, 'emails.value', ENTERPRISE), { maxLength: 3 })
  const searchBody = often(
    fc
      .record(
        {
          filter: filterText,
          sortBy: sortable,
          sortOrder: fc.constantFrom('ascending', 'descending'),
          startIndex: fc.integer({ min: -1, max: 8 }),
          count: fc.integer({ min: -1, max: 8 }),
          projection: fc.tuple(fc.constantFrom('attributes', 'excludedAttributes'), projection),
        },
        { requiredKeys: [] },
      )
      .map(({ projection: picked, ...fields }) => ({
        schemas: [SEARCH],
        ...fields,
        ...(picked ? { [picked[0]]: picked[1] } : {}),
      })),
    fc.record(
      {
        schemas: fc.oneof(fc.constant([SEARCH]), json),
        filter: json,
        sortBy: json,
        count: json,
        attributes: json,
      },
      { requiredKeys: [] },
    ),
  )

  const danaPath = `/Users/${danaId}`
  const bulkOperation = often(
    fc.oneof(
      fc.record({
        method: fc.constant('POST'),
        path: fc.constant('/Users'),
        bulkId: fc.constantFrom('a', 'b'),
        data: userBody,
      }),
      fc.record({
        method: fc.constant('PATCH'),
        path: fc.constantFrom(danaPath, '/Users/bulkId:a'),
        data: patchBody,
      }),
      fc.record({ method: fc.constant('PUT'), path: fc.constant(danaPath), data: putBody }),
      fc.record({
        method: fc.constant('DELETE'),
        path: fc.constantFrom(`/Users/${other}`, '/Users/bulkId:b', '/Groups/bulkId:g'),
      }),
      fc.record({
        method: fc.constant('POST'),
        path: fc.constant('/Groups'),
        bulkId: fc.constantFrom('g', 'h'),
        data: fc.record({
          schemas: fc.constant([GROUP]),
          displayName: word.map((name) => `fz-${name}`),
          members: fc.array(fc.record({ value: fc.constantFrom(danaId, 'bulkId:a', other) }), {
            maxLength: 2,
          }),
        }),
      }),
    ),
    fc.record(
      {
        method: fc.constantFrom('POST', 'PUT', 'PATCH', 'GET', 'post'),
        path: fc.constantFrom('/Users', danaPath, '/Groups', '/Nope', 'Users'),
        bulkId: fc.constantFrom('a', ''),
        version: fc.constantFrom('W/"1"', 'garbage', '*'),
        data: json,
      },
      { requiredKeys: ['method', 'path'] },
    ),
  )
  const bulkBody = often(
    fc
      .tuple(
        fc.array(bulkOperation, { minLength: 1, maxLength: BULK_MAX_OPERATIONS }),
        fc.option(fc.integer({ min: 1, max: 3 })),
      )
      .map(([operations, failOnErrors]) => ({
        schemas: [BULK],
        ...(failOnErrors === null ? {} : { failOnErrors }),
        Operations: operations,
      })),
    fc.record(
      { schemas: fc.oneof(fc.constant([BULK]), json), failOnErrors: json, Operations: json },
      { requiredKeys: [] },
    ),
  )

  const anyTarget = fc.constantFrom<[Method, string]>(
    ['POST', '/scim2/Users'],
    ['PUT', danaUrl],
    ['PATCH', danaUrl],
    ['POST', '/scim2/Bulk'],
    ['POST', '/scim2/Users/.search'],
    ['POST', '/scim2/.search'],
  )
  return fc.oneof(
    userBody.map((body) => ({ method: 'POST' as const, url: '/scim2/Users', body })),
    putBody.map((body) => ({ method: 'PUT' as const, url: danaUrl, body })),
    { weight: 2, arbitrary: patchBody.map((body) => ({ method: 'PATCH' as const, url: danaUrl, body })) },
    bulkBody.map((body) => ({ method: 'POST' as const, url: '/scim2/Bulk', body })),
    searchBody.map((body) => ({ method: 'POST' as const, url: '/scim2/Users/.search', body })),
    {
      weight: 2,
      arbitrary: filterText.map((expression) => ({
        method: 'GET' as const,
        // A URL carries UTF-8: a lone surrogate cannot be encoded into one (URIError), so it goes
        // as the replacement character, as a client's encoder would send it.
        url: `/scim2/Users?filter=${encodeURIComponent(expression.replace(LONE_SURROGATE, '\uFFFD'))}`,
      })),
    },
    fc.tuple(anyTarget, json).map(([[method, url], body]) => ({ method, url, body })),
  )
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: SCIM Users errors`, { skip: kind.skip }, () => {
    let h: Harness
    let dana: Resource
    let erik: Resource

    const send = (request: ScimRequest): Promise<Answer> => {
      const payload = request.raw ?? (request.body === undefined ? undefined : JSON.stringify(request.body))
      return call(h.app, {
        method: request.method,
        url: request.url,
        auth: h.adminAuth,
        headers: {
          ...(payload === undefined
            ? {}
            : { 'content-type': request.contentType ?? 'application/scim+json' }),
          ...request.headers,
        },
        ...(payload === undefined ? {} : { payload }),
      })
    }
    /** The store as each test starts; every refused write must leave it exactly so. */
    let baseline: Record<string, string[]>
    /** Sends a request that must be refused with the given status and scimType, changing nothing. */
    const refused = async (request: ScimRequest, status: number, scimType?: ScimType): Promise<Answer> => {
      const answer = await send(request)
      assertScimError(answer, status, scimType)
      if (request.method !== 'GET')
        assert.deepEqual(
          await snapshotStore(h.container.store.db),
          baseline,
          `${request.method} ${request.url} changed the store`,
        )
      return answer
    }
    const danaUrl = () => `/scim2/Users/${dana.id}`
    const postUser = (body: Resource): ScimRequest => ({
      method: 'POST',
      url: '/scim2/Users',
      body: { schemas: [CORE], ...body },
    })
    const putDana = (body: Resource): ScimRequest => ({ method: 'PUT', url: danaUrl(), body })
    const patchDana = (operations: unknown[], url = danaUrl()): ScimRequest => ({
      method: 'PATCH',
      url,
      body: { schemas: [PATCH_OP], Operations: operations },
    })
    const filtered = (filter: string): ScimRequest => ({
      method: 'GET',
      url: `/scim2/Users?filter=${encodeURIComponent(filter)}`,
    })
    const getDana = async (): Promise<Answer> => {
      const answer = await send({ method: 'GET', url: danaUrl() })
      assert.equal(answer.status, 200, 'the user is still there')
      return answer
    }

    before(async () => {
      h = await openHarness(kind, {
        env: {
          REKEY_BODY_LIMIT_BYTES: String(BODY_LIMIT),
          REKEY_SCIM_BULK_MAX_PAYLOAD_BYTES: String(BULK_PAYLOAD_LIMIT),
          REKEY_SCIM_BULK_MAX_OPERATIONS: String(BULK_MAX_OPERATIONS),
        },
      })
      const create = async (body: Resource) => {
        const created = await send(postUser(body))
        assert.equal(created.status, 201, JSON.stringify(created.body))
        return created.body
      }
      dana = await create({
        userName: 'Dana',
        password: 'dana-passphrase-1',
        title: 'Baker',
        emails: [{ value: 'dana@work.example', type: 'work', primary: true }],
        [ENTERPRISE]: { department: 'Bakery' },
      })
      erik = await create({ userName: 'erik' })
    })
    after(async () => h?.close())
    beforeEach(async () => {
      baseline = await snapshotStore(h.container.store.db)
    })

    it('invalidFilter: bad syntax, unknown attributes, password, oneTimePassword, wrong literals', async () => {
      const filters = [
        'userName eq',
        '(userName eq "dana"',
        'userName "dana"',
        'userName eq "dana" and',
        'nosuch eq "x"',
        'name.nosuch eq "x"',
        'urn:nope:User:userName eq "x"',
        'password eq "dana-passphrase-1"',
        'password pr',
        `${REKEY}:oneTimePassword sw "a"`,
        `${REKEY}:oneTimePassword pr`,
        'title eq 5',
        'active gt true',
        'meta.created co "2"',
        'meta.created gt "yesterday"',
        'x509Certificates pr',
        'emails[type eq "work" and emails[value pr]]',
        'addresses[type eq "work"] eq "b"',
        'title eq "\\u0000"',
      ]
      for (const filter of filters) await refused(filtered(filter), 400, 'invalidFilter')
      await refused(
        {
          method: 'POST',
          url: '/scim2/Users/.search',
          body: { schemas: [SEARCH], filter: 'password eq "x"' },
        },
        400,
        'invalidFilter',
      )
      await refused(
        { method: 'POST', url: '/scim2/Users/.search', body: { schemas: [SEARCH], filter: 5 } },
        400,
        'invalidFilter',
      )
      await refused(
        { method: 'POST', url: '/scim2/.search', body: { schemas: [SEARCH], filter: 'nosuch pr' } },
        400,
        'invalidFilter',
      )
    })

    it('invalidPath: PATCH paths that name nothing known or do not parse', async () => {
      for (const path of [
        'nosuch',
        'name.nosuch',
        'urn:nope:User:title',
        'emails[type eq',
        'emails[nosuch eq "x"].value',
        'title[value eq "x"]',
        '',
        // The core schema's URN names no container; an extension's does (scim-patch-containers).
        CORE,
        'urn:example:params:scim:schemas:extension:other:2.0:User',
      ]) {
        await refused(patchDana([{ op: 'replace', path, value: 'x' }]), 400, 'invalidPath')
      }
    })

    it('invalidValue: wrong types, unknown types, two primaries, no userName, weak passwords', async () => {
      const cases: ScimRequest[] = [
        postUser({ userName: 5 }),
        postUser({ userName: 'typed', active: 'yes' }),
        postUser({ userName: 'typed', name: 'Bob' }),
        postUser({ userName: 'typed', emails: [{ value: 'a@example.com', type: 'weird' }] }),
        postUser({ userName: 'typed', emails: ['a@example.com'] }),
        postUser({
          userName: 'typed',
          emails: [
            { value: 'a@example.com', type: 'work', primary: true },
            { value: 'b@example.com', type: 'home', primary: true },
          ],
        }),
        postUser({
          userName: 'typed',
          emails: [
            { value: 'a@example.com', type: 'work' },
            { value: 'b@example.com', type: 'work' },
          ],
        }),
        postUser({}),
        postUser({ userName: '' }),
        postUser({ userName: 'a/b/c' }),
        postUser({ userName: 'NOSTORE/typed' }),
        postUser({ userName: 'typed', password: 'short' }),
        postUser({ userName: 'typed', password: 5 }),
        postUser({ userName: 'typed', title: 'a\u0000b' }),
        postUser({ userName: 'typed', [ENTERPRISE]: 'not an object' }),
        putDana({ schemas: [CORE], title: 'No name' }),
        patchDana([{ op: 'replace', path: 'title', value: { a: 1 } }]),
        patchDana([{ op: 'replace', path: 'name', value: 'Bob' }]),
        patchDana([{ op: 'add', path: 'emails', value: [{ value: 'x@example.com', type: 'weird' }] }]),
        patchDana([
          {
            op: 'add',
            path: 'emails',
            value: [
              { value: 'a@example.com', type: 'home', primary: true },
              { value: 'b@example.com', type: 'other', primary: true },
            ],
          },
        ]),
        patchDana([{ op: 'replace', path: 'active', value: 'maybe' }]),
        patchDana([{ op: 'replace', path: 'password', value: 'short' }]),
        patchDana([{ op: 'remove', path: 'userName' }]),
        patchDana([{ op: 'replace', path: 'userName', value: '' }]),
        patchDana([{ op: 'add', path: 'title' }]),
        patchDana([{ op: 'add', value: 'not an object' }]),
        { method: 'GET', url: '/scim2/Users?sortBy=nosuch' },
        { method: 'GET', url: '/scim2/Users?sortBy=password' },
        { method: 'GET', url: '/scim2/Users?sortOrder=up' },
        { method: 'GET', url: '/scim2/Users?count=abc' },
        { method: 'GET', url: '/scim2/Users?startIndex=1.5' },
        { method: 'GET', url: '/scim2/Users?filter=title%20pr&filter=title%20pr' },
        { method: 'GET', url: '/scim2/Users?attributes=userName&excludedAttributes=title' },
      ]
      for (const request of cases) await refused(request, 400, 'invalidValue')
    })

    it('invalidSyntax: bodies that are not JSON (status "400"), missing schemas, missing PatchOp', async () => {
      const broken = '{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName":'
      for (const [method, url] of [
        ['POST', '/scim2/Users'],
        ['PUT', danaUrl()],
        ['PATCH', danaUrl()],
        ['POST', '/scim2/Users/.search'],
        ['POST', '/scim2/Bulk'],
      ] as Array<[Method, string]>) {
        for (const contentType of [
          'application/scim+json',
          'application/json',
          'application/json; charset=utf-8',
        ])
          await refused({ method, url, raw: broken, contentType }, 400, 'invalidSyntax')
        await refused({ method, url, raw: '', contentType: 'application/scim+json' }, 400, 'invalidSyntax')
      }
      const cases: ScimRequest[] = [
        { method: 'POST', url: '/scim2/Users', body: [] },
        { method: 'POST', url: '/scim2/Users', body: 'dana' },
        { method: 'POST', url: '/scim2/Users', body: { userName: 'schemaless' } },
        { method: 'POST', url: '/scim2/Users', body: { schemas: [ENTERPRISE], userName: 'schemaless' } },
        { method: 'PUT', url: danaUrl(), body: { userName: 'Dana' } },
        { method: 'PATCH', url: danaUrl(), body: { Operations: [{ op: 'add', path: 'title', value: 'x' }] } },
        {
          method: 'PATCH',
          url: danaUrl(),
          body: { schemas: [CORE], Operations: [{ op: 'add', path: 'title', value: 'x' }] },
        },
        { method: 'PATCH', url: danaUrl(), body: { schemas: [PATCH_OP] } },
        patchDana([]),
        patchDana([{ op: 'move', path: 'title', value: 'x' }]),
        patchDana([{ path: 'title', value: 'x' }]),
        patchDana([{ op: 'add', path: 5, value: 'x' }]),
        patchDana(['add']),
        { method: 'POST', url: '/scim2/Users/.search', body: { filter: 'title pr' } },
        { method: 'POST', url: '/scim2/Bulk', body: { Operations: [{ method: 'DELETE', path: danaUrl() }] } },
        { method: 'POST', url: '/scim2/Bulk', body: { schemas: [BULK], Operations: [] } },
      ]
      for (const request of cases) await refused(request, 400, 'invalidSyntax')
    })

    it('uniqueness: a user name taken in any letter case → 409', async () => {
      await refused(postUser({ userName: 'Dana' }), 409, 'uniqueness')
      await refused(postUser({ userName: 'DANA' }), 409, 'uniqueness')
      await refused(postUser({ userName: 'dana' }), 409, 'uniqueness')
      await refused(
        { method: 'PUT', url: `/scim2/Users/${erik.id}`, body: { schemas: [CORE], userName: 'dAnA' } },
        409,
        'uniqueness',
      )
      await refused(patchDana([{ op: 'replace', path: 'userName', value: 'ERIK' }]), 409, 'uniqueness')
    })

    it('mutability: PATCH paths naming id, meta or groups', async () => {
      for (const [op, path] of [
        ['replace', 'id'],
        ['replace', 'meta.created'],
        ['remove', 'meta'],
        ['add', 'groups'],
        ['remove', 'groups'],
        ['add', 'groups[value eq "x"].display'],
        ['replace', `${REKEY}:lockedReason`],
        ['replace', `${REKEY}:passwordLastChanged`],
      ]) {
        await refused(patchDana([{ op, path, value: [{ value: randomUUID() }] }]), 400, 'mutability')
      }
    })

    it('noTarget: remove without a path; a value filter that matches nothing and creates nothing', async () => {
      await refused(patchDana([{ op: 'remove' }]), 400, 'noTarget')
      await refused(patchDana([{ op: 'remove', path: null }]), 400, 'noTarget')
      await refused(
        patchDana([{ op: 'replace', path: 'emails[value co "zzz"].value', value: 'x' }]),
        400,
        'noTarget',
      )
      await refused(
        patchDana([{ op: 'replace', path: 'emails[value co "zzz"]', value: { value: 'x@example.com' } }]),
        400,
        'noTarget',
      )
      await refused(
        patchDana([{ op: 'add', path: 'emails[type ne "work"].value', value: 'x' }]),
        400,
        'noTarget',
      )
      await refused(
        patchDana([{ op: 'replace', path: 'phoneNumbers[value sw "+99"].value', value: '+99 1' }]),
        400,
        'noTarget',
      )
      // A failing operation takes the ones before it down with it.
      await refused(
        patchDana([
          { op: 'replace', path: 'title', value: 'Changed' },
          { op: 'remove', path: 'emails[value eq "dana@work.example"]' },
          { op: 'remove' },
        ]),
        400,
        'noTarget',
      )
    })

    it('invalidVers for malformed entity tags; 412 for stale ones', async () => {
      const version = (await getDana()).body.meta.version
      for (const tag of ['garbage', 'W/5', '"unterminated', 'W/"1" junk']) {
        const headers = { 'if-match': tag }
        await refused(
          { ...patchDana([{ op: 'add', path: 'nickName', value: 'x' }]), headers },
          400,
          'invalidVers',
        )
        await refused({ ...putDana({ schemas: [CORE], userName: 'Dana' }), headers }, 400, 'invalidVers')
        await refused({ method: 'DELETE', url: danaUrl(), headers }, 400, 'invalidVers')
        await refused(
          { method: 'GET', url: danaUrl(), headers: { 'if-none-match': tag } },
          400,
          'invalidVers',
        )
      }
      const stale = { 'if-match': 'W/"999"' }
      await refused({ ...patchDana([{ op: 'add', path: 'nickName', value: 'x' }]), headers: stale }, 412)
      await refused({ ...putDana({ schemas: [CORE], userName: 'Dana' }), headers: stale }, 412)
      await refused({ method: 'DELETE', url: danaUrl(), headers: stale }, 412)
      assert.equal((await getDana()).body.meta.version, version)
    })

    // tooMany is for filters that would match too much; Users are paged instead, so never sent.

    it('413 for bodies over the limits', async () => {
      const big = 'x'.repeat(BODY_LIMIT)
      await refused(postUser({ userName: 'big', title: big }), 413)
      await refused(patchDana([{ op: 'replace', path: 'title', value: big }]), 413)
      await refused(putDana({ schemas: [CORE], userName: 'Dana', title: big }), 413)
      await refused(
        { method: 'POST', url: '/scim2/Users/.search', body: { schemas: [SEARCH], filter: big } },
        413,
      )
      const bulkOperation = { method: 'DELETE', path: `/Users/${randomUUID()}` }
      await refused(
        {
          method: 'POST',
          url: '/scim2/Bulk',
          body: {
            schemas: [BULK],
            Operations: [
              {
                ...bulkOperation,
                method: 'POST',
                bulkId: 'x',
                data: { padding: 'x'.repeat(BULK_PAYLOAD_LIMIT) },
              },
            ],
          },
        },
        413,
      )
      await refused(
        {
          method: 'POST',
          url: '/scim2/Bulk',
          body: { schemas: [BULK], Operations: Array(BULK_MAX_OPERATIONS + 1).fill(bulkOperation) },
        },
        413,
      )
      // Bulk has its own, larger limit: a body over the server's but under Bulk's is read.
      const answer = await send({
        method: 'POST',
        url: '/scim2/Bulk',
        body: {
          schemas: [BULK],
          Operations: [{ method: 'PATCH', path: `/Users/${randomUUID()}`, data: { padding: big } }],
        },
      })
      assert.equal(answer.status, 200)
      assert.equal(answer.body.Operations[0].status, '404')
    })

    it('415 for text/plain, form and other non-JSON bodies', async () => {
      for (const [method, url] of [
        ['POST', '/scim2/Users'],
        ['PUT', danaUrl()],
        ['PATCH', danaUrl()],
        ['POST', '/scim2/Users/.search'],
        ['POST', '/scim2/Bulk'],
        ['POST', '/scim2/Groups'],
      ] as Array<[Method, string]>) {
        await refused({ method, url, raw: '{"userName":"plain"}', contentType: 'text/plain' }, 415)
        await refused(
          { method, url, raw: 'userName=form', contentType: 'application/x-www-form-urlencoded' },
          415,
        )
        await refused({ method, url, raw: '<userName/>', contentType: 'application/xml' }, 415)
      }
    })

    it('a DELETE carrying a JSON content type and no body is a DELETE; other empty bodies are invalidSyntax', async () => {
      for (const contentType of ['application/scim+json', 'application/json; charset=utf-8']) {
        const created = await send(postUser({ schemas: [CORE], userName: `leaving-${contentType.length}` }))
        assert.equal(created.status, 201, JSON.stringify(created.body))
        const removed = await call(h.app, {
          method: 'DELETE',
          url: `/scim2/Users/${created.body.id}`,
          auth: h.adminAuth,
          headers: { 'content-type': contentType, 'content-length': '0' },
        })
        assert.equal(removed.status, 204, JSON.stringify(removed.body))
      }
      baseline = await snapshotStore(h.container.store.db)
      for (const [method, url] of [
        ['POST', '/scim2/Users'],
        ['PATCH', danaUrl()],
        ['PUT', danaUrl()],
      ] as Array<[Method, string]>)
        await refused({ method, url, raw: '', contentType: 'application/scim+json' }, 400, 'invalidSyntax')
    })

    it('404 SCIM errors for unknown endpoints, users and tenants; 405 for a method an endpoint lacks', async () => {
      for (const request of [
        { method: 'GET', url: '/scim2/Nope' },
        { method: 'POST', url: '/scim2/Nope', body: { schemas: [CORE] } },
        { method: 'GET', url: `${danaUrl()}/extra` },
        { method: 'GET', url: '/scim2/v2/Users' },
        { method: 'GET', url: '/t/nope.example/scim2/Users' },
        patchDana([{ op: 'add', path: 'title', value: 'x' }], `/scim2/Users/${randomUUID()}`),
        { method: 'DELETE', url: `/scim2/Users/${randomUUID()}` },
        { method: 'GET', url: '/scim2/Groups/not-a-group' },
      ] as ScimRequest[]) {
        await refused(request, 404)
      }
      const anonymous = await call(h.app, { method: 'GET', url: '/scim2/Nope' })
      assertScimError(anonymous, 404)
      // An endpoint asked with a method it does not take: 405, and nothing changes.
      for (const request of [
        { method: 'DELETE', url: '/scim2/Users' },
        { method: 'PUT', url: '/scim2/Users', body: { schemas: [CORE], userName: 'x' } },
      ] as ScimRequest[]) {
        await refused(request, 405)
      }
    })

    it('fuzz: random bodies and filters never cause a 5xx, and the user stays valid', async () => {
      const danaUrlNow = danaUrl()
      let previous = (await getDana()).body as Resource
      await fc.assert(
        fc.asyncProperty(requestArbitrary(dana.id, randomUUID()), async (sent) => {
          // `call` already fails on any 5xx.
          const answer = await send(sent)
          if (answer.status >= 400) assertErrorShape(answer)
          if (sent.method === 'GET' || sent.url.endsWith('/.search')) {
            if (answer.status === 200) assert.equal(answer.body.Resources.length, answer.body.itemsPerPage)
            return
          }
          if (sent.url === '/scim2/Bulk' && answer.status === 200) {
            for (const result of answer.body.Operations as Resource[]) {
              assert.ok(Number(result.status) < 500, JSON.stringify(result))
              if (Number(result.status) >= 400) assert.deepEqual(result.response.schemas, [ERROR])
            }
          }
          const current = (await getDana()).body as Resource
          const targetsDana = sent.url === danaUrlNow
          if (targetsDana && answer.status >= 400)
            assert.equal(current.meta.version, previous.meta.version, 'a refused write changed the user')
          if (targetsDana && answer.status === 200) assert.deepEqual(answer.body, current)
          // Role membership (Bulk POST /Groups) shows in `groups` without being a write of the user.
          const { groups: _now, ...stable } = current
          const { groups: _then, ...earlier } = previous
          if (versionOf(current) === versionOf(previous))
            assert.deepEqual(stable, earlier, 'changed without a new version')
          else assert.ok(versionOf(current) > versionOf(previous), 'versions only grow')
          assertValidUser(current, dana.id)
          previous = current
        }),
        { numRuns: 200 },
      )
    })
  })
}
