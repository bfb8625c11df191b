import { MGT_NAMESPACE, operationNames, SERVICE_NAME, TYPES_NAMESPACE } from './profile-messages.ts'
import { escapeXml } from './xml.ts'

const string = (name: string, extra = '') =>
  `<xs:element minOccurs="0" name="${name}" nillable="true" type="xs:string"${extra}/>`

/** Types: the reference service's DTOs, field names and order included (`profileConifuration` is its spelling). */
const typesSchema = `<xs:schema attributeFormDefault="qualified" elementFormDefault="qualified" targetNamespace="${TYPES_NAMESPACE}">
      <xs:complexType name="UserProfileDTO">
        <xs:sequence>
          <xs:element maxOccurs="unbounded" minOccurs="0" name="fieldValues" nillable="true" type="ax:UserFieldDTO"/>
          ${string('profileConfigurations', ' maxOccurs="unbounded"')}
          ${string('profileConifuration')}
          ${string('profileName')}
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="UserFieldDTO">
        <xs:sequence>
          <xs:element minOccurs="0" name="checkedAttribute" type="xs:boolean"/>
          ${string('claimUri')}
          ${string('displayName')}
          <xs:element minOccurs="0" name="displayOrder" type="xs:int"/>
          ${string('fieldValue')}
          <xs:element minOccurs="0" name="readOnly" type="xs:boolean"/>
          ${string('regEx')}
          <xs:element minOccurs="0" name="required" type="xs:boolean"/>
        </xs:sequence>
      </xs:complexType>
    </xs:schema>`

const profileResult = `<xs:complexType><xs:sequence><xs:element minOccurs="0" name="return" nillable="true" type="ax:UserProfileDTO"/></xs:sequence></xs:complexType>`

const elementsSchema = `<xs:schema attributeFormDefault="qualified" elementFormDefault="qualified" targetNamespace="${MGT_NAMESPACE}">
      <xs:import namespace="${TYPES_NAMESPACE}"/>
      <xs:element name="setUserProfile">
        <xs:complexType><xs:sequence>${string('username')}<xs:element minOccurs="0" name="profile" nillable="true" type="ax:UserProfileDTO"/></xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="setUserProfileResponse"><xs:complexType><xs:sequence/></xs:complexType></xs:element>
      <xs:element name="getUserProfile">
        <xs:complexType><xs:sequence>${string('username')}${string('profileName')}</xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="getUserProfileResponse">${profileResult}</xs:element>
      <xs:element name="getProfileFieldsForInternalStore"><xs:complexType><xs:sequence/></xs:complexType></xs:element>
      <xs:element name="getProfileFieldsForInternalStoreResponse">${profileResult}</xs:element>
    </xs:schema>`

const messages = operationNames
  .map(
    (operation) =>
      `<wsdl:message name="${operation}Request"><wsdl:part name="parameters" element="ns:${operation}"/></wsdl:message>
  <wsdl:message name="${operation}Response"><wsdl:part name="parameters" element="ns:${operation}Response"/></wsdl:message>`,
  )
  .join('\n  ')

const portOperations = operationNames
  .map(
    (operation) => `<wsdl:operation name="${operation}">
      <wsdl:input message="ns:${operation}Request" wsaw:Action="urn:${operation}"/>
      <wsdl:output message="ns:${operation}Response" wsaw:Action="urn:${operation}Response"/>
    </wsdl:operation>`,
  )
  .join('\n    ')

function binding(name: string, prefix: 'soap' | 'soap12'): string {
  const operations = operationNames
    .map(
      (operation) => `<wsdl:operation name="${operation}">
      <${prefix}:operation soapAction="urn:${operation}" style="document"/>
      <wsdl:input><${prefix}:body use="literal"/></wsdl:input>
      <wsdl:output><${prefix}:body use="literal"/></wsdl:output>
    </wsdl:operation>`,
    )
    .join('\n    ')
  return `<wsdl:binding name="${name}" type="ns:${SERVICE_NAME}PortType">
    <${prefix}:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>
    ${operations}
  </wsdl:binding>`
}

/**
 * The WSDL 1.1 description of the operations Rekey implements, with SOAP 1.1 and SOAP 1.2
 * bindings at `endpoint`. The endpoint comes from the configured public URL, never from the
 * request's Host header (threat: a poisoned cache handing clients an attacker's address).
 */
export function serviceWsdl(endpoint: string): string {
  const location = escapeXml(endpoint)
  return `<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:ns="${MGT_NAMESPACE}" xmlns:ax="${TYPES_NAMESPACE}" targetNamespace="${MGT_NAMESPACE}">
  <wsdl:documentation>${SERVICE_NAME} (Rekey): read and change a user's claims; setting http://wso2.org/claims/identity/adminForcedPasswordReset to true forces a password reset, false cancels it.</wsdl:documentation>
  <wsdl:types>
    ${typesSchema}
    ${elementsSchema}
  </wsdl:types>
  ${messages}
  <wsdl:portType name="${SERVICE_NAME}PortType">
    ${portOperations}
  </wsdl:portType>
  ${binding(`${SERVICE_NAME}Soap11Binding`, 'soap')}
  ${binding(`${SERVICE_NAME}Soap12Binding`, 'soap12')}
  <wsdl:service name="${SERVICE_NAME}">
    <wsdl:port name="${SERVICE_NAME}Soap11Endpoint" binding="ns:${SERVICE_NAME}Soap11Binding"><soap:address location="${location}"/></wsdl:port>
    <wsdl:port name="${SERVICE_NAME}Soap12Endpoint" binding="ns:${SERVICE_NAME}Soap12Binding"><soap12:address location="${location}"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`
}
