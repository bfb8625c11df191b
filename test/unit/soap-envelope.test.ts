import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../../src/errors/app-error.ts'
import {
  actionOperation,
  operationOf,
  parseEnvelope,
  SOAP11_NAMESPACE,
  SOAP12_NAMESPACE,
  versionOfContentType,
  writeEnvelope,
} from '../../src/soap/envelope.ts'
import { faultEnvelope, REKEY_SOAP_NAMESPACE } from '../../src/soap/fault.ts'
import { internalStoreFields, userProfileFields } from '../../src/soap/profile-fields.ts'
import {
  MGT_NAMESPACE,
  operationNames,
  profileResponse,
  readProfileRequest,
  TYPES_NAMESPACE,
} from '../../src/soap/profile-messages.ts'
import { serviceWsdl } from '../../src/soap/wsdl.ts'
import { childrenNamed, parseXml, type XmlElement } from '../../src/soap/xml.ts'
import { referenceSetUserProfile } from '../support/soap.ts'

const envelope = (body: string, namespace = SOAP11_NAMESPACE, header = '') =>
  `<e:Envelope xmlns:e="${namespace}" xmlns:mgt="${MGT_NAMESPACE}" xmlns:xsd="${TYPES_NAMESPACE}">${header}<e:Body>${body}</e:Body></e:Envelope>`

const request = (text: string) => readProfileRequest(operationOf(parseEnvelope(text)))

function rejects(work: () => unknown, code: string, message?: RegExp) {
  assert.throws(work, (error: unknown) => {
    assert.ok(error instanceof AppError, String(error))
    assert.equal(error.code, code)
    if (message) assert.match(error.message, message)
    return true
  })
}

const child = (element: XmlElement, local: string) => childrenNamed(element, local)[0]!

describe('SOAP envelopes', () => {
  it('reads the reference setUserProfile request verbatim', () => {
    const parsed = parseEnvelope(referenceSetUserProfile)
    assert.equal(parsed.version, '1.1')
    assert.deepEqual(readProfileRequest(operationOf(parsed)), {
      operation: 'setUserProfile',
      username: 'tom',
      changes: { 'http://wso2.org/claims/identity/adminForcedPasswordReset': 'true' },
    })
  })

  it('tells SOAP 1.1 from 1.2 by the envelope namespace, and refuses others', () => {
    const get = `<mgt:getUserProfile><mgt:username>SECONDARY/alex</mgt:username><mgt:profileName>default</mgt:profileName></mgt:getUserProfile>`
    assert.equal(parseEnvelope(envelope(get, SOAP12_NAMESPACE)).version, '1.2')
    assert.deepEqual(request(envelope(get, SOAP12_NAMESPACE)), {
      operation: 'getUserProfile',
      username: 'SECONDARY/alex',
    })
    rejects(() => parseEnvelope(envelope(get, 'urn:not-soap')), 'soap.version-mismatch')
    rejects(() => parseEnvelope('<Envelope/>'), 'soap.version-mismatch')
    rejects(
      () => parseEnvelope(`<mgt:getUserProfile xmlns:mgt="${MGT_NAMESPACE}"/>`),
      'request.malformed-xml',
    )
  })

  it('the content type picks the version of a fault sent before the envelope is read', () => {
    assert.equal(versionOfContentType('application/soap+xml; charset=utf-8; action="urn:x"'), '1.2')
    assert.equal(versionOfContentType('text/xml'), '1.1')
    assert.equal(versionOfContentType(undefined), '1.1')
  })

  it('needs exactly one operation in exactly one Body', () => {
    rejects(() => request(envelope('')), 'request.malformed-xml', /exactly one operation/)
    rejects(
      () =>
        request(envelope('<mgt:getProfileFieldsForInternalStore/><mgt:getProfileFieldsForInternalStore/>')),
      'request.malformed-xml',
    )
    rejects(
      () => operationOf(parseEnvelope(`<e:Envelope xmlns:e="${SOAP11_NAMESPACE}"/>`)),
      'request.malformed-xml',
      /one Body/,
    )
  })

  it('refuses a header block that must be understood, ignores the others', () => {
    const body = '<mgt:getProfileFieldsForInternalStore/>'
    const header = (attribute: string) =>
      `<e:Header><s:Security xmlns:s="urn:security" ${attribute}/></e:Header>`
    assert.equal(
      request(envelope(body, SOAP11_NAMESPACE, header(''))).operation,
      'getProfileFieldsForInternalStore',
    )
    assert.equal(
      request(envelope(body, SOAP11_NAMESPACE, header('e:mustUnderstand="0"'))).operation,
      'getProfileFieldsForInternalStore',
    )
    rejects(
      () => request(envelope(body, SOAP11_NAMESPACE, header('e:mustUnderstand="1"'))),
      'soap.must-understand',
    )
    rejects(
      () => request(envelope(body, SOAP12_NAMESPACE, header('e:mustUnderstand="true"'))),
      'soap.must-understand',
    )
  })

  it('reads the SOAP action from the 1.1 header or the 1.2 content type', () => {
    assert.equal(actionOperation('1.1', '"urn:setUserProfile"', 'text/xml'), 'setUserProfile')
    assert.equal(actionOperation('1.1', '""', 'text/xml'), undefined)
    assert.equal(actionOperation('1.1', undefined, 'text/xml'), undefined)
    assert.equal(
      actionOperation('1.2', undefined, 'application/soap+xml;charset=UTF-8;action="urn:getUserProfile"'),
      'getUserProfile',
    )
    assert.equal(actionOperation('1.2', 'urn:ignored', 'application/soap+xml'), undefined)
  })
})

