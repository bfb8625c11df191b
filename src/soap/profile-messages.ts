import { AppError } from '../errors/app-error.ts'
import { XSI_NAMESPACE } from './envelope.ts'
import type { ProfileField } from './profile-fields.ts'
import { childrenNamed, escapeXml, type XmlElement } from './xml.ts'

export const SERVICE_NAME = 'UserProfileMgtService'
/** The reference service's namespaces: operations, and the types (`…/xsd`) of their parameters. */
export const MGT_NAMESPACE = 'http://mgt.profile.user.identity.carbon.wso2.org'
export const TYPES_NAMESPACE = 'http://mgt.profile.user.identity.carbon.wso2.org/xsd'
/** The only profile Rekey keeps; the reference server's default profile name. */
export const DEFAULT_PROFILE = 'default'

export const operationNames = [
  'setUserProfile',
  'getUserProfile',
  'getProfileFieldsForInternalStore',
] as const
export type OperationName = (typeof operationNames)[number]

export type ProfileRequest =
  | {
      operation: 'setUserProfile'
      username: string
      /** Claim URI to new value; null removes the claim (an empty or nil `fieldValue`). */
      changes: Record<string, string | null>
    }
  | { operation: 'getUserProfile'; username: string }
  | { operation: 'getProfileFieldsForInternalStore' }

const invalid = (pointer: string, message: string) =>
  new AppError('request.invalid', { detail: `${pointer} ${message}.`, errors: [{ pointer, message }] })

const isNil = (element: XmlElement) => {
  const nil = element.attributes[`{${XSI_NAMESPACE}}nil`]
  return nil === 'true' || nil === '1'
}

/** The text of a simple element; null when absent, nil or empty. */
function textOf(parent: XmlElement, local: string, pointer: string): string | null {
  const found = childrenNamed(parent, local)
  if (found.length > 1) throw invalid(`${pointer}/${local}`, 'appears more than once')
  const element = found[0]
  if (!element || isNil(element)) return null
  if (element.children.length > 0) throw invalid(`${pointer}/${local}`, 'must be text, not elements')
  return element.text === '' ? null : element.text
}

function requireUsername(operation: XmlElement, pointer: string): string {
  const username = textOf(operation, 'username', pointer)
  if (username === null) throw invalid(`${pointer}/username`, 'is required')
  return username
}

/** Only the default profile exists; a client naming another gets a clear refusal. */
function checkProfileName(parent: XmlElement, pointer: string): void {
  const name = textOf(parent, 'profileName', pointer)
  if (name !== null && name !== DEFAULT_PROFILE)
    throw invalid(`${pointer}/profileName`, `must be "${DEFAULT_PROFILE}", the only profile Rekey keeps`)
}

function readChanges(profile: XmlElement, pointer: string): Record<string, string | null> {
  const changes: Record<string, string | null> = {}
  childrenNamed(profile, 'fieldValues').forEach((field, index) => {
    const at = `${pointer}/fieldValues/${index}`
    const claimUri = textOf(field, 'claimUri', at)
    if (claimUri === null) throw invalid(`${at}/claimUri`, 'is required')
    if (Object.hasOwn(changes, claimUri)) throw invalid(`${at}/claimUri`, `repeats ${claimUri}`)
    changes[claimUri] = textOf(field, 'fieldValue', at)
  })
  return changes
}

/**
 * The request an operation element carries, read by local names as the reference WSDL
 * declares them (`username`, `profile` with `fieldValues` of `claimUri` / `fieldValue`, and
 * `profileName`). The operation element itself must be in the service's namespace.
 */
export function readProfileRequest(operation: XmlElement): ProfileRequest {
  const name = operationNames.find((known) => known === operation.local)
  if (!name || operation.namespace !== MGT_NAMESPACE)
    throw new AppError('soap.unknown-operation', {
      detail: `{${operation.namespace}}${operation.local} is not an operation of ${SERVICE_NAME}; it offers ${operationNames.join(', ')} in ${MGT_NAMESPACE}.`,
    })
  const pointer = `/${name}`
  if (name === 'getProfileFieldsForInternalStore') return { operation: name }
  const username = requireUsername(operation, pointer)
  if (name === 'getUserProfile') {
    checkProfileName(operation, pointer)
    return { operation: name, username }
  }
  const profiles = childrenNamed(operation, 'profile')
  if (profiles.length !== 1 || isNil(profiles[0]!)) throw invalid(`${pointer}/profile`, 'is required, once')
  const profile = profiles[0]!
  checkProfileName(profile, `${pointer}/profile`)
  return { operation: name, username, changes: readChanges(profile, `${pointer}/profile`) }
}

const element = (name: string, value: string | null) =>
  value === null ? `<ax:${name} xsi:nil="true"/>` : `<ax:${name}>${escapeXml(value)}</ax:${name}>`

/** A `UserFieldDTO`, its elements in the order the reference WSDL's sequence declares them. */
function fieldXml(field: ProfileField): string {
  return [
    '<ax:fieldValues xsi:type="ax:UserFieldDTO">',
    element('checkedAttribute', 'false'),
    element('claimUri', field.claimUri),
    element('displayName', field.displayName),
    element('displayOrder', String(field.displayOrder)),
    element('fieldValue', field.value),
    element('readOnly', String(field.readOnly)),
    element('regEx', null),
    element('required', String(field.required)),
    '</ax:fieldValues>',
  ].join('')
}

/** The answer of getUserProfile and getProfileFieldsForInternalStore: one `UserProfileDTO`. */
export function profileResponse(
  operation: 'getUserProfile' | 'getProfileFieldsForInternalStore',
  fields: readonly ProfileField[],
): string {
  return [
    `<ns:${operation}Response xmlns:ns="${MGT_NAMESPACE}" xmlns:ax="${TYPES_NAMESPACE}" xmlns:xsi="${XSI_NAMESPACE}">`,
    '<ns:return xsi:type="ax:UserProfileDTO">',
    ...fields.map(fieldXml),
    element('profileConfigurations', DEFAULT_PROFILE),
    element('profileConifuration', DEFAULT_PROFILE),
    element('profileName', DEFAULT_PROFILE),
    `</ns:return></ns:${operation}Response>`,
  ].join('')
}

/** setUserProfile answers with an empty response element once the change is committed. */
export function setProfileResponse(): string {
  return `<ns:setUserProfileResponse xmlns:ns="${MGT_NAMESPACE}"/>`
}
