import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { isScimError } from '../../src/scim/errors.ts'
import type { Filter } from '../../src/scim/filter/ast.ts'
import {
  compareCodePoints,
  matchesElement,
  matchesFilter,
  validateFilter,
} from '../../src/scim/filter/evaluate.ts'
import { onWholeMilliseconds, parseInstantLiteral } from '../../src/scim/filter/instant.ts'
import { parseFilter } from '../../src/scim/filter/parser.ts'
import { createSchemaRegistry, userRegistry } from '../../src/scim/schema/registry.ts'
import type { AttributeDefinition, AttributeType, SchemaDefinition } from '../../src/scim/schema/types.ts'

function attr(
  name: string,
  type: AttributeType,
  more: Partial<AttributeDefinition> = {},
): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description: name,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...more,
  }
}

/** A resource type with one attribute of every shape the evaluator distinguishes. */
const WIDGET = 'urn:example:schemas:core:2.0:Widget'
const AUDIT = 'urn:example:schemas:extension:audit:2.0:Widget'
const widgetSchema: SchemaDefinition = {
  id: WIDGET,
  name: 'Widget',
  description: 'Test data',
  attributes: [
    attr('name', 'string'),
    attr('code', 'string', { caseExact: true }),
    attr('tags', 'string', { multiValued: true }),
    attr('count', 'integer'),
    attr('weight', 'decimal'),
    attr('active', 'boolean'),
    attr('created', 'dateTime'),
    attr('blob', 'binary', { caseExact: true }),
    attr('homepage', 'reference'),
    attr('secret', 'string', { returned: 'never' }),
    attr('size', 'complex', { subAttributes: [attr('width', 'integer'), attr('height', 'integer')] }),
    attr('owner', 'complex', {
      subAttributes: [attr('value', 'string', { caseExact: true }), attr('display', 'string')],
    }),
    attr('parts', 'complex', {
      multiValued: true,
      subAttributes: [
        attr('value', 'string'),
        attr('type', 'string'),
        attr('primary', 'boolean'),
        attr('weight', 'decimal'),
        attr('pin', 'string', { returned: 'never' }),
      ],
    }),
  ],
}
const auditSchema: SchemaDefinition = {
  id: AUDIT,
  name: 'Audit',
  description: 'Test extension',
  attributes: [attr('reviewer', 'string'), attr('score', 'integer')],
}
const registry = createSchemaRegistry(widgetSchema, [auditSchema])

const widget: Record<string, unknown> = {
  schemas: [WIDGET, AUDIT],
  name: 'Ｆile ﬁxer',
  code: 'AbC',
  tags: ['red', 'Blue'],
  count: 7,
  weight: 1.5,
  active: true,
  created: '2011-05-13T04:42:34Z',
  blob: 'QUJD',
  homepage: 'https://example.com/w/1',
  size: { width: 3 },
  owner: { value: 'u-42', display: 'Babs' },
  parts: [
    { value: 'bolt', type: 'metal', primary: true, weight: 0.5 },
    { value: 'nut', type: 'Plastic' },
  ],
  [AUDIT]: { reviewer: 'Kim', score: 90 },
}

const matches = (text: string, resource: Record<string, unknown> = widget) => {
  const filter = parseFilter(text)
  validateFilter(filter, registry)
  return matchesFilter(resource, filter, registry)
}
const holds = (text: string, resource?: Record<string, unknown>) =>
  assert.equal(matches(text, resource), true, text)
const fails = (text: string, resource?: Record<string, unknown>) =>
  assert.equal(matches(text, resource), false, text)