describe('UserProfileMgtService messages', () => {
  it('refuses operations it does not offer, or offered in another namespace', () => {
    rejects(
      () => request(envelope('<mgt:deleteUserProfile/>')),
      'soap.unknown-operation',
      /deleteUserProfile/,
    )
    rejects(
      () =>
        request(envelope('<getUserProfile xmlns="urn:elsewhere"><username>tom</username></getUserProfile>')),
      'soap.unknown-operation',
    )
  })

  it('needs a user name, and only knows the default profile', () => {
    rejects(() => request(envelope('<mgt:getUserProfile/>')), 'request.invalid', /username is required/)
    rejects(
      () =>
        request(
          envelope(
            '<mgt:getUserProfile><mgt:username xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/></mgt:getUserProfile>',
          ),
        ),
      'request.invalid',
    )
    rejects(
      () =>
        request(
          envelope(
            '<mgt:getUserProfile><mgt:username>tom</mgt:username><mgt:profileName>work</mgt:profileName></mgt:getUserProfile>',
          ),
        ),
      'request.invalid',
      /profileName must be "default"/,
    )
    rejects(
      () =>
        request(envelope('<mgt:getUserProfile><mgt:username><b>tom</b></mgt:username></mgt:getUserProfile>')),
      'request.invalid',
      /must be text/,
    )
    rejects(
      () => request(envelope('<mgt:setUserProfile><mgt:username>tom</mgt:username></mgt:setUserProfile>')),
      'request.invalid',
      /profile is required/,
    )
  })

  it('reads field values: empty or nil removes, a repeated claim is refused, profileConfiguration is ignored', () => {
    const set = (fields: string) =>
      request(
        envelope(
          `<mgt:setUserProfile><mgt:username>tom</mgt:username><mgt:profile>${fields}<xsd:profileConfiguration>default</xsd:profileConfiguration></mgt:profile></mgt:setUserProfile>`,
        ),
      )
    const field = (uri: string, value: string) =>
      `<xsd:fieldValues><xsd:claimUri>${uri}</xsd:claimUri>${value}</xsd:fieldValues>`
    assert.deepEqual(
      set(
        field('urn:a', '<xsd:fieldValue>x &amp; y</xsd:fieldValue>') +
          field('urn:b', '<xsd:fieldValue/>') +
          field(
            'urn:c',
            '<xsd:fieldValue xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>',
          ) +
          field('urn:d', '<xsd:displayName>ignored</xsd:displayName>'),
      ),
      {
        operation: 'setUserProfile',
        username: 'tom',
        changes: { 'urn:a': 'x & y', 'urn:b': null, 'urn:c': null, 'urn:d': null },
      },
    )
    rejects(() => set(field('urn:a', '') + field('urn:a', '')), 'request.invalid', /repeats urn:a/)
    rejects(
      () => set('<xsd:fieldValues><xsd:fieldValue>x</xsd:fieldValue></xsd:fieldValues>'),
      'request.invalid',
      /claimUri is required/,
    )
  })

  it('answers a UserProfileDTO whose fields follow the WSDL sequence, every value escaped', () => {
    const body = profileResponse(
      'getUserProfile',
      userProfileFields({ 'urn:z': 'last', 'http://wso2.org/claims/emailaddress': '<a&b>@example.com' }),
    )
    const root = parseXml(writeEnvelope('1.1', body))
    const response = child(child(root, 'Body'), 'getUserProfileResponse')
    assert.equal(response.namespace, MGT_NAMESPACE)
    const dto = child(response, 'return')
    const fields = childrenNamed(dto, 'fieldValues')
    assert.deepEqual(
      fields[0]!.children.map((element) => element.local),
      [
        'checkedAttribute',
        'claimUri',
        'displayName',
        'displayOrder',
        'fieldValue',
        'readOnly',
        'regEx',
        'required',
      ],
    )
    assert.ok(fields[0]!.children.every((element) => element.namespace === TYPES_NAMESPACE))
    assert.deepEqual(
      fields.map((field) => [child(field, 'claimUri').text, child(field, 'fieldValue').text]),
      [
        ['http://wso2.org/claims/emailaddress', '<a&b>@example.com'],
        ['urn:z', 'last'],
      ],
    )
    assert.deepEqual(
      dto.children.slice(fields.length).map((element) => [element.local, element.text]),
      [
        ['profileConfigurations', 'default'],
        ['profileConifuration', 'default'],
        ['profileName', 'default'],
      ],
    )
  })

  it('lists the built-in store fields, the One Time Password read-only', () => {
    const fields = internalStoreFields()
    const otp = fields.find((field) => field.claimUri === 'http://wso2.org/claims/oneTimePassword')
    assert.equal(otp?.readOnly, true)
    assert.ok(fields.every((field) => field.value === null))
    assert.ok(
      fields.some((field) => field.claimUri === 'http://wso2.org/claims/identity/adminForcedPasswordReset'),
    )
  })
})

