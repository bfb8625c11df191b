import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { resourceTypes } from '../../src/scim/discovery/resource-types.ts'
import { schemaResources } from '../../src/scim/discovery/schemas-resource.ts'
import { serviceProviderConfig } from '../../src/scim/discovery/service-provider-config.ts'
import { ENTERPRISE_USER_SCHEMA_URN, enterpriseUserSchema } from '../../src/scim/schema/enterprise-user.ts'
import { GROUP_SCHEMA_URN, groupSchema } from '../../src/scim/schema/group.ts'
import { createSchemaRegistry, groupRegistry, userRegistry } from '../../src/scim/schema/registry.ts'
import { REKEY_USER_SCHEMA_URN, rekeyUserSchema } from '../../src/scim/schema/rekey-user.ts'
import type { AttributeDefinition, SchemaDefinition } from '../../src/scim/schema/types.ts'
import { attribute, commonAttributes, USER_SCHEMA_URN, userSchema } from '../../src/scim/schema/user.ts'

const allSchemas = [userSchema, enterpriseUserSchema, rekeyUserSchema, groupSchema]
const baseUrl = 'https://id.example.com/t/example.com/scim2'

function find(attributes: readonly AttributeDefinition[] | undefined, name: string): AttributeDefinition {
  const found = attributes?.find((candidate) => candidate.name === name)
  assert.ok(found, `attribute ${name}`)
  return found
}

const names = (attributes: readonly AttributeDefinition[] | undefined) =>
  (attributes ?? []).map((a) => a.name)