describe('SCIM filter evaluation', () => {
  it('compares case-insensitive strings after NFKC and lower-casing, case-exact ones raw', () => {
    holds('name eq "file fixer"')
    holds('name sw "FI" and name ew "XER" and name co "E F"')
    fails('name eq "file"')
    holds('code eq "AbC"')
    fails('code eq "abc"')
    fails('code co "B"')
    holds('code co "b"')
    holds('blob eq "QUJD"')
    fails('blob eq "qujd"')
    holds('homepage sw "HTTPS://EXAMPLE.COM"')
  })

  it('orders strings by code point, as UTF-8 bytes sort', () => {
    const emoji = { name: '😀' }
    holds('name gt "\\ue000"', emoji)
    fails('name lt "\\ue000"', emoji)
    assert.ok('😀' < '\ue000', 'UTF-16 order disagrees, which is the point')
    holds('name ge "ａ" and name le "b"', { name: 'A' })
    assert.equal(compareCodePoints('ab', 'a'), 1)
    assert.equal(compareCodePoints('a', 'ab'), -1)
    assert.equal(compareCodePoints('😀x', '😀x'), 0)
  })

  it('treats missing, null and [] as no value: ne holds, eq null holds, everything else fails', () => {
    for (const resource of [{}, { name: null, tags: null }, { tags: [] }, { tags: [null] }]) {
      fails('tags eq "red"', resource)
      holds('tags ne "red"', resource)
      fails('tags pr', resource)
      holds('tags eq null', resource)
      fails('tags ne null', resource)
      fails('tags co ""', resource)
      fails('count gt 0 or count le 0', resource)
      holds('not (count eq 1)', resource)
    }
  })

  it('counts "" as a value for comparisons but not for pr', () => {
    const empty = { name: '' }
    holds('name eq ""', empty)
    fails('name pr', empty)
    holds('name eq null', empty)
    fails('name ne null', empty)
  })

  it('holds a comparison on a multi-valued attribute when any element matches', () => {
    holds('tags eq "RED"')
    holds('tags eq "blue"')
    fails('tags ne "blue"')
    holds('tags ne "green"')
    holds('tags sw "bl"')
  })

  it('compares a complex attribute without a sub-attribute through its value', () => {
    holds('parts eq "BOLT"')
    holds('parts co "u"')
    fails('parts eq "metal"')
    holds('owner eq "u-42"')
    fails('owner eq "U-42"')
    holds('parts.type eq "plastic"')
    holds('parts.weight lt 1')
    holds('size.width eq 3 and not (size.height pr)')
  })

  it('finds a multi-valued attribute present when it has an element', () => {
    holds('parts pr')
    holds('parts pr', { parts: [{ type: 'metal' }] })
    fails('parts.value pr', { parts: [{ type: 'metal' }] })
    fails('parts pr', { parts: [] })
    holds('size pr')
    fails('size.height pr')
  })

  it('finds a complex single-valued attribute present when one of its sub-attributes has a value', () => {
    holds('owner pr')
    holds('owner pr', { owner: { display: 'Babs' } })
    holds('size pr', { size: { height: 0 } })
    // RFC 7644 §3.4.2.2: pr needs "a non-empty node"; "" is no value to pr, here as elsewhere.
    for (const empty of [{ owner: {} }, { owner: { value: '' } }, { owner: { value: null, display: '' } }]) {
      fails('owner pr', empty)
      holds('not (owner pr)', empty)
      holds('owner eq null', empty)
      fails('owner ne null', empty)
    }
    fails('owner pr', { owner: { unknown: 'x' } })
    holds('owner pr and not (size pr)', { owner: { value: 'u-1' } })
  })

  it('matches a value path only when one element satisfies the whole filter', () => {
    holds('parts[type eq "metal" and value eq "bolt"]')
    fails('parts[type eq "metal" and value eq "nut"]')
    holds('parts.type eq "metal" and parts.value eq "nut"', widget)
    holds('parts[primary eq true]')
    holds('parts[not (primary eq true)]')
    fails('parts[primary eq false]')
    holds('parts[weight pr and weight gt 0.25]')
    fails('parts[type eq "metal"]', { parts: null })
  })

  it('compares dateTime values as instants', () => {
    holds('created eq "2011-05-13T06:42:34+02:00"')
    holds('created gt "2011-05-13T04:42:33.999Z" and created lt "2011-05-13T04:42:34.001Z"')
    holds('created ge "2011-05-13T04:42:34Z" and created le "2011-05-13T04:42:34Z"')
    fails('created eq "2011-05-13T04:42:34Z"', { created: 'not a date' })
    holds('created ne "2011-05-13T04:42:34Z"', { created: 'not a date' })
  })

  it('compares a literal finer than the millisecond as the exact instant it is', () => {
    // Stored at …34.000Z; the literal …34.0001Z lies after it, …33.9999Z before it.
    holds('created lt "2011-05-13T04:42:34.0001Z" and created ge "2011-05-13T04:42:34Z"')
    holds('created le "2011-05-13T04:42:34.0001Z" and created gt "2011-05-13T04:42:33.9999Z"')
    fails('created gt "2011-05-13T04:42:34.0001Z" or created ge "2011-05-13T04:42:34.0001Z"')
    fails('created lt "2011-05-13T04:42:33.9999Z" or created le "2011-05-13T04:42:33.9999Z"')
    holds('created ge "2011-05-13T04:42:33.9999Z"')
    fails('created eq "2011-05-13T04:42:34.0009Z" or created eq "2011-05-13T04:42:33.9999Z"')
    holds('created ne "2011-05-13T04:42:34.0009Z"')
    // Trailing zeros are the same instant; zones shift it as they do without a fraction.
    holds('created eq "2011-05-13T04:42:34.000000000Z" and created eq "2011-05-13T06:42:34.0000+02:00"')
    fails('created eq "2011-05-13T06:42:34.0000001+02:00"')
    holds('created lt "2011-05-13T06:42:34.0000001+02:00"')
    fails('created lt "2011-05-13T04:42:34.0001Z"', { created: 'not a date' })
  })

  it('compares booleans with true, false, or their spellings as strings', () => {
    holds('active eq true')
    holds('active eq "TRUE"')
    holds('active ne false')
    fails('active eq "false"')
    fails('active eq true', { active: 'true' })
    holds('active ne true', {})
  })

  it('compares integers and decimals as numbers', () => {
    holds('count eq 7 and count gt 6 and count ge 7 and count lt 8 and count le 7')
    holds('weight eq 1.5 and weight gt 1 and weight lt 2e0')
    fails('count gt 7')
    fails('count eq 7', { count: '7' })
  })

  it('reads schemas, which no schema lists, from the resource: any URI, case-insensitively', () => {
    holds(`schemas eq "${AUDIT}"`)
    holds('schemas eq "URN:EXAMPLE:schemas:extension:AUDIT:2.0:Widget"')
    holds(`schemas eq "${WIDGET}" and schemas ne "urn:example:other"`)
    fails('schemas eq "urn:example:other"')
    fails(`schemas ne "${AUDIT}"`)
    holds('Schemas pr and schemas sw "urn:example:" and schemas ew ":audit:2.0:widget"')
    holds('schemas co "EXTENSION"')
    fails(`schemas eq "${AUDIT}"`, { schemas: [WIDGET] })
    holds(`not (schemas eq "${AUDIT}")`, { schemas: [WIDGET] })
    holds('schemas eq null', {})
    fails('schemas pr', {})
  })

  it('reads attr[filter].sub op value and attr[filter] op value as one element satisfying both', () => {
    holds('parts[type eq "metal"].value eq "BOLT"')
    fails('parts[type eq "metal"].value eq "nut"')
    holds('parts[type eq "plastic"].value eq "nut"')
    holds('parts[type eq "metal"] eq "bolt"')
    fails('parts[type eq "metal"] eq "nut"')
    holds('parts[value eq "nut"].weight eq null')
    fails('parts[value eq "nut"].weight pr')
    holds('parts[value eq "bolt"].weight pr')
  })

  it('reads extension attributes under their URN, qualified or not', () => {
    holds('reviewer eq "kim"')
    holds('urn:example:schemas:extension:audit:2.0:Widget:score ge 90')
    holds('URN:EXAMPLE:schemas:extension:audit:2.0:widget:reviewer pr')
    holds('score eq 90', { 'URN:example:SCHEMAS:extension:audit:2.0:Widget': { score: 90 } })
    fails('score pr', { [AUDIT]: 'not an object' })
    fails('reviewer pr', { reviewer: 'Kim' })
  })

  it('looks attribute names up case-insensitively, and never through the prototype', () => {
    holds('NAME eq "x" and Size.WIDTH eq 1', { name: 'x', SIZE: { Width: 1 } })
    fails('name pr', Object.create({ name: 'inherited' }) as Record<string, unknown>)
  })

  it('applies and, or and not exactly', () => {
    holds('count eq 7 and (code eq "x" or tags eq "red")')
    fails('count eq 7 and not (tags eq "red")')
    holds('not (count eq 1) or code eq "x"')
  })

  it('evaluates one element against a value filter with matchesElement', () => {
    const parts = widgetSchema.attributes.find((definition) => definition.name === 'parts')!
    const filter = parseFilter('type eq "METAL" and primary eq true')
    assert.equal(
      matchesElement({ value: 'bolt', type: 'metal', primary: true }, filter, parts, registry),
      true,
    )
    assert.equal(matchesElement({ type: 'metal' }, filter, parts, registry), false)
    assert.equal(matchesElement('metal', filter, parts, registry), false)
    assert.equal(matchesElement(null, parseFilter('type ne "x"'), parts, registry), true)
  })

  it('keeps its identities on random resources: ne is not eq, eq null is not pr, not negates', () => {
    const resource = fc.record(
      {
        name: fc.option(fc.constantFrom('', 'a', 'A', 'b', 'ﬁ'), { nil: undefined }),
        tags: fc.option(fc.array(fc.option(fc.constantFrom('a', 'B', '')), { maxLength: 3 }), {
          nil: undefined,
        }),
        count: fc.option(fc.integer({ min: -2, max: 2 }), { nil: undefined }),
        parts: fc.option(
          fc.array(fc.record({ value: fc.option(fc.constantFrom('a', 'b')), primary: fc.boolean() }), {
            maxLength: 3,
          }),
          { nil: undefined },
        ),
      },
      { requiredKeys: [] },
    )
    const path = fc.constantFrom('name', 'tags', 'count', 'parts', 'parts.value', 'parts.primary')
    const literal = (name: string) =>
      name === 'count'
        ? fc.integer({ min: -2, max: 2 })
        : name === 'parts.primary'
          ? fc.boolean()
          : fc.constantFrom('a', 'b', '')
    fc.assert(
      fc.property(
        resource,
        path.chain((name) => fc.tuple(fc.constant(name), literal(name))),
        (item, [name, value]) => {
          const test = (text: string) => matches(text, item as Record<string, unknown>)
          const written = JSON.stringify(value)
          assert.equal(test(`${name} ne ${written}`), !test(`${name} eq ${written}`))
          assert.equal(test(`not (${name} eq ${written})`), !test(`${name} eq ${written}`))
          assert.equal(test(`${name} eq null`), !test(`${name} pr`))
          assert.equal(test(`${name} ne null`), test(`${name} pr`))
        },
      ),
      { numRuns: 500 },
    )
  })
})

