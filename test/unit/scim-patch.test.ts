import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { isScimError, type ScimType } from '../../src/scim/errors.ts'
import { matchesElement } from '../../src/scim/filter/evaluate.ts'
import { parsePatchPath } from '../../src/scim/filter/path.ts'
import { applyPatch, MAX_OPERATIONS, PATCH_OP_URN } from '../../src/scim/patch/apply-patch.ts'
import { WorkBudget } from '../../src/scim/patch/budget.ts'
import { selectElements } from '../../src/scim/patch/elements.ts'
import { resolvePath } from '../../src/scim/patch/target.ts'
import {
  ENTERPRISE_USER_SCHEMA_URN as ENTERPRISE,
  enterpriseUserSchema,
} from '../../src/scim/schema/enterprise-user.ts'
import { GROUP_SCHEMA_URN } from '../../src/scim/schema/group.ts'
import { createSchemaRegistry, groupRegistry, userRegistry } from '../../src/scim/schema/registry.ts'
import { REKEY_USER_SCHEMA_URN as REKEY } from '../../src/scim/schema/rekey-user.ts'
import type { SchemaRegistry } from '../../src/scim/schema/types.ts'
import { attribute, USER_SCHEMA_URN as CORE, userSchema } from '../../src/scim/schema/user.ts'

type Doc = Record<string, unknown>

const BABS = '2819c223-7f76-453a-919d-413861904646'
const MANDY = '902c246b-6245-4190-8e05-00816be7344a'
const JAMES = '08e1d05d-121c-4561-8b96-473d93df9210'

function user(): Doc {
  return {
    schemas: [CORE, REKEY],
    id: BABS,
    userName: 'bjensen',
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    active: true,
    emails: [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ],
    phoneNumbers: [{ value: '555-555-8377', type: 'work' }],
    groups: [{ value: 'e9e30dba', display: 'Tour Guides', type: 'direct' }],
    [REKEY]: { accountLocked: false, passwordLastChanged: '2024-01-01T00:00:00Z' },
    meta: { resourceType: 'User', created: '2024-01-01T00:00:00Z', version: 'W/"1"' },
  }
}

function group(): Doc {
  return {
    schemas: [GROUP_SCHEMA_URN],
    id: 'e9e30dba',
    displayName: 'Tour Guides',
    members: [
      { value: BABS, display: 'Babs Jensen', type: 'User' },
      { value: MANDY, display: 'Mandy Pepperidge', type: 'User' },
    ],
    meta: { resourceType: 'Group' },
  }
}

const body = (...operations: unknown[]) => ({ schemas: [PATCH_OP_URN], Operations: operations })

/** Applies a body and checks the input document was left as it was. */
function apply(document: Doc, patch: unknown, registry: SchemaRegistry = userRegistry): Doc {
  const before = structuredClone(document)
  const result = applyPatch(document, patch, registry)
  assert.deepEqual(document, before, 'the input document is unchanged')
  assert.notEqual(result, document)
  return result
}

const patchUser = (...operations: unknown[]) => apply(user(), body(...operations))
const patchGroup = (...operations: unknown[]) => apply(group(), body(...operations), groupRegistry)

/** Expects a ScimError of `scimType` whose detail matches, and the input left unchanged. */
function rejects(
  patch: unknown,
  scimType: ScimType,
  detail: RegExp,
  document: Doc = user(),
  registry: SchemaRegistry = userRegistry,
): void {
  const before = structuredClone(document)
  assert.throws(
    () => applyPatch(document, patch, registry),
    (error: unknown) => {
      assert.ok(isScimError(error), `not a ScimError: ${String(error)}`)
      assert.equal(error.scimType, scimType, error.message)
      assert.equal(error.status, 400)
      assert.match(error.message, detail)
      return true
    },
  )
  assert.deepEqual(document, before, 'the input document is unchanged')
}

const emailsOf = (document: Doc) => document.emails as Doc[]
const ext = (document: Doc, urn = ENTERPRISE) => document[urn] as Doc | undefined

