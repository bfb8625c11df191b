import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ErrorCode } from '../../errors/codes.ts'
import { isScimError, ScimError, type ScimType } from '../../scim/errors.ts'
import { toAppError } from '../problem.ts'
import { scimAnswerType } from './media-type.ts'

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error'

/** The scimType of each Rekey error that SCIM callers can cause; the status comes from the catalog. */
const scimTypeOf: Partial<Record<ErrorCode, ScimType>> = {
  'user.exists': 'uniqueness',
  'role.exists': 'uniqueness',
  'user.invalid-name': 'invalidValue',
  'role.invalid-name': 'invalidValue',
  'userstore.not-found': 'invalidValue',
  'request.invalid': 'invalidValue',
  'password.weak': 'invalidValue',
  'password.unsupported-hash': 'invalidValue',
  'request.malformed-json': 'invalidSyntax',
}

export interface ScimErrorBody {
  schemas: [typeof ERROR_SCHEMA]
  status: string
  scimType?: ScimType
  detail: string
}

export function scimErrorBody(error: ScimError): ScimErrorBody {
  return {
    schemas: [ERROR_SCHEMA],
    status: String(error.status),
    ...(error.scimType ? { scimType: error.scimType } : {}),
    detail: error.message,
  }
}

/** Anything thrown, as a SCIM error; unexpected failures become a 500 without internals. */
export function asScimError(error: unknown): { error: ScimError; unexpected: boolean } {
  if (isScimError(error)) return { error, unexpected: false }
  const appError = toAppError(error)
  const detail = appError.details.detail ?? appError.title
  const fields = appError.details.errors?.map((field) => `${field.pointer}: ${field.message}`).join('; ')
  const scimType = scimTypeOf[appError.code]
  // A scimType fixes the status (RFC 7644 Table 9): an unknown user store domain in `userName`
  // is a 400 invalidValue, not the admin API's 404.
  const converted = new ScimError(
    scimType,
    fields ? `${detail} (${fields})` : detail,
    scimType ? undefined : appError.status,
  )
  return { error: converted, unexpected: appError.status >= 500 }
}

/** The SCIM scope's error handler: RFC 7644 §3.12 bodies, `status` as a string. */
export function scimErrorHandler(thrown: unknown, request: FastifyRequest, reply: FastifyReply) {
  const { error, unexpected } = asScimError(thrown)
  if (unexpected) request.log.error({ err: thrown }, 'SCIM request failed')
  // Both schemes ServiceProviderConfig lists, bearer tokens first as there (RFC 7235 §4.1,
  // RFC 6750 §3): a client learns from the challenge what it may answer with.
  reply.headers(error.headers)
  if (error.status === 401)
    reply.header('www-authenticate', ['Bearer realm="Rekey"', 'Basic realm="Rekey", charset="UTF-8"'])
  return reply.code(error.status).type(scimAnswerType(request)).send(scimErrorBody(error))
}