describe('schema registry', () => {
  it('resolves core attribute names case-insensitively', () => {
    const resolved = userRegistry.resolve({ attribute: 'USERNAME' })
    assert.equal(resolved?.schema, userSchema)
    assert.equal(resolved?.attribute.name, 'userName')
    assert.equal(resolved?.subAttribute, undefined)
    assert.equal(userRegistry.resolve({ attribute: 'id' })?.attribute.name, 'id')
  })

  it('resolves names qualified by a URN in any letter case', () => {
    const resolved = userRegistry.resolve({ schema: USER_SCHEMA_URN.toUpperCase(), attribute: 'displayname' })
    assert.equal(resolved?.schema, userSchema)
    assert.equal(resolved?.attribute.name, 'displayName')
    const extension = userRegistry.resolve({ schema: ENTERPRISE_USER_SCHEMA_URN, attribute: 'Department' })
    assert.equal(extension?.schema, enterpriseUserSchema)
  })

  it('finds unqualified extension attributes after the core schema', () => {
    assert.equal(userRegistry.resolve({ attribute: 'employeeNumber' })?.schema, enterpriseUserSchema)
    assert.equal(userRegistry.resolve({ attribute: 'pendingresetmode' })?.schema, rekeyUserSchema)
    assert.equal(userRegistry.resolve({ attribute: 'forcePasswordReset' })?.schema, enterpriseUserSchema)
  })

  it('prefers the core schema when an extension repeats a name', () => {
    const shadow: SchemaDefinition = {
      id: 'urn:example:params:scim:schemas:extension:2.0:Shadow',
      name: 'Shadow',
      description: 'Repeats a core name.',
      attributes: [attribute('displayName', 'string', 'Another display name.')],
    }
    const registry = createSchemaRegistry(userSchema, [shadow])
    assert.equal(registry.resolve({ attribute: 'displayName' })?.schema, userSchema)
    assert.equal(registry.resolve({ schema: shadow.id, attribute: 'displayName' })?.schema, shadow)
  })

  it('answers undefined for unknown names and URNs', () => {
    assert.equal(userRegistry.resolve({ attribute: 'entitlements' }), undefined)
    assert.equal(userRegistry.resolve({ schema: 'urn:example:unknown', attribute: 'userName' }), undefined)
    // Known URN, but the attribute lives in another schema.
    assert.equal(userRegistry.resolve({ schema: USER_SCHEMA_URN, attribute: 'employeeNumber' }), undefined)
    assert.equal(userRegistry.resolve({ schema: REKEY_USER_SCHEMA_URN, attribute: 'userName' }), undefined)
    assert.equal(groupRegistry.resolve({ attribute: 'userName' }), undefined)
    assert.equal(
      groupRegistry.resolve({ schema: ENTERPRISE_USER_SCHEMA_URN, attribute: 'department' }),
      undefined,
    )
  })

  it('resolves sub-attributes among the sub-attributes of complex attributes only', () => {
    const given = userRegistry.resolve({ attribute: 'name', subAttribute: 'GIVENNAME' })
    assert.equal(given?.attribute.name, 'name')
    assert.equal(given?.subAttribute?.name, 'givenName')
    assert.equal(
      userRegistry.resolve({ attribute: 'emails', subAttribute: 'value' })?.subAttribute?.name,
      'value',
    )
    assert.equal(
      userRegistry.resolve({ attribute: 'meta', subAttribute: 'lastmodified' })?.subAttribute?.type,
      'dateTime',
    )
    const manager = userRegistry.resolve({
      schema: ENTERPRISE_USER_SCHEMA_URN,
      attribute: 'manager',
      subAttribute: '$REF',
    })
    assert.equal(manager?.subAttribute?.name, '$ref')
    assert.equal(
      groupRegistry.resolve({ attribute: 'members', subAttribute: 'value' })?.subAttribute?.mutability,
      'immutable',
    )
    assert.equal(userRegistry.resolve({ attribute: 'name', subAttribute: 'nickName' }), undefined)
    assert.equal(userRegistry.resolve({ attribute: 'userName', subAttribute: 'value' }), undefined)
  })

  it('looks schemas up by URN case-insensitively', () => {
    assert.equal(userRegistry.schema(REKEY_USER_SCHEMA_URN.toUpperCase()), rekeyUserSchema)
    assert.equal(userRegistry.schema(USER_SCHEMA_URN), userSchema)
    assert.equal(userRegistry.schema(GROUP_SCHEMA_URN), undefined)
    assert.equal(groupRegistry.schema(GROUP_SCHEMA_URN), groupSchema)
    assert.deepEqual(
      userRegistry.extensions.map((schema) => schema.id),
      [ENTERPRISE_USER_SCHEMA_URN, REKEY_USER_SCHEMA_URN],
    )
    assert.deepEqual(groupRegistry.extensions, [])
  })

  it('refuses two schemas under one URN', () => {
    assert.throws(() =>
      createSchemaRegistry(userSchema, [{ ...rekeyUserSchema, id: USER_SCHEMA_URN.toLowerCase() }]),
    )
  })
})