function invalid(text: string, message: string | RegExp, schemas = registry) {
  assert.throws(
    () => validateFilter(parseFilter(text), schemas),
    (error: unknown) => {
      assert.ok(isScimError(error))
      assert.equal(error.scimType, 'invalidFilter')
      if (typeof message === 'string') assert.equal(error.message, message)
      else assert.match(error.message, message)
      return true
    },
    text,
  )
}

describe('SCIM filter validation', () => {
  it('accepts well-typed filters, including eq null and ne null on anything', () => {
    for (const text of [
      'name eq "x" and code co "y" and tags sw "z" and homepage ew "/1" and blob co "QU"',
      'count gt 1 and weight le 2.5 and created ge "2011-05-13T04:42:34.5+01:00" and active eq false',
      'name gt "m" and homepage lt "z"',
      'active eq "True" or active ne "false"',
      'size eq null or size ne null or size pr or owner eq "u-1" or parts co "b"',
      'parts[type eq "metal" and not (primary eq true) or weight gt 1] and size.width ge 2',
      'urn:example:schemas:extension:audit:2.0:Widget:score lt 5 and reviewer pr',
    ])
      assert.doesNotThrow(() => validateFilter(parseFilter(text), registry), text)
  })

  it('accepts schemas with every operator on a string; refuses other literals, sub-attributes and [ ]', () => {
    for (const operator of ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'])
      assert.doesNotThrow(() => validateFilter(parseFilter(`schemas ${operator} "urn:x"`), registry))
    assert.doesNotThrow(() => validateFilter(parseFilter('schemas pr or schemas eq null'), userRegistry))
    invalid(
      'schemas eq 1',
      '"schemas" is a multi-valued reference: compare it with a string in double quotes, not 1',
    )
    invalid('schemas.value eq "x"', '"schemas" is a multi-valued reference and has no sub-attributes')
    invalid(
      'schemas[value eq "x"]',
      '"schemas"[…] needs a multi-valued complex attribute, such as emails; "schemas" is a multi-valued reference',
    )
    // Not an attribute of the core schema, so not qualified by it.
    invalid(`${WIDGET}:schemas pr`, `Unknown attribute "schemas" in schema "${WIDGET.toLowerCase()}"`)
  })

  it('accepts attr[filter] op value only where the elements have a value', () => {
    assert.doesNotThrow(() =>
      validateFilter(parseFilter('emails[type eq "work"] eq "a@example.com"'), userRegistry),
    )
    assert.doesNotThrow(() =>
      validateFilter(parseFilter('addresses[type eq "work"].locality eq "Hollywood"'), userRegistry),
    )
    invalid(
      'addresses[type eq "work"] eq "Hollywood"',
      '"addresses" has no sub-attribute "value" to compare; it has formatted, streetAddress, locality, region, postalCode, country, type, primary: name the one to compare, as in addresses[…].formatted eq "…"',
      userRegistry,
    )
    invalid('parts[type eq "metal"].pin eq "1"', /^"parts.pin" cannot be used in a filter/)
    invalid('parts[type eq "metal"].colour pr', /^"parts" has no sub-attribute "colour"/)
    invalid('parts[type eq "metal"] co 1', /^"parts.value" is a single-valued string/)
  })

  it('names the unknown attribute, sub-attribute or schema', () => {
    invalid('colour eq "red"', 'Unknown attribute "colour" in the filter')
    invalid('size.depth pr', '"size" has no sub-attribute "depth"; it has width, height')
    invalid('name.first pr', '"name" is a single-valued string and has no sub-attributes')
    invalid('urn:example:nope:name pr', 'Unknown schema "urn:example:nope" in "urn:example:nope:name"')
    invalid(`${AUDIT}:name pr`, `Unknown attribute "name" in schema "${AUDIT.toLowerCase()}"`)
    invalid(
      'parts[colour eq "red"]',
      '"parts" has no sub-attribute "colour"; it has value, type, primary, weight, pin',
    )
  })

  it('refuses value paths on single-valued or simple attributes, and nested ones', () => {
    invalid(
      'size[width pr]',
      '"size"[…] needs a multi-valued complex attribute, such as emails; "size" is a single-valued complex',
    )
    invalid(
      'tags[value pr]',
      '"tags"[…] needs a multi-valued complex attribute, such as emails; "tags" is a multi-valued string',
    )
    const nested: Filter = {
      kind: 'valuePath',
      path: { attribute: 'parts' },
      filter: parseFilter('parts[type pr]'),
    }
    assert.throws(() => validateFilter(nested, registry), /^ScimError: Value filters cannot be nested/)
    const qualified: Filter = {
      kind: 'valuePath',
      path: { attribute: 'parts' },
      filter: parseFilter('parts.type pr'),
    }
    assert.throws(
      () => validateFilter(qualified, registry),
      /name a sub-attribute alone: "parts.type" is not one/,
    )
  })

  it('refuses attributes that are never returned, so a filter cannot reveal them', () => {
    const message = (label: string) =>
      `"${label}" cannot be used in a filter: it is never returned, and filtering would reveal it`
    invalid('secret sw "a"', message('secret'))
    invalid('secret pr', message('secret'))
    invalid('secret eq null', message('secret'))
    invalid('parts.pin eq "1"', message('parts.pin'))
    invalid('parts[pin eq "1"]', message('parts.pin'))
    invalid('password sw "a"', message('password'), userRegistry)
  })

  it('refuses operators that do not fit the type', () => {
    invalid(
      'count co "1"',
      'The operator co needs a string, reference or binary attribute; "count" is a single-valued integer',
    )
    invalid('active sw "t"', /^The operator sw needs a string.*"active" is a single-valued boolean$/)
    invalid('created ew "Z"', /^The operator ew needs a string.*"created" is a single-valued dateTime$/)
    invalid(
      'active gt true',
      'The operator gt does not order a single-valued boolean such as "active"; use eq or ne',
    )
    invalid('blob le "A"', /^The operator le does not order a single-valued binary/)
    invalid(
      'parts[primary lt true]',
      /^The operator lt does not order a single-valued boolean such as "parts.primary"/,
    )
    invalid('size gt 1', '"size" is complex: compare one of its sub-attributes (width, height), or use pr')
    invalid('size eq 1', /^"size" is complex/)
    invalid('count gt null', 'null can only be compared with eq or ne, not with gt (on "count")')
  })

  it('refuses literals that do not fit the type', () => {
    invalid('name eq 1', '"name" is a single-valued string: compare it with a string in double quotes, not 1')
    invalid('tags eq true', /^"tags" is a multi-valued string: compare it with a string/)
    invalid(
      'count eq "7"',
      '"count" is a single-valued integer: compare it with a whole number such as 42, not "7"',
    )
    invalid('count eq 1.5', /compare it with a whole number/)
    invalid('count eq 1e300', /compare it with a whole number/)
    invalid('weight eq "1.5"', /^"weight" is a single-valued decimal: compare it with a number/)
    invalid(
      'active eq "yes"',
      '"active" is a single-valued boolean: compare it with true or false, not "yes"',
    )
    invalid('active eq 1', /compare it with true or false, not 1$/)
    const dateTime =
      'compare it with a date and time with a zone in double quotes, such as "2011-05-13T04:42:34Z"'
    for (const literal of [
      '"yesterday"',
      '"2011-05-13"',
      '"2011-05-13T04:42:34"',
      '"2011-02-30T00:00:00Z"',
      '1',
    ])
      invalid(`created gt ${literal}`, `"created" is a single-valued dateTime: ${dateTime}, not ${literal}`)
    invalid('parts eq 3', /^"parts.value" is a single-valued string: compare it with a string/)
    invalid('owner gt 3', /^"owner.value" is a single-valued string/)
  })

  it('parses dateTime literals strictly, keeping digits below the millisecond', () => {
    const exact = (floor: number) => ({ floor, exact: true })
    const between = (floor: number) => ({ floor, exact: false })
    assert.deepEqual(parseInstantLiteral('2011-05-13T04:42:34Z'), exact(Date.UTC(2011, 4, 13, 4, 42, 34)))
    assert.deepEqual(
      parseInstantLiteral('2011-05-13t04:42:34.123456z'),
      between(Date.UTC(2011, 4, 13, 4, 42, 34, 123)),
    )
    assert.deepEqual(
      parseInstantLiteral('2011-05-13T04:42:34.123000000Z'),
      exact(Date.UTC(2011, 4, 13, 4, 42, 34, 123)),
    )
    assert.deepEqual(
      parseInstantLiteral('2011-05-13T04:42:34.5Z'),
      exact(Date.UTC(2011, 4, 13, 4, 42, 34, 500)),
    )
    assert.deepEqual(parseInstantLiteral('2000-02-29T00:00:00-05:30'), exact(Date.UTC(2000, 1, 29, 5, 30)))
    assert.deepEqual(
      parseInstantLiteral('2000-02-29T00:00:00.0001+01:00'),
      between(Date.UTC(2000, 1, 28, 23, 0, 0, 0)),
    )
    // Before 1970 the fraction still counts forward from the whole second.
    assert.deepEqual(parseInstantLiteral('1969-12-31T23:59:59.9995Z'), between(-1))
    for (const text of [
      '1900-02-29T00:00:00Z',
      '2011-13-01T00:00:00Z',
      '2011-04-31T00:00:00Z',
      '2011-05-13T24:00:00Z',
      '2011-05-13T04:60:00Z',
      '2011-05-13T04:42:60Z',
      '2011-05-13T04:42:34+24:00',
      '2011-05-13 04:42:34Z',
      '2011-05-13T04:42:34.1234567891Z',
      '2011-05-13T04:42:34.Z',
      '2011-05-13T04:42:34',
    ])
      assert.equal(parseInstantLiteral(text), undefined, text)
  })

  it('compares whole milliseconds with a literal between two of them exactly', () => {
    const literal = { floor: 1000, exact: false }
    assert.equal(onWholeMilliseconds('eq', literal), false)
    assert.deepEqual(onWholeMilliseconds('lt', literal), { operator: 'lt', at: 1001 })
    assert.deepEqual(onWholeMilliseconds('le', literal), { operator: 'le', at: 1000 })
    assert.deepEqual(onWholeMilliseconds('gt', literal), { operator: 'gt', at: 1000 })
    assert.deepEqual(onWholeMilliseconds('ge', literal), { operator: 'ge', at: 1001 })
    for (const operator of ['eq', 'lt', 'le', 'gt', 'ge'] as const)
      assert.deepEqual(onWholeMilliseconds(operator, { floor: 1000, exact: true }), { operator, at: 1000 })
  })

  it('validates the RFC 7644 examples against the User schemas', () => {
    for (const text of [
      'userName eq "bjensen"',
      'name.familyName co "O\'Malley"',
      'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
      'title pr and userType eq "Employee"',
      'meta.lastModified gt "2011-05-13T04:42:34Z"',
      'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
      'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"',
      'employeeNumber eq "701984" and manager.value eq "26118915"',
    ])
      assert.doesNotThrow(() => validateFilter(parseFilter(text), userRegistry), text)
    const user = {
      userName: 'bjensen',
      emails: [{ value: 'bjensen@example.com', type: 'work' }],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '701984' },
    }
    const filter = parseFilter(
      'emails[type eq "work" and value co "@EXAMPLE.com"] and employeeNumber eq "701984"',
    )
    assert.equal(matchesFilter(user, filter, userRegistry), true)
  })
})
