import type { FastifyRequest } from 'fastify'
import { scimError } from '../../scim/errors.ts'

const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8'
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'

/** One media range of an Accept header with its weight (RFC 9110 §12.5.1). */
interface Range {
  type: string
  weight: number
}

function rangesOf(accept: string): Range[] {
  return accept.split(',').map((part) => {
    const [type = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase())
    const q = parameters.find((parameter) => parameter.startsWith('q='))
    const weight = q === undefined ? 1 : Number(q.slice(2))
    return { type, weight: Number.isFinite(weight) ? weight : 0 }
  })
}

/** The weight an Accept header gives a media type: its most specific matching range decides. */
function weightOf(ranges: readonly Range[], type: string): number {
  const [major] = type.split('/')
  const exact = ranges.find((range) => range.type === type)
  if (exact) return exact.weight
  const family = ranges.find((range) => range.type === `${major}/*`)
  if (family) return family.weight
  return ranges.find((range) => range.type === '*/*')?.weight ?? 0
}

/**
 * The content type of a SCIM answer (RFC 7644 §3.1, §3.8): `application/scim+json`, unless the
 * client's Accept prefers `application/json`; undefined when it accepts neither.
 */
export function scimResponseType(request: FastifyRequest): string | undefined {
  const accept = request.headers.accept
  // The common cases without parsing: no header, anything, or the SCIM type alone.
  if (accept === undefined || accept === '' || accept === '*/*' || accept === 'application/scim+json')
    return SCIM_CONTENT_TYPE
  const ranges = rangesOf(accept)
  const scim = weightOf(ranges, 'application/scim+json')
  const json = weightOf(ranges, 'application/json')
  if (scim <= 0 && json <= 0) return undefined
  return json > scim ? JSON_CONTENT_TYPE : SCIM_CONTENT_TYPE
}

/** The content type an answer goes with: SCIM JSON where the client accepts neither (a 406's). */
export function scimAnswerType(request: FastifyRequest): string {
  return scimResponseType(request) ?? SCIM_CONTENT_TYPE
}

/**
 * Refuses, before any work, a request whose Accept rules out both JSON types: 406, with the
 * error itself in SCIM JSON, as RFC 9110 §15.5.7 allows.
 */
export function requireAcceptableResponse(request: FastifyRequest): void {
  if (scimResponseType(request) === undefined)
    throw scimError.notAcceptable(
      'SCIM answers are application/scim+json or application/json: send an Accept header that allows one of them.',
    )
}