describe('SOAP faults', () => {
  const read = (text: string) => child(child(parseXml(text), 'Body'), 'Fault')

  it('SOAP 1.1: faultcode, faultstring with each field problem, and the Rekey code in detail', () => {
    const fault = read(
      faultEnvelope(
        '1.1',
        new AppError('request.invalid', {
          detail: 'Invalid claims.',
          errors: [{ pointer: '/claims/x', message: 'must be <short>' }],
        }),
      ),
    )
    assert.equal(child(fault, 'faultcode').text, 'soapenv:Client')
    assert.equal(child(fault, 'faultstring').text, 'Invalid claims. (/claims/x: must be <short>)')
    const error = child(child(fault, 'detail'), 'error')
    assert.equal(error.namespace, REKEY_SOAP_NAMESPACE)
    assert.equal(child(error, 'code').text, 'request.invalid')
    assert.equal(child(error, 'field').attributes.pointer, '/claims/x')
  })

  it('SOAP 1.2: Code/Value, Reason/Text and Detail; server failures are Receiver faults', () => {
    const fault = read(faultEnvelope('1.2', new AppError('internal.error')))
    assert.equal(fault.namespace, SOAP12_NAMESPACE)
    assert.equal(child(child(fault, 'Code'), 'Value').text, 'soapenv:Receiver')
    assert.equal(child(child(fault, 'Reason'), 'Text').text, 'Internal error')
    assert.equal(child(child(child(fault, 'Detail'), 'error'), 'code').text, 'internal.error')
    const sender = read(faultEnvelope('1.2', new AppError('user.not-found')))
    assert.equal(child(child(sender, 'Code'), 'Value').text, 'soapenv:Sender')
  })

  it('version and header faults carry their SOAP fault codes', () => {
    assert.equal(
      child(read(faultEnvelope('1.1', new AppError('soap.version-mismatch'))), 'faultcode').text,
      'soapenv:VersionMismatch',
    )
    assert.equal(
      child(child(read(faultEnvelope('1.2', new AppError('soap.must-understand'))), 'Code'), 'Value').text,
      'soapenv:MustUnderstand',
    )
  })
})

describe('the WSDL', () => {
  const endpoint = 'https://id.example.com/t/example.com/services/UserProfileMgtService'
  const wsdl = parseXml(serviceWsdl(endpoint))
  const WSDL = 'http://schemas.xmlsoap.org/wsdl/'

  it('is well-formed WSDL 1.1 in the service namespace', () => {
    assert.equal(wsdl.namespace, WSDL)
    assert.equal(wsdl.local, 'definitions')
    assert.equal(wsdl.attributes.targetNamespace, MGT_NAMESPACE)
  })

  it('names every implemented operation in the port type and both bindings', () => {
    const portType = child(wsdl, 'portType')
    assert.deepEqual(
      childrenNamed(portType, 'operation').map((operation) => operation.attributes.name),
      [...operationNames],
    )
    const bindings = childrenNamed(wsdl, 'binding')
    assert.deepEqual(
      bindings.map((binding) => binding.children[0]!.namespace),
      ['http://schemas.xmlsoap.org/wsdl/soap/', 'http://schemas.xmlsoap.org/wsdl/soap12/'],
    )
    for (const binding of bindings)
      assert.deepEqual(
        childrenNamed(binding, 'operation').map(
          (operation) => child(operation, 'operation').attributes.soapAction,
        ),
        operationNames.map((name) => `urn:${name}`),
      )
  })

  it('gives the endpoint address to both ports, and declares the reference types', () => {
    const ports = childrenNamed(child(wsdl, 'service'), 'port')
    assert.deepEqual(
      ports.map((port) => port.children[0]!.attributes.location),
      [endpoint, endpoint],
    )
    const schemas = childrenNamed(child(wsdl, 'types'), 'schema')
    const types = schemas.find((schema) => schema.attributes.targetNamespace === TYPES_NAMESPACE)!
    const fieldType = childrenNamed(types, 'complexType').find(
      (type) => type.attributes.name === 'UserFieldDTO',
    )!
    assert.deepEqual(
      child(fieldType, 'sequence').children.map((element) => element.attributes.name),
      [
        'checkedAttribute',
        'claimUri',
        'displayName',
        'displayOrder',
        'fieldValue',
        'readOnly',
        'regEx',
        'required',
      ],
    )
  })

  it('escapes the endpoint it is given', () => {
    const odd = parseXml(serviceWsdl('https://h.example/x?a=1&b="2"'))
    assert.equal(
      child(child(odd, 'service'), 'port').children[0]!.attributes.location,
      'https://h.example/x?a=1&b="2"',
    )
  })
})
