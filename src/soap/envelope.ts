import { AppError } from '../errors/app-error.ts'
import { childrenNamed, parseXml, type XmlElement, XmlRefused } from './xml.ts'

export type SoapVersion = '1.1' | '1.2'

export const SOAP11_NAMESPACE = 'http://schemas.xmlsoap.org/soap/envelope/'
export const SOAP12_NAMESPACE = 'http://www.w3.org/2003/05/soap-envelope'
export const XSI_NAMESPACE = 'http://www.w3.org/2001/XMLSchema-instance'

export const envelopeNamespace: Record<SoapVersion, string> = {
  '1.1': SOAP11_NAMESPACE,
  '1.2': SOAP12_NAMESPACE,
}
export const soapContentType: Record<SoapVersion, string> = {
  '1.1': 'text/xml; charset=utf-8',
  '1.2': 'application/soap+xml; charset=utf-8',
}

/** The version a fault should use before the envelope could be read: from the content type. */
export function versionOfContentType(contentType: string | undefined): SoapVersion {
  return /^\s*application\/soap\+xml/i.test(contentType ?? '') ? '1.2' : '1.1'
}

export interface SoapEnvelope {
  version: SoapVersion
  root: XmlElement
}

const isTrue = (value: string | undefined) => value === '1' || value === 'true'

/**
 * Reads a SOAP 1.1 or 1.2 envelope; the version is the envelope's namespace. A refusal here
 * is answered in the content type's version, since the envelope's could not be read.
 */
export function parseEnvelope(text: string): SoapEnvelope {
  let root: XmlElement
  try {
    root = parseXml(text)
  } catch (error) {
    if (error instanceof XmlRefused) throw new AppError('request.malformed-xml', { detail: error.message })
    throw error
  }
  if (root.local !== 'Envelope')
    throw new AppError('request.malformed-xml', { detail: 'The document is not a SOAP Envelope.' })
  const version =
    root.namespace === SOAP11_NAMESPACE ? '1.1' : root.namespace === SOAP12_NAMESPACE ? '1.2' : undefined
  if (!version)
    throw new AppError('soap.version-mismatch', {
      detail: `The Envelope namespace "${root.namespace}" is neither SOAP 1.1 nor SOAP 1.2.`,
    })
  return { version, root }
}

/** The one element of the Body: the operation and its parameters. */
export function operationOf({ version, root }: SoapEnvelope): XmlElement {
  const namespace = envelopeNamespace[version]
  const header = root.children.find((part) => part.namespace === namespace && part.local === 'Header')
  // Threat: a header the sender marked as essential (a security token, a transaction) silently
  // ignored; SOAP requires refusing what is not understood, and Rekey understands no header.
  for (const block of header?.children ?? []) {
    if (isTrue(block.attributes[`{${namespace}}mustUnderstand`]))
      throw new AppError('soap.must-understand', {
        detail: `The header {${block.namespace}}${block.local} is not understood here.`,
      })
  }
  const bodies = childrenNamed(root, 'Body').filter((body) => body.namespace === namespace)
  if (bodies.length !== 1)
    throw new AppError('request.malformed-xml', { detail: 'The Envelope needs exactly one Body.' })
  const [operation, ...extra] = bodies[0]!.children
  if (!operation || extra.length > 0)
    throw new AppError('request.malformed-xml', {
      detail: 'The Body must hold exactly one operation element.',
    })
  return operation
}

/** The envelope of an answer; `body` is already serialized (and escaped) XML. */
export function writeEnvelope(version: SoapVersion, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${envelopeNamespace[version]}"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`
}

/**
 * The operation a SOAPAction (1.1 header, 1.2 `action` content-type parameter) names, or
 * undefined when none is given. `urn:getUserProfile`, `"getUserProfile"` and
 * `http://…/getUserProfile` all name getUserProfile.
 */
export function actionOperation(
  version: SoapVersion,
  soapAction: string | undefined,
  contentType: string | undefined,
) {
  const raw =
    version === '1.1' ? soapAction : /;\s*action\s*=\s*("[^"]*"|[^;\s]*)/i.exec(contentType ?? '')?.[1]
  const action = raw?.trim().replace(/^"(.*)"$/, '$1') ?? ''
  if (action === '') return undefined
  return action.split(/[:/#]/).pop()
}
