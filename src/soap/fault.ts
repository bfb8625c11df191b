import type { AppError } from '../errors/app-error.ts'
import { type SoapVersion, writeEnvelope } from './envelope.ts'
import { escapeXml } from './xml.ts'

/** Namespace of the fault detail: Rekey's stable error code and field problems. */
export const REKEY_SOAP_NAMESPACE = 'urn:rekey:soap'

type FaultKind = 'client' | 'server' | 'version' | 'must-understand'

const faultCodes: Record<SoapVersion, Record<FaultKind, string>> = {
  '1.1': {
    client: 'Client',
    server: 'Server',
    version: 'VersionMismatch',
    'must-understand': 'MustUnderstand',
  },
  '1.2': {
    client: 'Sender',
    server: 'Receiver',
    version: 'VersionMismatch',
    'must-understand': 'MustUnderstand',
  },
}

function kindOf(error: AppError): FaultKind {
  if (error.code === 'soap.version-mismatch') return 'version'
  if (error.code === 'soap.must-understand') return 'must-understand'
  return error.status >= 500 ? 'server' : 'client'
}

/** The human-readable reason: the detail (or title), with each field problem named. */
export function faultReason(error: AppError): string {
  const reason = error.details.detail ?? error.title
  const fields = error.details.errors?.map((field) => `${field.pointer}: ${field.message}`).join('; ')
  return fields ? `${reason} (${fields})` : reason
}

function detailXml(error: AppError): string {
  const fields = (error.details.errors ?? [])
    .map(
      (field) =>
        `<rekey:field pointer="${escapeXml(field.pointer)}">${escapeXml(field.message)}</rekey:field>`,
    )
    .join('')
  const legacy = error.details.legacyCode
    ? `<rekey:legacyCode>${error.details.legacyCode}</rekey:legacyCode>`
    : ''
  return `<rekey:error xmlns:rekey="${REKEY_SOAP_NAMESPACE}"><rekey:code>${escapeXml(error.code)}</rekey:code><rekey:title>${escapeXml(error.title)}</rekey:title>${legacy}${fields}</rekey:error>`
}

/**
 * A fault envelope for an error, in the given SOAP version. The HTTP status is the error's own
 * (400 for a client's mistake, 401, 403, 404 …); only a server failure is 5xx.
 */
export function faultEnvelope(version: SoapVersion, error: AppError): string {
  const code = `soapenv:${faultCodes[version][kindOf(error)]}`
  const reason = escapeXml(faultReason(error))
  const fault =
    version === '1.1'
      ? `<soapenv:Fault><faultcode>${code}</faultcode><faultstring>${reason}</faultstring><detail>${detailXml(error)}</detail></soapenv:Fault>`
      : `<soapenv:Fault><soapenv:Code><soapenv:Value>${code}</soapenv:Value></soapenv:Code><soapenv:Reason><soapenv:Text xml:lang="en">${reason}</soapenv:Text></soapenv:Reason><soapenv:Detail>${detailXml(error)}</soapenv:Detail></soapenv:Fault>`
  return writeEnvelope(version, fault)
}