describe('schema definitions', () => {
  const types = new Set([
    'string',
    'boolean',
    'decimal',
    'integer',
    'dateTime',
    'reference',
    'complex',
    'binary',
  ])
  const mutabilities = new Set(['readOnly', 'readWrite', 'immutable', 'writeOnly'])
  const returns = new Set(['always', 'never', 'default', 'request'])
  const uniquenesses = new Set(['none', 'server', 'global'])
  // ATTRNAME of RFC 7643 §2.1, plus `$ref`, which the RFC itself uses.
  const attributeName = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/

  function check(where: string, attributes: readonly AttributeDefinition[], nested: boolean): void {
    const seen = new Set<string>()
    for (const definition of attributes) {
      const at = `${where}.${definition.name}`
      assert.match(definition.name, attributeName, at)
      assert.ok(!seen.has(definition.name.toLowerCase()), `${at} is defined twice`)
      seen.add(definition.name.toLowerCase())
      assert.ok(types.has(definition.type), `${at} type`)
      assert.equal(typeof definition.multiValued, 'boolean', `${at} multiValued`)
      assert.equal(typeof definition.required, 'boolean', `${at} required`)
      assert.equal(typeof definition.caseExact, 'boolean', `${at} caseExact`)
      assert.ok(definition.description.trim().length > 0, `${at} description`)
      assert.ok(mutabilities.has(definition.mutability), `${at} mutability`)
      assert.ok(returns.has(definition.returned), `${at} returned`)
      assert.ok(uniquenesses.has(definition.uniqueness), `${at} uniqueness`)
      if (definition.type === 'reference')
        assert.ok(definition.referenceTypes?.length, `${at} referenceTypes`)
      else assert.equal(definition.referenceTypes, undefined, `${at} referenceTypes`)
      if (definition.canonicalValues !== undefined) {
        assert.equal(definition.type, 'string', `${at} canonicalValues on a non-string`)
        assert.ok(definition.canonicalValues.length > 0, `${at} canonicalValues`)
      }
      if (definition.type === 'binary')
        assert.equal(definition.caseExact, true, `${at} base64 is case-sensitive`)
      if (definition.mutability === 'writeOnly') assert.equal(definition.returned, 'never', `${at} returned`)
      if (definition.type === 'complex') {
        assert.ok(!nested, `${at}: a sub-attribute cannot be complex (RFC 7643 §2.3.8)`)
        assert.ok(definition.subAttributes?.length, `${at} subAttributes`)
        check(at, definition.subAttributes ?? [], true)
      } else {
        assert.equal(definition.subAttributes, undefined, `${at} subAttributes`)
      }
    }
  }

  it('give every attribute all characteristics with valid values', () => {
    for (const schema of allSchemas) {
      assert.match(schema.id, /^urn:/)
      assert.ok(schema.name && schema.description, schema.id)
      check(schema.name, schema.attributes, false)
    }
  })

  it('define exactly the User attributes Rekey supports', () => {
    assert.deepEqual(names(userSchema.attributes), [
      'id',
      'externalId',
      'meta',
      'userName',
      'name',
      'displayName',
      'nickName',
      'profileUrl',
      'title',
      'userType',
      'preferredLanguage',
      'locale',
      'timezone',
      'active',
      'password',
      'emails',
      'phoneNumbers',
      'ims',
      'photos',
      'addresses',
      'groups',
      'x509Certificates',
    ])
    assert.deepEqual(names(find(userSchema.attributes, 'name').subAttributes), [
      'formatted',
      'familyName',
      'givenName',
      'middleName',
      'honorificPrefix',
      'honorificSuffix',
    ])
    for (const plural of ['emails', 'phoneNumbers', 'ims', 'photos']) {
      const definition = find(userSchema.attributes, plural)
      assert.equal(definition.multiValued, true, plural)
      assert.deepEqual(names(definition.subAttributes), ['value', 'type', 'primary'], plural)
    }
    const canonical = (parent: string) =>
      find(find(userSchema.attributes, parent).subAttributes, 'type').canonicalValues
    assert.deepEqual(canonical('emails'), ['work', 'home', 'other'])
    assert.deepEqual(canonical('phoneNumbers'), ['work', 'home', 'mobile', 'fax', 'pager', 'other'])
    assert.deepEqual(canonical('ims'), ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'])
    assert.deepEqual(canonical('photos'), ['photo', 'thumbnail'])
    assert.deepEqual(canonical('addresses'), ['work', 'home', 'other'])
    assert.deepEqual(canonical('groups'), ['direct'])
    assert.equal(find(find(userSchema.attributes, 'photos').subAttributes, 'value').type, 'reference')
    assert.deepEqual(find(userSchema.attributes, 'profileUrl').referenceTypes, ['external'])
    assert.equal(find(userSchema.attributes, 'active').type, 'boolean')
    assert.equal(find(find(userSchema.attributes, 'x509Certificates').subAttributes, 'value').type, 'binary')
  })

  it('mark userName and displayName as required and unique, case-insensitively', () => {
    for (const [schema, name] of [
      [userSchema, 'userName'],
      [groupSchema, 'displayName'],
    ] as const) {
      const definition = find(schema.attributes, name)
      assert.equal(definition.required, true)
      assert.equal(definition.uniqueness, 'server')
      assert.equal(definition.caseExact, false)
    }
  })

  it('give the common attributes their RFC 7643 §3.1 characteristics in both core schemas', () => {
    for (const schema of [userSchema, groupSchema]) {
      for (const common of commonAttributes)
        assert.ok(schema.attributes.includes(common), `${schema.name} ${common.name}`)
      const id = find(schema.attributes, 'id')
      assert.deepEqual(
        [id.mutability, id.returned, id.caseExact, id.uniqueness],
        ['readOnly', 'always', true, 'server'],
      )
      const externalId = find(schema.attributes, 'externalId')
      assert.deepEqual([externalId.mutability, externalId.caseExact], ['readWrite', true])
      const meta = find(schema.attributes, 'meta')
      assert.equal(meta.mutability, 'readOnly')
      assert.ok(meta.subAttributes?.every((sub) => sub.mutability === 'readOnly'))
      assert.equal(find(meta.subAttributes, 'lastModified').type, 'dateTime')
      assert.deepEqual(find(meta.subAttributes, 'location').referenceTypes, ['uri'])
    }
    for (const extension of [enterpriseUserSchema, rekeyUserSchema]) {
      for (const common of commonAttributes) assert.ok(!names(extension.attributes).includes(common.name))
    }
  })

  it('never return the password', () => {
    const password = find(userSchema.attributes, 'password')
    assert.equal(password.mutability, 'writeOnly')
    assert.equal(password.returned, 'never')
  })

  it('return the one-time password only on request, and let no client write it', () => {
    const otp = find(rekeyUserSchema.attributes, 'oneTimePassword')
    assert.equal(otp.mutability, 'readOnly')
    assert.equal(otp.returned, 'request')
    assert.equal(otp.caseExact, true)
  })

  it('define the Rekey and enterprise extensions as documented', () => {
    assert.equal(REKEY_USER_SCHEMA_URN, 'urn:rekey:params:scim:schemas:extension:2.0:User')
    assert.deepEqual(names(rekeyUserSchema.attributes), [
      'accountLocked',
      'lockedReason',
      'oneTimePassword',
      'passwordLastChanged',
      'pendingResetMode',
    ])
    assert.equal(find(rekeyUserSchema.attributes, 'accountLocked').mutability, 'readWrite')
    assert.equal(find(rekeyUserSchema.attributes, 'passwordLastChanged').type, 'dateTime')
    assert.deepEqual(find(rekeyUserSchema.attributes, 'pendingResetMode').canonicalValues, [
      'email-link',
      'email-otp',
      'offline-otp',
    ])
    assert.deepEqual(names(enterpriseUserSchema.attributes), [
      'employeeNumber',
      'costCenter',
      'organization',
      'division',
      'department',
      'manager',
      'forcePasswordReset',
    ])
    const manager = find(enterpriseUserSchema.attributes, 'manager')
    assert.deepEqual(names(manager.subAttributes), ['value', '$ref', 'displayName'])
    assert.equal(find(manager.subAttributes, 'displayName').mutability, 'readOnly')
    const reset = find(enterpriseUserSchema.attributes, 'forcePasswordReset')
    assert.deepEqual([reset.type, reset.mutability, reset.returned], ['boolean', 'readWrite', 'default'])
  })

  it('define group members as users, with immutable values', () => {
    const members = find(groupSchema.attributes, 'members')
    assert.equal(members.multiValued, true)
    assert.deepEqual(names(members.subAttributes), ['value', '$ref', 'display', 'type'])
    assert.equal(find(members.subAttributes, 'value').mutability, 'immutable')
    assert.equal(find(members.subAttributes, 'display').mutability, 'readOnly')
    // Groups are roles: a group is never a member, and the schema says so.
    assert.deepEqual(find(members.subAttributes, 'type').canonicalValues, ['User'])
    assert.deepEqual(find(members.subAttributes, '$ref').referenceTypes, ['User'])
    assert.equal(find(userSchema.attributes, 'groups').mutability, 'readOnly')
  })
})

describe('discovery resources', () => {
  it('describe the service provider', () => {
    const config = serviceProviderConfig({
      baseUrl,
      maxOperations: 100,
      maxPayloadSize: 1_048_576,
      maxResults: 200,
    })
    assert.deepEqual(config.schemas, ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'])
    assert.equal('documentationUri' in config, false)
    assert.deepEqual(config.patch, { supported: true })
    assert.deepEqual(config.bulk, { supported: true, maxOperations: 100, maxPayloadSize: 1_048_576 })
    assert.deepEqual(config.filter, { supported: true, maxResults: 200 })
    for (const feature of [config.changePassword, config.sort, config.etag])
      assert.deepEqual(feature, { supported: true })
    assert.deepEqual(config.authenticationSchemes.map((scheme) => scheme.type).sort(), [
      'httpbasic',
      'oauthbearertoken',
    ])
    for (const scheme of config.authenticationSchemes) assert.ok(scheme.name && scheme.description)
    assert.equal(config.authenticationSchemes.filter((scheme) => scheme.primary).length, 1)
    assert.deepEqual(config.meta, {
      resourceType: 'ServiceProviderConfig',
      location: `${baseUrl}/ServiceProviderConfig`,
    })
    const documented = serviceProviderConfig({
      baseUrl,
      maxOperations: 1,
      maxPayloadSize: 1,
      maxResults: 1,
      documentationUri: 'https://id.example.com/docs/scim',
    })
    assert.equal(documented.documentationUri, 'https://id.example.com/docs/scim')
  })

  it('refuse limits that are not positive integers', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => serviceProviderConfig({ baseUrl, maxOperations: bad, maxPayloadSize: 1, maxResults: 1 }),
        RangeError,
      )
    }
  })

  it('list the User and Group resource types', () => {
    const [user, group, ...rest] = resourceTypes(baseUrl)
    assert.equal(rest.length, 0)
    assert.deepEqual(user, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      description: user?.description,
      endpoint: '/Users',
      schema: USER_SCHEMA_URN,
      schemaExtensions: [
        { schema: ENTERPRISE_USER_SCHEMA_URN, required: false },
        { schema: REKEY_USER_SCHEMA_URN, required: false },
      ],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
    })
    assert.ok(user?.description)
    assert.equal(group?.endpoint, '/Groups')
    assert.equal(group?.schema, GROUP_SCHEMA_URN)
    assert.deepEqual(group?.schemas, ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'])
    assert.equal(group?.meta.location, `${baseUrl}/ResourceTypes/Group`)
  })

  it('render every schema without the common attributes', () => {
    const resources = schemaResources(baseUrl)
    assert.deepEqual(
      resources.map((resource) => resource.id),
      allSchemas.map((schema) => schema.id),
    )
    for (const resource of resources) {
      const schema = allSchemas.find((candidate) => candidate.id === resource.id)
      assert.ok(schema)
      assert.deepEqual(resource.schemas, ['urn:ietf:params:scim:schemas:core:2.0:Schema'])
      assert.equal(resource.name, schema.name)
      assert.ok(resource.description)
      assert.deepEqual(resource.meta, { resourceType: 'Schema', location: `${baseUrl}/Schemas/${schema.id}` })
      assert.deepEqual(
        resource.attributes,
        schema.attributes.filter((definition) => !commonAttributes.includes(definition)),
      )
    }
    const user = resources[0]
    assert.ok(user)
    assert.equal(names(user.attributes).includes('id'), false)
    assert.ok(find(find(user.attributes, 'emails').subAttributes, 'type').canonicalValues)
  })

  it('list the common attributes when asked to', () => {
    const [user] = schemaResources(baseUrl, { includeCommonAttributes: true })
    assert.deepEqual(user?.attributes, userSchema.attributes)
  })

  it('hand out copies, so a caller cannot change the definitions', () => {
    const [user] = schemaResources(baseUrl)
    const emails = find(user?.attributes, 'emails')
    find(emails.subAttributes, 'type').canonicalValues?.push('changed')
    emails.description = 'changed'
    assert.deepEqual(
      userRegistry.resolve({ attribute: 'emails', subAttribute: 'type' })?.subAttribute?.canonicalValues,
      ['work', 'home', 'other'],
    )
    assert.notEqual(find(userSchema.attributes, 'emails').description, 'changed')
  })
})