describe('PATCH body (rule 1)', () => {
  it('applies the WSO2 reference request byte for byte', () => {
    const text =
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], "Operations": [ {"op": "add","value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"forcePasswordReset": true}}}]}'
    const result = apply(user(), JSON.parse(text))
    assert.equal(ext(result)?.forcePasswordReset, true)
    assert.deepEqual(result.schemas, [CORE, REKEY, ENTERPRISE])
    assert.equal(result.userName, 'bjensen')
  })

  it('accepts any case of "Operations", "op" and the operation names', () => {
    const result = apply(user(), {
      schemas: [PATCH_OP_URN],
      operations: [
        { op: 'Replace', path: 'displayName', value: 'Babs' },
        { OP: 'ADD', Path: 'title', Value: 'Tour Guide' },
        { op: 'Remove', path: 'phoneNumbers' },
      ],
    })
    assert.equal(result.displayName, 'Babs')
    assert.equal(result.title, 'Tour Guide')
    assert.equal(result.phoneNumbers, undefined)
  })

  it('refuses bodies that are not PatchOp messages', () => {
    const op = { op: 'add', path: 'title', value: 'x' }
    rejects(null, 'invalidSyntax', /JSON object/)
    rejects([op], 'invalidSyntax', /JSON object/)
    rejects({ Operations: [op] }, 'invalidSyntax', /PatchOp/)
    rejects({ schemas: [CORE], Operations: [op] }, 'invalidSyntax', /PatchOp/)
    rejects({ schemas: PATCH_OP_URN, Operations: [op] }, 'invalidSyntax', /PatchOp/)
    rejects({ schemas: [PATCH_OP_URN] }, 'invalidSyntax', /non-empty list/)
    rejects({ schemas: [PATCH_OP_URN], Operations: [] }, 'invalidSyntax', /non-empty list/)
    rejects({ schemas: [PATCH_OP_URN], Operations: op }, 'invalidSyntax', /non-empty list/)
    rejects({ schemas: [PATCH_OP_URN], Operations: [op], operations: [op] }, 'invalidSyntax', /once/)
  })

  it('refuses malformed operations, naming their index', () => {
    const good = { op: 'add', path: 'title', value: 'x' }
    rejects(body(good, 'add'), 'invalidSyntax', /Operations\[1\] must be an object/)
    rejects(body(good, { op: 'move', path: 'title' }), 'invalidSyntax', /Operations\[1\] has the op "move"/)
    rejects(body({ path: 'title', value: 'x' }), 'invalidSyntax', /Operations\[0\] has no "op"/)
    rejects(body({ op: 'add', path: 7, value: 'x' }), 'invalidSyntax', /Operations\[0\] has a "path"/)
    rejects(
      body({ op: 'replace', path: 'title' }),
      'invalidValue',
      /Operations\[0\] \(replace\) has no "value"/,
    )
  })

  it(`takes at most ${MAX_OPERATIONS} operations`, () => {
    const op = { op: 'replace', path: 'title', value: 'x' }
    assert.equal(apply(user(), body(...Array(MAX_OPERATIONS).fill(op))).title, 'x')
    rejects(body(...Array(MAX_OPERATIONS + 1).fill(op)), 'invalidValue', /1001 operations; at most 1000/)
  })
})

describe('paths (rule 2)', () => {
  it('resolves a path once per registry, and never keeps one that failed', () => {
    const path = `${ENTERPRISE}:forcePasswordReset`
    const first = resolvePath(path, userRegistry)
    assert.equal(resolvePath(path, userRegistry), first)
    assert.ok(Object.isFrozen(first), 'a shared target cannot be changed by one request for the next')
    assert.throws(
      () => resolvePath(path, groupRegistry),
      (error) => isScimError(error),
    )
    for (let attempt = 0; attempt < 2; attempt++)
      assert.throws(
        () => resolvePath('nickName[', userRegistry),
        (error) => isScimError(error),
      )
  })

  it('leaves the document alone unless the caller hands it over', () => {
    const body = { schemas: [PATCH_OP_URN], Operations: [{ op: 'replace', path: 'nickName', value: 'B' }] }
    const kept: Doc = { schemas: [CORE], userName: 'bjensen', nickName: 'A' }
    assert.equal(applyPatch(kept, body, userRegistry).nickName, 'B')
    assert.equal(kept.nickName, 'A')
    const handed: Doc = { schemas: [CORE], userName: 'bjensen', nickName: 'A' }
    assert.equal(applyPatch(handed, body, userRegistry, { owned: true }), handed)
    assert.equal(handed.nickName, 'B')
  })

  it('addresses the core schema and extensions through URN-qualified paths', () => {
    const result = patchUser(
      { op: 'add', path: `${ENTERPRISE}:employeeNumber`, value: '701984' },
      { op: 'replace', path: `${CORE}:userName`, value: 'babs' },
      { op: 'replace', path: `${ENTERPRISE.toUpperCase()}:Department`, value: 'Tour Operations' },
      { op: 'add', path: `${ENTERPRISE}:manager.value`, value: JAMES },
    )
    assert.deepEqual(ext(result), {
      employeeNumber: '701984',
      department: 'Tour Operations',
      manager: { value: JAMES },
    })
    assert.equal(result.userName, 'babs')
    assert.deepEqual(result.schemas, [CORE, REKEY, ENTERPRISE])
  })

  it('matches attribute names in any case and writes the canonical spelling', () => {
    const result = patchUser({ op: 'replace', path: 'NAME.GIVENNAME', value: 'Babs' })
    assert.deepEqual(result.name, { givenName: 'Babs', familyName: 'Jensen' })
    const display = patchUser({ op: 'add', path: 'displayname', value: 'Babs' })
    assert.equal(display.displayName, 'Babs')
  })

  it('refuses paths that do not parse or name nothing known, naming the path', () => {
    const op = (path: string) => body({ op: 'replace', path, value: 'x' })
    rejects(op('nickname2'), 'invalidPath', /Unknown attribute "nickname2" in the path "nickname2"/)
    rejects(op('name.nickName'), 'invalidPath', /"name.nickName": name has no sub-attribute "nickName"/)
    rejects(op('userName.first'), 'invalidPath', /userName has no sub-attributes/)
    rejects(op('emails[type eq "work"'), 'invalidPath', /not closed/)
    rejects(op(''), 'invalidPath', /attribute name/)
    rejects(op('urn:example:Thing:title'), 'invalidPath', /Unknown schema/)
    rejects(op(CORE), 'invalidPath', /names a schema, not an attribute/)
    rejects(op('emails[kind eq "work"].value'), 'invalidPath', /value filter .* not valid.*kind/)
    rejects(op('emails[primary eq "yes"]'), 'invalidPath', /value filter .* not valid/)
    rejects(op('emails[type eq "work"].label'), 'invalidPath', /emails has no sub-attribute "label"/)
  })
})

describe('mutability (rule 3)', () => {
  it('refuses paths naming readOnly attributes and sub-attributes, for every op', () => {
    rejects(body({ op: 'replace', path: 'id', value: 'x' }), 'mutability', /"id": id is read-only/)
    rejects(body({ op: 'remove', path: 'id' }), 'mutability', /read-only/)
    rejects(
      body({ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }),
      'mutability',
      /meta/,
    )
    rejects(body({ op: 'add', path: 'groups', value: [{ value: 'x' }] }), 'mutability', /groups is read-only/)
    rejects(body({ op: 'remove', path: 'groups[value eq "e9e30dba"]' }), 'mutability', /groups/)
    rejects(
      body({ op: 'add', path: `${ENTERPRISE}:manager.displayName`, value: 'J' }),
      'mutability',
      /displayName/,
    )
    rejects(body({ op: 'remove', path: `${REKEY}:passwordLastChanged` }), 'mutability', /passwordLastChanged/)
    rejects(
      body({ op: 'replace', path: `members[value eq "${BABS}"].display`, value: 'B' }),
      'mutability',
      /display is read-only/,
      group(),
      groupRegistry,
    )
  })

  it('lets immutable sub-attributes be set only while they have no value', () => {
    rejects(
      body({ op: 'replace', path: `members[value eq "${BABS}"].value`, value: JAMES }),
      'mutability',
      /value is immutable/,
      group(),
      groupRegistry,
    )
    rejects(
      body({ op: 'remove', path: `members[value eq "${BABS}"].type` }),
      'mutability',
      /type is immutable/,
      group(),
      groupRegistry,
    )
    const untyped = group()
    untyped.members = [{ value: BABS }]
    const typed = apply(
      untyped,
      body({ op: 'add', path: `members[value eq "${BABS}"].type`, value: 'User' }),
      groupRegistry,
    )
    assert.deepEqual(typed.members, [{ value: BABS, type: 'User' }])
    // Setting the value it already has changes nothing, so it is no violation.
    const same = patchGroup({ op: 'replace', path: `members[value eq "${BABS}"].type`, value: 'User' })
    assert.deepEqual(same.members, group().members)
  })

  it('ignores readOnly keys in path-less values (Okta echoes id back)', () => {
    const result = patchUser({
      op: 'replace',
      value: {
        id: 'another-id',
        meta: { version: 'W/"9"' },
        groups: [],
        active: false,
        'meta.created': '2000-01-01T00:00:00Z',
        [REKEY]: { pendingResetMode: 'offline-otp', accountLocked: true },
      },
    })
    const expected = user()
    expected.active = false
    ;(expected[REKEY] as Doc).accountLocked = true
    assert.deepEqual(result, expected)
  })

  it('ignores the id Okta sends along with a path-less replace', () => {
    const result = patchUser({ op: 'replace', value: { id: BABS.replace('2', '3'), active: false } })
    assert.equal(result.id, BABS)
    assert.equal(result.active, false)
  })

  it('ignores readOnly sub-attributes inside values', () => {
    const result = patchUser({
      op: 'add',
      path: `${ENTERPRISE}:manager`,
      value: { value: JAMES, displayName: 'James Smith' },
    })
    assert.deepEqual(ext(result)?.manager, { value: JAMES })
  })

  it('writes writeOnly attributes', () => {
    assert.equal(patchUser({ op: 'replace', path: 'password', value: 't1meMa$heen' }).password, 't1meMa$heen')
  })
})

describe('path-less add and replace (rule 4)', () => {
  it('applies each key as an attribute, in any case (RFC 7644 §3.5.2.1 example)', () => {
    const result = patchUser({
      op: 'add',
      value: { emails: [{ value: 'babs@jensen.org', type: 'home' }, { value: 'b@x.org' }], nickname: 'Babs' },
    })
    assert.equal(result.nickName, 'Babs')
    assert.equal(result.nickname, undefined)
    assert.deepEqual(emailsOf(result), [...(user().emails as Doc[]), { value: 'b@x.org' }])
  })

  it('takes extension URNs holding objects, fully qualified names and sub-attribute paths as keys', () => {
    const result = patchUser({
      op: 'replace',
      value: {
        [ENTERPRISE]: { employeeNumber: '42', MANAGER: { Value: JAMES } },
        [`${ENTERPRISE}:costCenter`]: 'CC-1',
        'name.givenName': 'Babs',
        [`${CORE}:title`]: 'Guide',
      },
    })
    assert.deepEqual(ext(result), { employeeNumber: '42', manager: { value: JAMES }, costCenter: 'CC-1' })
    assert.deepEqual(result.name, { givenName: 'Babs', familyName: 'Jensen' })
    assert.equal(result.title, 'Guide')
  })

  it('ignores keys that name nothing known', () => {
    const result = patchUser({
      op: 'replace',
      value: {
        schemas: [CORE],
        favouriteColour: 'blue',
        'name.nickname': 'x',
        'urn:example:Thing:title': 'x',
        'not a path': 1,
        [ENTERPRISE]: { shoeSize: 9 },
        displayName: 'Babs',
      },
    })
    const expected = user()
    expected.displayName = 'Babs'
    assert.deepEqual(result, expected)
  })

  it('replaces per key (Entra ID: path-less replace of active)', () => {
    const result = patchUser({
      op: 'Replace',
      value: { active: false, emails: [{ value: 'new@example.com' }] },
    })
    assert.equal(result.active, false)
    assert.deepEqual(result.emails, [{ value: 'new@example.com' }])
  })

  it('refuses a path-less value that is not an object', () => {
    rejects(body({ op: 'add', value: 'Babs' }), 'invalidValue', /add without a "path" takes an object/)
    rejects(body({ op: 'replace', value: [{ active: false }] }), 'invalidValue', /not a list/)
    rejects(
      body({ op: 'add', value: { [ENTERPRISE]: 'x' } }),
      'invalidValue',
      /takes an object of its attributes/,
    )
  })
})

describe('add (rule 5)', () => {
  it('sets simple attributes and merges into complex ones', () => {
    const result = patchUser(
      { op: 'add', path: 'title', value: 'Tour Guide' },
      { op: 'add', path: 'name', value: { middleName: 'Jane', givenName: 'Babs' } },
    )
    assert.equal(result.title, 'Tour Guide')
    assert.deepEqual(result.name, { givenName: 'Babs', familyName: 'Jensen', middleName: 'Jane' })
  })

  it('adds a member (RFC 7644 §3.5.2.1), dropping the readOnly display', () => {
    const result = patchGroup({
      op: 'add',
      path: 'members',
      value: [{ display: 'James Smith', $ref: `https://example.com/v2/Users/${JAMES}`, value: JAMES }],
    })
    assert.deepEqual((result.members as Doc[])[2], {
      $ref: `https://example.com/v2/Users/${JAMES}`,
      value: JAMES,
    })
    assert.equal((result.members as Doc[]).length, 3)
  })

  it('appends a single element or a list, skipping ones already there (Entra ID adds members as a list)', () => {
    const result = patchGroup({
      op: 'Add',
      path: 'members',
      value: [{ value: BABS }, { value: JAMES }, { value: JAMES }],
    })
    assert.deepEqual(result.members, [...(group().members as Doc[]), { value: JAMES }])
    const one = patchUser({
      op: 'add',
      path: 'emails',
      value: { value: 'bjensen@example.com', type: 'work' },
    })
    assert.deepEqual(one.emails, user().emails)
  })

  it('moves primary to an added primary element', () => {
    const result = patchUser({
      op: 'add',
      path: 'emails',
      value: { value: 'b@x.org', type: 'other', primary: true },
    })
    assert.deepEqual(emailsOf(result), [
      { value: 'bjensen@example.com', type: 'work' },
      { value: 'babs@jensen.org', type: 'home' },
      { value: 'b@x.org', type: 'other', primary: true },
    ])
    rejects(
      body({
        op: 'add',
        path: 'emails',
        value: [
          { value: 'a@x.org', primary: true },
          { value: 'b@x.org', primary: true },
        ],
      }),
      'invalidValue',
      /2 elements of emails would be primary/,
    )
  })

  it('creates a missing extension object and lists its URN in schemas', () => {
    const result = patchUser({ op: 'add', path: `${ENTERPRISE}:forcePasswordReset`, value: true })
    assert.deepEqual(ext(result), { forcePasswordReset: true })
    assert.deepEqual(result.schemas, [CORE, REKEY, ENTERPRISE])
    const again = apply(result, body({ op: 'add', path: `${ENTERPRISE}:division`, value: 'North' }))
    assert.deepEqual(again.schemas, [CORE, REKEY, ENTERPRISE])
  })
})

describe('replace (rule 6)', () => {
  it('replaces simple values and whole lists (RFC 7644 §3.5.2.3 members example)', () => {
    const members = [
      { display: 'Babs Jensen', $ref: `https://example.com/v2/Users/${BABS}`, value: BABS },
      { display: 'James Smith', $ref: `https://example.com/v2/Users/${JAMES}`, value: JAMES },
    ]
    const result = patchGroup(
      { op: 'replace', path: 'members', value: members },
      { op: 'replace', path: 'displayName', value: 'Guides' },
    )
    assert.deepEqual(result.members, [
      { $ref: `https://example.com/v2/Users/${BABS}`, value: BABS },
      { $ref: `https://example.com/v2/Users/${JAMES}`, value: JAMES },
    ])
    assert.equal(result.displayName, 'Guides')
  })

  it('merges the given sub-attributes into a complex value, and creates it through attr.sub', () => {
    const merged = patchUser({ op: 'replace', path: 'name', value: { givenName: 'Babs', familyName: null } })
    assert.deepEqual(merged.name, { givenName: 'Babs' })
    const noName = user()
    delete noName.name
    const created = apply(noName, body({ op: 'replace', path: 'name.familyName', value: 'Jensen' }))
    assert.deepEqual(created.name, { familyName: 'Jensen' })
  })

  it('replaces the elements a value filter matches (RFC 7644 §3.5.2.3 address example)', () => {
    const document = user()
    document.addresses = [
      { type: 'work', streetAddress: '100 Universal City Plaza', locality: 'Hollywood', primary: true },
      { type: 'home', streetAddress: '456 Hollywood Blvd' },
    ]
    const address = {
      type: 'work',
      streetAddress: '911 Universal City Plaza',
      locality: 'Hollywood',
      region: 'CA',
      postalCode: '91608',
      country: 'US',
      formatted: '911 Universal City Plaza\nHollywood, CA 91608 US',
      primary: true,
    }
    const result = apply(document, body({ op: 'replace', path: 'addresses[type eq "work"]', value: address }))
    assert.deepEqual(result.addresses, [address, { type: 'home', streetAddress: '456 Hollywood Blvd' }])
    const street = apply(
      document,
      body({ op: 'replace', path: 'addresses[type eq "work"].streetAddress', value: '1010 Broadway Ave' }),
    )
    assert.equal((street.addresses as Doc[])[0]?.streetAddress, '1010 Broadway Ave')
    assert.equal((street.addresses as Doc[])[0]?.locality, 'Hollywood')
  })

  it('replaces an email through a filter (RFC 7644 §3.5.2.3)', () => {
    const result = patchUser({
      op: 'replace',
      path: 'emails[type eq "work"]',
      value: { type: 'work', value: 'babs@example.com', primary: true },
    })
    assert.deepEqual(emailsOf(result), [
      { type: 'work', value: 'babs@example.com', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ])
  })

  it('matches filters with the schema rules (type is case-insensitive)', () => {
    const result = patchUser({
      op: 'replace',
      path: 'emails[type eq "WORK"].value',
      value: 'babs@example.com',
    })
    assert.deepEqual(emailsOf(result)[0], { value: 'babs@example.com', type: 'work', primary: true })
  })

  it('creates the element an eq filter describes when none matches (Entra ID)', () => {
    const document = user()
    delete document.emails
    const result = apply(
      document,
      body(
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'babs@example.com' },
        { op: 'Replace', path: 'phoneNumbers[type eq "mobile"].value', value: '555-0100' },
        { op: 'replace', path: 'addresses[type eq "work"].streetAddress', value: '1 Main St' },
        { op: 'Add', path: 'addresses[type eq "home" and country eq "US"]', value: { locality: 'Boston' } },
      ),
    )
    assert.deepEqual(result.emails, [{ type: 'work', value: 'babs@example.com' }])
    assert.deepEqual(result.phoneNumbers, [
      { value: '555-555-8377', type: 'work' },
      { type: 'mobile', value: '555-0100' },
    ])
    assert.deepEqual(result.addresses, [
      { type: 'work', streetAddress: '1 Main St' },
      { type: 'home', country: 'US', locality: 'Boston' },
    ])
  })

  it('answers noTarget when an unmatched filter looks an element up by what it holds', () => {
    const document = { ...user(), emails: [{ value: 'a@x.org', type: 'work' }] }
    for (const path of [
      'emails[value eq "nope@x.org"].type',
      'emails[type eq "home" and value eq "q@x.org"].primary',
    ])
      rejects(body({ op: 'replace', path, value: 'other' }), 'noTarget', /only a filter of eq/, document)
  })

  it('answers noTarget when a filter that describes no element matches nothing', () => {
    rejects(
      body({ op: 'replace', path: 'emails[type ne "work"].value', value: 'x' }),
      'noTarget',
      /only a filter of eq/,
      {
        ...user(),
        emails: [{ value: 'a@x.org', type: 'work' }],
      },
    )
    rejects(
      body({ op: 'replace', path: 'emails[type eq "a" or type eq "b"].value', value: 'x' }),
      'noTarget',
      /eq/,
    )
    rejects(body({ op: 'add', path: 'emails[value co "@"].type', value: 'work' }), 'noTarget', /eq/, {
      ...user(),
      emails: [],
    })
    rejects(body({ op: 'replace', path: 'ims.value', value: 'x' }), 'noTarget', /ims has no elements/)
  })

  it("treats add through a value filter as replace of the matched elements' sub-attributes", () => {
    const result = patchUser({
      op: 'add',
      path: 'emails[type eq "home"]',
      value: { value: 'b@home.org', type: 'home' },
    })
    assert.deepEqual(emailsOf(result)[1], { value: 'b@home.org', type: 'home' })
    assert.equal(emailsOf(result).length, 2)
  })

  it('moves primary when a filter path sets it', () => {
    const result = patchUser({ op: 'replace', path: 'emails[type eq "home"].primary', value: true })
    assert.deepEqual(emailsOf(result), [
      { value: 'bjensen@example.com', type: 'work' },
      { value: 'babs@jensen.org', type: 'home', primary: true },
    ])
  })
})

describe('a value filter without a sub-attribute (rule 6, RFC 7644 §3.5.2.1, §3.5.2.3)', () => {
  const workAddress = { type: 'work', streetAddress: '1 A', locality: 'X', country: 'DE', primary: true }
  const homeAddress = { type: 'home', streetAddress: '2 B', locality: 'Y', country: 'DE' }
  const withAddresses = (...addresses: Doc[]): Doc => ({ ...user(), addresses: structuredClone(addresses) })

  for (const op of ['add', 'replace'])
    it(`${op} keeps the matched element's other sub-attributes, its type and its primary`, () => {
      const result = apply(
        withAddresses(workAddress, homeAddress),
        body({ op, path: 'addresses[type eq "work"]', value: { locality: 'Z' } }),
      )
      assert.deepEqual(result.addresses, [{ ...workAddress, locality: 'Z' }, homeAddress])
      const email = apply(user(), body({ op, path: 'emails[type eq "work"]', value: { value: 'w3@x.org' } }))
      assert.deepEqual(emailsOf(email), [
        { value: 'w3@x.org', type: 'work', primary: true },
        { value: 'babs@jensen.org', type: 'home' },
      ])
    })

  it('replace removes the sub-attributes given as null; add ignores them', () => {
    const document = withAddresses(workAddress)
    const value = { locality: null, region: 'BY' }
    const replaced = apply(document, body({ op: 'replace', path: 'addresses[type eq "work"]', value }))
    assert.deepEqual(replaced.addresses, [
      { type: 'work', streetAddress: '1 A', country: 'DE', primary: true, region: 'BY' },
    ])
    const added = apply(document, body({ op: 'add', path: 'addresses[type eq "work"]', value }))
    assert.deepEqual(added.addresses, [{ ...workAddress, region: 'BY' }])
    // An element whose last sub-attribute is removed is no element (rule 10).
    const emptied = apply(
      withAddresses(workAddress, homeAddress),
      body({
        op: 'replace',
        path: 'addresses[type eq "home"]',
        value: { type: null, streetAddress: null, locality: null, country: null },
      }),
    )
    assert.deepEqual(emptied.addresses, [workAddress])
  })

  it('moves primary to the matched element when the value sets it, and keeps it otherwise', () => {
    const moved = patchUser({ op: 'replace', path: 'emails[type eq "home"]', value: { primary: true } })
    assert.deepEqual(emailsOf(moved), [
      { value: 'bjensen@example.com', type: 'work' },
      { value: 'babs@jensen.org', type: 'home', primary: true },
    ])
    const kept = patchUser({ op: 'add', path: 'emails[type eq "work"]', value: { value: 'b@example.com' } })
    assert.deepEqual(emailsOf(kept)[0], { value: 'b@example.com', type: 'work', primary: true })
  })

  it('merges into every matched element and leaves the others alone', () => {
    const other = { type: 'other', streetAddress: '3 C', country: 'AT' }
    const document = withAddresses(workAddress, homeAddress, other)
    for (const op of ['add', 'replace']) {
      const result = apply(
        document,
        body({ op, path: 'addresses[country eq "DE"]', value: { region: 'BY' } }),
      )
      assert.deepEqual(result.addresses, [
        { ...workAddress, region: 'BY' },
        { ...homeAddress, region: 'BY' },
        other,
      ])
    }
    rejects(
      body({ op: 'replace', path: 'addresses[country eq "DE"]', value: { primary: true } }),
      'invalidValue',
      /2 elements of addresses would be primary/,
      document,
    )
  })

  it('creates the element a filter of eq comparisons describes when none matches, for add and replace alike', () => {
    for (const op of ['add', 'replace']) {
      const result = apply(
        withAddresses(homeAddress),
        body({ op, path: 'addresses[type eq "work"]', value: { locality: 'Z' } }),
      )
      assert.deepEqual(result.addresses, [homeAddress, { type: 'work', locality: 'Z' }])
    }
  })

  it('answers noTarget for add and replace when any other filter matches nothing', () => {
    const document = withAddresses(homeAddress)
    for (const op of ['add', 'replace'])
      for (const path of [
        'addresses[country eq "AT" or country eq "CH"]',
        'addresses[type eq "work" and locality co "Z"]',
        'emails[value eq "nope@x.org"]',
      ])
        rejects(body({ op, path, value: { locality: 'Z' } }), 'noTarget', /only a filter of eq/, document)
  })

  it('keeps immutable sub-attributes, and ignores readOnly ones instead of emptying the element', () => {
    rejects(
      body({ op: 'replace', path: `members[value eq "${BABS}"]`, value: { value: JAMES } }),
      'mutability',
      /value is immutable/,
      group(),
      groupRegistry,
    )
    for (const op of ['add', 'replace']) {
      const result = patchGroup({
        op,
        path: `members[value eq "${BABS}"]`,
        value: { display: 'B', type: 'User' },
      })
      assert.deepEqual(result.members, group().members)
    }
  })

  it('still sets one sub-attribute through attr[filter].sub', () => {
    const result = apply(
      withAddresses(workAddress, homeAddress),
      body({ op: 'replace', path: 'addresses[type eq "work"].locality', value: 'Z' }),
    )
    assert.deepEqual(result.addresses, [{ ...workAddress, locality: 'Z' }, homeAddress])
  })

  it('a path-less replace of a multi-valued attribute still replaces the whole list', () => {
    const result = apply(
      withAddresses(workAddress, homeAddress),
      body({ op: 'replace', value: { addresses: [{ type: 'other', locality: 'Q' }] } }),
    )
    assert.deepEqual(result.addresses, [{ type: 'other', locality: 'Q' }])
  })
})

describe('remove (rule 7)', () => {
  it('needs a path', () => {
    rejects(body({ op: 'remove', value: { title: 'x' } }), 'noTarget', /remove needs a "path"/)
  })

  it('removes attributes and sub-attributes; absent ones are no error', () => {
    const result = patchUser(
      { op: 'remove', path: 'name.familyName' },
      { op: 'remove', path: 'phoneNumbers' },
      { op: 'remove', path: 'nickName' },
      { op: 'remove', path: `${ENTERPRISE}:manager.value` },
      { op: 'remove', path: 'x509certificates' },
    )
    assert.deepEqual(result.name, { givenName: 'Barbara' })
    assert.equal(result.phoneNumbers, undefined)
    assert.equal(ext(result), undefined)
  })

  it('removes members by filter and then adds one (RFC 7644 §3.5.2.2 examples)', () => {
    const removed = patchGroup({ op: 'remove', path: `members[value eq "${BABS}"]` })
    assert.deepEqual(removed.members, [{ value: MANDY, display: 'Mandy Pepperidge', type: 'User' }])
    const swapped = patchGroup(
      { op: 'remove', path: `members[value eq "${BABS}"]` },
      { op: 'add', path: 'members', value: [{ display: 'James Smith', value: JAMES }] },
    )
    assert.deepEqual(swapped.members, [
      { value: MANDY, display: 'Mandy Pepperidge', type: 'User' },
      { value: JAMES },
    ])
    const all = patchGroup({ op: 'remove', path: 'members' })
    assert.equal(all.members, undefined)
  })

  it('removes matched elements, or a sub-attribute of them; no match is no error', () => {
    const result = patchUser({ op: 'remove', path: 'emails[type eq "work" and value ew "example.com"]' })
    assert.deepEqual(result.emails, [{ value: 'babs@jensen.org', type: 'home' }])
    const none = patchUser({ op: 'remove', path: 'emails[type eq "other"]' })
    assert.deepEqual(none, user())
    const sub = patchUser({ op: 'remove', path: 'emails[type eq "home"].type' })
    assert.deepEqual(emailsOf(sub)[1], { value: 'babs@jensen.org' })
    const everyPrimary = patchUser({ op: 'remove', path: 'emails.primary' })
    assert.deepEqual(emailsOf(everyPrimary)[0], { value: 'bjensen@example.com', type: 'work' })
  })

  it('removes just the listed members when a value is given (Entra ID)', () => {
    const result = patchGroup({
      op: 'Remove',
      path: 'members',
      value: [{ value: BABS }, { value: 'unknown' }],
    })
    assert.deepEqual(result.members, [{ value: MANDY, display: 'Mandy Pepperidge', type: 'User' }])
    // Member ids compare exactly.
    const upper = patchGroup({ op: 'Remove', path: 'members', value: [{ value: BABS.toUpperCase() }] })
    assert.deepEqual(upper.members, group().members)
    rejects(
      body({ op: 'remove', path: 'members', value: [{ display: 'Babs Jensen' }] }),
      'invalidValue',
      /each element to remove is an object with the "value"/,
      group(),
      groupRegistry,
    )
  })
})

describe('elements that carry nothing (rule 9, RFC 7644 §3.5.2.1)', () => {
  const nothing =
    /each element of members needs a value for at least one of value, \$ref, type \(display is read-only/
  const valueless = [
    { display: 'user1' },
    {},
    { value: null },
    { display: 'user1', value: null },
    { id: JAMES },
  ]

  for (const element of valueless) {
    it(`refuses the member ${JSON.stringify(element)} in add and replace, with and without a path`, () => {
      for (const op of ['add', 'replace']) {
        for (const operation of [
          { op, path: 'members', value: [element] },
          { op, path: 'members', value: element },
          { op, value: { members: [element] } },
          { op, value: { [`${GROUP_SCHEMA_URN}:members`]: [element] } },
          // One good member beside it does not carry it: the operation is refused whole.
          { op, path: 'members', value: [{ value: JAMES }, element] },
        ])
          rejects(body(operation), 'invalidValue', nothing, group(), groupRegistry)
      }
    })
  }

  it('refuses such elements of any complex list, and keeps a null beside a writable value', () => {
    rejects(
      body({ op: 'add', path: 'emails', value: [{ value: null }] }),
      'invalidValue',
      /"emails": each element of emails needs a value for at least one of value, type, primary$/,
    )
    rejects(body({ op: 'replace', value: { addresses: [{}] } }), 'invalidValue', /element of addresses needs/)
    const typed = patchUser({ op: 'add', path: 'phoneNumbers', value: [{ type: 'mobile', value: null }] })
    assert.deepEqual((typed.phoneNumbers as Doc[])[1], { type: 'mobile' })
    // A null element is no value at all (RFC 7643 §2.5), as before.
    assert.deepEqual(patchGroup({ op: 'add', path: 'members', value: [null] }).members, group().members)
  })

  it('never takes a member without a value for one already listed, so the caller sees it', () => {
    // Every member shows type "User"; by the sub-attributes given alone, each would match.
    for (const element of [{ type: 'User' }, { display: 'user1', type: 'User' }]) {
      const result = patchGroup({ op: 'add', path: 'members', value: [element] })
      assert.deepEqual(result.members, [...(group().members as Doc[]), { type: 'User' }])
    }
    // Many at once go through the index, which must agree.
    const many = Array.from({ length: 20 }, (_, index) =>
      index === 7 ? { type: 'User' } : { value: `m${index}` },
    )
    const result = patchGroup({ op: 'add', path: 'members', value: many })
    assert.equal((result.members as Doc[]).length, 2 + 20)
    // A member with its value is still found listed.
    assert.deepEqual(
      patchGroup({ op: 'add', path: 'members', value: [{ value: BABS, type: 'User' }] }).members,
      group().members,
    )
  })
})

describe('an extension URN as the path (rule 11, RFC 7644 §3.10)', () => {
  const withEnterprise = (): Doc => {
    const document = user()
    document.schemas = [CORE, REKEY, ENTERPRISE]
    document[ENTERPRISE] = {
      employeeNumber: '701984',
      department: 'Tour Operations',
      manager: { value: JAMES, $ref: `../Users/${JAMES}`, displayName: 'James Smith' },
      forcePasswordReset: true,
    }
    return document
  }

  it('add creates the extension with the attributes given (the reference request with a path)', () => {
    const result = patchUser({ op: 'add', path: ENTERPRISE, value: { department: 'X' } })
    assert.deepEqual(ext(result), { department: 'X' })
    assert.deepEqual(result.schemas, [CORE, REKEY, ENTERPRISE])
    const forced = patchUser({ op: 'Add', path: ENTERPRISE, value: { forcePasswordReset: true } })
    assert.deepEqual(ext(forced), { forcePasswordReset: true })
  })

  for (const op of ['add', 'replace']) {
    it(`${op} merges the attributes given and leaves the others (§3.5.2.3)`, () => {
      const result = apply(
        withEnterprise(),
        body({ op, path: ENTERPRISE, value: { Department: 'X', costCenter: 'CC-1', employeeNumber: null } }),
      )
      const expected: Doc = { ...(withEnterprise()[ENTERPRISE] as Doc), department: 'X', costCenter: 'CC-1' }
      if (op === 'replace') delete expected.employeeNumber
      assert.deepEqual(ext(result), expected)
    })

    it(`${op} with the URN means the path-less {"<URN>": value}, in any letter case`, () => {
      const value = {
        department: 'X',
        MANAGER: { Value: MANDY, displayName: 'ignored' },
        [`${ENTERPRISE}:division`]: 'North',
        shoeSize: 9,
        forcePasswordReset: 'False',
      }
      const pathLess = apply(withEnterprise(), body({ op, value: { [ENTERPRISE]: value } }))
      for (const path of [ENTERPRISE, ENTERPRISE.toUpperCase(), ` ${ENTERPRISE} `])
        assert.deepEqual(apply(withEnterprise(), body({ op, path, value })), pathLess, path)
      const locked = patchUser({ op, path: REKEY, value: { accountLocked: true, lockedReason: 'planted' } })
      assert.deepEqual(locked[REKEY], { accountLocked: true, passwordLastChanged: '2024-01-01T00:00:00Z' })
    })
  }

  it('remove takes out every attribute a client may write, as their own paths would', () => {
    const result = apply(withEnterprise(), body({ op: 'remove', path: ENTERPRISE }))
    assert.equal(ENTERPRISE in result, false)
    assert.deepEqual(result.schemas, [CORE, REKEY])
    const oneByOne = apply(
      withEnterprise(),
      body(
        ...enterpriseUserSchema.attributes.map((attribute) => ({
          op: 'remove',
          path: `${ENTERPRISE}:${attribute.name}`,
        })),
      ),
    )
    assert.deepEqual(result, oneByOne)
    // The server's own attributes stay: only accountLocked is the client's.
    const rekey = patchUser({ op: 'remove', path: REKEY.toUpperCase() })
    assert.deepEqual(rekey[REKEY], { passwordLastChanged: '2024-01-01T00:00:00Z' })
    assert.deepEqual(rekey, patchUser({ op: 'remove', path: `${REKEY}:accountLocked` }))
    // An extension the user does not have: nothing to remove, no error.
    assert.deepEqual(patchUser({ op: 'remove', path: ENTERPRISE }), user())
  })

  it('replace with null empties it as remove does; add with null adds nothing', () => {
    const emptied = apply(withEnterprise(), body({ op: 'replace', path: ENTERPRISE, value: null }))
    assert.deepEqual(emptied, apply(withEnterprise(), body({ op: 'remove', path: ENTERPRISE })))
    assert.deepEqual(
      apply(withEnterprise(), body({ op: 'add', path: ENTERPRISE, value: null })),
      withEnterprise(),
    )
  })

  it('keeps an immutable attribute that has a value (mutability), as its own path does', () => {
    const BADGE = 'urn:example:params:scim:schemas:extension:badge:2.0:User'
    const registry = createSchemaRegistry(userSchema, [
      {
        id: BADGE,
        name: 'Badge',
        description: 'A badge.',
        attributes: [
          attribute('badge', 'string', 'The badge number.', { mutability: 'immutable' }),
          attribute('colour', 'string', 'The colour.'),
          attribute('issued', 'dateTime', 'When issued.', { mutability: 'readOnly' }),
        ],
      },
    ])
    const document = {
      ...user(),
      schemas: [CORE, BADGE],
      [BADGE]: { colour: 'red', issued: '2024-01-01T00:00:00Z' },
    }
    const removed = apply(document, body({ op: 'remove', path: BADGE }), registry)
    assert.deepEqual(removed[BADGE], { issued: '2024-01-01T00:00:00Z' })
    const badged = { ...document, [BADGE]: { badge: '7', colour: 'red' } }
    rejects(body({ op: 'remove', path: BADGE }), 'mutability', /badge is immutable/, badged, registry)
    rejects(
      body({ op: 'replace', path: BADGE, value: { badge: '8' } }),
      'mutability',
      /badge is immutable/,
      badged,
      registry,
    )
  })

  it('refuses what the extension cannot take, and URNs that are no extension here', () => {
    const document = withEnterprise()
    for (const op of ['add', 'replace'])
      for (const value of ['X', ['X'], true])
        rejects(
          body({ op, path: ENTERPRISE, value }),
          'invalidValue',
          /names a schema: .* takes an object of its attributes/,
          document,
        )
    rejects(
      body({ op: 'remove', path: ENTERPRISE, value: { department: 'Tour Operations' } }),
      'invalidValue',
      /remove of a whole extension takes no "value"/,
      document,
    )
    rejects(
      body({ op: 'add', path: 'urn:example:params:scim:schemas:extension:other:2.0:User', value: { a: 1 } }),
      'invalidPath',
      /Unknown schema/,
      document,
    )
    rejects(body({ op: 'remove', path: CORE }), 'invalidPath', /names a schema, not an attribute/, document)
    for (const op of ['add', 'replace', 'remove'])
      rejects(
        body({ op, path: ENTERPRISE, ...(op === 'remove' ? {} : { value: { department: 'X' } }) }),
        'invalidPath',
        /Unknown schema/,
        group(),
        groupRegistry,
      )
  })
})

describe('value spelling (rule 8)', () => {
  it('canonicalises sub-attribute names and keeps unknown keys and string booleans as given', () => {
    const result = patchUser({
      op: 'add',
      path: 'emails',
      value: { Value: 'b@x.org', TYPE: 'other', Primary: 'True', Verified: 'yes' },
    })
    assert.deepEqual(emailsOf(result), [
      { value: 'bjensen@example.com', type: 'work' },
      { value: 'babs@jensen.org', type: 'home' },
      { value: 'b@x.org', type: 'other', primary: 'True', Verified: 'yes' },
    ])
  })

  it('refuses one sub-attribute spelled twice', () => {
    rejects(
      body({ op: 'add', path: 'emails', value: { value: 'a@x.org', Value: 'b@x.org' } }),
      'invalidValue',
      /emails.value is given twice/,
    )
  })
})

describe('value shapes and null (rule 9)', () => {
  it('keeps "False" for active as given (Entra ID)', () => {
    assert.equal(patchUser({ op: 'Replace', path: 'active', value: 'False' }).active, 'False')
  })

  it('refuses values that do not fit the attribute, naming the path', () => {
    rejects(
      body({ op: 'replace', path: 'userName', value: { v: 'x' } }),
      'invalidValue',
      /"userName".*not an object/,
    )
    rejects(
      body({ op: 'add', path: 'displayName', value: ['Babs'] }),
      'invalidValue',
      /"displayName".*not a list/,
    )
    rejects(body({ op: 'add', path: 'emails', value: ['b@x.org'] }), 'invalidValue', /"emails".*not a string/)
    rejects(body({ op: 'add', path: 'name', value: ['Babs'] }), 'invalidValue', /"name".*not a list/)
    rejects(
      body({ op: 'add', path: 'name', value: { givenName: ['Babs'] } }),
      'invalidValue',
      /name.givenName/,
    )
    rejects(body({ op: 'replace', path: 'emails[type eq "work"]', value: 'x' }), 'invalidValue', /object/)
    rejects(body({ op: 'replace', path: 'name.givenName', value: { a: 1 } }), 'invalidValue', /givenName/)
  })

  it('takes a bare id for the manager (Entra ID)', () => {
    const result = patchUser({ op: 'Add', path: `${ENTERPRISE}:manager`, value: JAMES })
    assert.deepEqual(ext(result)?.manager, { value: JAMES })
  })

  it('treats replace with null as remove and add with null as nothing', () => {
    const result = patchUser(
      { op: 'replace', path: 'name', value: null },
      { op: 'replace', path: 'emails[type eq "home"]', value: null },
      { op: 'add', path: 'active', value: null },
      { op: 'replace', value: { phoneNumbers: null } },
    )
    assert.equal(result.name, undefined)
    assert.deepEqual(result.emails, [{ value: 'bjensen@example.com', type: 'work', primary: true }])
    assert.equal(result.active, true)
    assert.equal(result.phoneNumbers, undefined)
  })
})

describe('empty values (rule 10)', () => {
  it('deletes attributes left empty', () => {
    const result = patchUser(
      { op: 'remove', path: 'emails[type eq "work"]' },
      { op: 'remove', path: 'emails[value eq "babs@jensen.org"]' },
      { op: 'remove', path: 'name.givenName' },
      { op: 'replace', path: 'name.familyName', value: null },
      { op: 'replace', path: 'phoneNumbers', value: [] },
    )
    assert.equal('emails' in result, false)
    assert.equal('name' in result, false)
    assert.equal('phoneNumbers' in result, false)
  })

  it('deletes an extension object left empty and takes its URN out of schemas', () => {
    const result = patchUser({ op: 'remove', path: `${REKEY}:accountLocked` })
    assert.deepEqual(result[REKEY], { passwordLastChanged: '2024-01-01T00:00:00Z' })
    const document = user()
    document[REKEY] = { accountLocked: true }
    const emptied = apply(document, body({ op: 'remove', path: `${REKEY}:accountLocked` }))
    assert.equal(REKEY in emptied, false)
    assert.deepEqual(emptied.schemas, [CORE])
  })
})

describe('large lists', () => {
  const bigGroup = (size: number): Doc => ({
    ...group(),
    members: Array.from({ length: size }, (_, index) => ({
      value: `m${index}`,
      display: `M ${index}`,
      type: 'User',
    })),
  })

  it('refuses with tooMany a request that would process too many elements', () => {
    const removals = Array.from({ length: 1000 }, (_, index) => ({
      op: 'remove',
      path: `members[value eq "m${index}"]`,
    }))
    rejects(body(...removals), 'tooMany', /several smaller PATCH requests/, bigGroup(20_000), groupRegistry)
    // The same work in a tenth of the operations is fine.
    const result = apply(bigGroup(20_000), body(...removals.slice(0, 100)), groupRegistry)
    assert.equal((result.members as Doc[]).length, 19_900)
  })

  it('finds listed elements the same way for a few added elements and for many', () => {
    const document = bigGroup(50)
    const added = [
      ...Array.from({ length: 30 }, (_, index) => ({ value: `m${index * 3}` })),
      ...Array.from({ length: 30 }, (_, index) => ({ value: `n${index % 10}`, type: 'User' })),
      { value: 'm1', type: 'Group' },
      { value: 'm2', type: 'User', $ref: 'https://x/Users/m2' },
    ]
    const atOnce = apply(document, body({ op: 'add', path: 'members', value: added }), groupRegistry)
    const chunks = Array.from({ length: Math.ceil(added.length / 10) }, (_, index) => ({
      op: 'add',
      path: 'members',
      value: added.slice(index * 10, index * 10 + 10),
    }))
    const inChunks = apply(document, body(...chunks), groupRegistry)
    assert.deepEqual(atOnce, inChunks)
    // m51…m87 (17 of the 30 are listed), ten n-values, and two that differ from m1 and m2 in type or $ref.
    assert.equal((atOnce.members as Doc[]).length, 50 + 13 + 10 + 2)
  })

  it('selects exactly the elements matchesElement matches', () => {
    const emails = userRegistry.resolve({ attribute: 'emails' })!.attribute
    const members = groupRegistry.resolve({ attribute: 'members' })!.attribute
    const text = fc.constantFrom('a', 'A', 'b', 'work', 'Work', 'ａ', '')
    const element = fc.dictionary(
      fc.constantFrom('value', 'Value', 'VALUE', 'type', 'Type', 'primary', 'display'),
      fc.oneof(
        text,
        fc.array(fc.oneof(text, fc.constant(null)), { maxLength: 3 }),
        fc.boolean(),
        fc.constant(null),
      ),
      { maxKeys: 4 },
    )
    const filters = [
      'x[value eq "a"]',
      'x[value eq "A" and type eq "work"]',
      'x[type eq "Work" and value eq "a"]',
      'x[value eq "a" or type eq "work"]',
      'x[not (value eq "a")]',
      'x[value eq "ａ"]',
      'x[value ne "a"]',
      'x[value sw "a" and value eq "a"]',
    ].map((path) => parsePatchPath(path).valueFilter!)
    fc.assert(
      fc.property(
        fc.array(fc.oneof(element, fc.constant('a'), fc.constant(null)), { maxLength: 8 }),
        fc.constantFrom(...filters),
        fc.boolean(),
        (list, filter, isMembers) => {
          const attribute = isMembers ? members : emails
          const registry = isMembers ? groupRegistry : userRegistry
          const expected = list.flatMap((candidate, index) =>
            typeof candidate === 'object' &&
            candidate !== null &&
            matchesElement(candidate, filter, attribute, registry)
              ? [index]
              : [],
          )
          const selected = selectElements(list, filter, attribute, registry, new WorkBudget())
          assert.deepEqual([...selected], expected)
        },
      ),
      { numRuns: 2000 },
    )
  })
})

describe('PATCH fuzzing', () => {
  /** Paths of both resource types, and some that are wrong for both. */
  const commonPaths = [
    'id',
    'meta.created',
    'displayName',
    'DISPLAYNAME',
    'externalId',
    '',
    'nope',
    'a[b eq 1',
  ]
  const userPaths = [
    ...commonPaths,
    'userName',
    'name',
    'name.givenName',
    'name.nope',
    'emails',
    'emails.value',
    'emails.primary',
    'emails[type eq "work"]',
    'emails[type eq "work"].value',
    'emails[type eq "work" and primary eq true].primary',
    'emails[not (type eq "home")]',
    'emails[value co "@" or type pr]',
    'phoneNumbers[type eq "mobile"].value',
    'addresses[type eq "work"].streetAddress',
    'x509Certificates',
    'groups',
    'password',
    'active',
    'title',
    `${ENTERPRISE}:employeeNumber`,
    `${ENTERPRISE}:manager`,
    `${ENTERPRISE}:manager.value`,
    ENTERPRISE,
    REKEY,
    `${REKEY}:accountLocked`,
    `${REKEY}:lockedReason`,
    `${CORE}:userName`,
    'name[givenName eq "x"]',
  ]
  const groupPaths = [
    ...commonPaths,
    'members',
    'members.value',
    'members[value eq "a"]',
    `members[value eq "${BABS}"]`,
    `members[value eq "${MANDY}"].type`,
    'members[type eq "User"].display',
    'members[display eq "a"].value',
    'members[value eq "a" and type eq "User"]',
  ]
  const element = fc.dictionary(
    fc.constantFrom('value', 'Value', 'type', 'primary', 'Primary', 'display', '$ref', 'x', '__proto__'),
    fc.oneof(
      {
        arbitrary: fc.constantFrom('a', BABS, 'work', 'home', 'User', 'true', 'True', true, false, null, 1),
        weight: 4,
      },
      { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
    ),
    { maxKeys: 4 },
  )
  function requestOf(paths: readonly string[]) {
    const keys = [...paths, '__proto__', 'constructor', 'schemas', ENTERPRISE, REKEY, CORE, 'nickname']
    const value = fc.oneof(
      { arbitrary: fc.constantFrom('a', 'work', true, 'False', null, 7), weight: 4 },
      { arbitrary: element, weight: 4 },
      { arbitrary: fc.array(element, { maxLength: 3 }), weight: 3 },
      {
        arbitrary: fc.dictionary(fc.constantFrom(...keys), fc.oneof(fc.jsonValue({ maxDepth: 2 }), element), {
          maxKeys: 4,
        }),
        weight: 2,
      },
      { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
    )
    const operation = fc.record(
      {
        op: fc.oneof(
          { arbitrary: fc.constantFrom('add', 'Add', 'replace', 'REPLACE', 'remove', 'Remove'), weight: 30 },
          { arbitrary: fc.jsonValue({ maxDepth: 0 }), weight: 1 },
        ),
        path: fc.oneof(
          { arbitrary: fc.constantFrom(...paths), weight: 10 },
          { arbitrary: fc.string({ maxLength: 30 }), weight: 1 },
          { arbitrary: fc.constant(null), weight: 2 },
        ),
        value,
      },
      { requiredKeys: ['op', 'value'] },
    )
    // Mostly well-formed envelopes, so that most runs reach the operations.
    return fc.record({
      schemas: fc.oneof(
        { arbitrary: fc.constantFrom([PATCH_OP_URN], [PATCH_OP_URN, ENTERPRISE]), weight: 20 },
        { arbitrary: fc.jsonValue(), weight: 1 },
      ),
      Operations: fc.oneof(
        { arbitrary: fc.array(operation, { minLength: 1, maxLength: 4 }), weight: 20 },
        { arbitrary: fc.jsonValue({ maxDepth: 1 }), weight: 1 },
      ),
    })
  }
  const scenario = fc.oneof(
    fc.tuple(fc.constant(false), requestOf(userPaths)),
    fc.tuple(fc.constant(true), requestOf(groupPaths)),
  )

  function deepFreeze<T>(value: T): T {
    if (typeof value === 'object' && value !== null) {
      for (const inner of Object.values(value)) deepFreeze(inner)
      Object.freeze(value)
    }
    return value
  }

  it('throws nothing but ScimError, never touches its inputs, and leaves no empty attribute', () => {
    const outcomes = new Map<string, number>()
    fc.assert(
      fc.property(scenario, ([isGroup, patch]) => {
        const registry = isGroup ? groupRegistry : userRegistry
        const document = deepFreeze(isGroup ? group() : user())
        const before = structuredClone(document)
        const frozenPatch = deepFreeze(structuredClone(patch))
        let result: Doc
        try {
          // Frozen inputs make any write to them throw a TypeError, which fails the property.
          result = applyPatch(document, frozenPatch, registry)
        } catch (error) {
          if (!isScimError(error)) throw error
          outcomes.set(error.scimType ?? '', (outcomes.get(error.scimType ?? '') ?? 0) + 1)
          assert.deepEqual(document, before)
          return
        }
        outcomes.set('applied', (outcomes.get('applied') ?? 0) + 1)
        assert.deepEqual(document, before)
        JSON.stringify(result)
        for (const [key, inner] of Object.entries(result)) {
          const empty =
            inner === null ||
            (Array.isArray(inner) && inner.length === 0) ||
            (typeof inner === 'object' && inner !== null && Object.keys(inner).length === 0)
          assert.ok(!empty, `${key} is left empty`)
          if (key.startsWith('urn:'))
            assert.ok((result.schemas as string[]).includes(key), `${key} is listed`)
        }
      }),
      { numRuns: 3000 },
    )
    // The generators must exercise successful patches too, not only refusals.
    assert.ok((outcomes.get('applied') ?? 0) > 150, `outcomes: ${JSON.stringify([...outcomes])}`)
  })
})
