import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import Type from 'typebox'
import { AppError, type ErrorDetails } from '../errors/app-error.ts'
import { type ErrorCode, errorCatalog } from '../errors/codes.ts'
import { isStoreUnavailable } from '../persistence/store-errors.ts'

export const problemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({ pointer: Type.String(), message: Type.String(), rule: Type.Optional(Type.String()) }),
      ),
    ),
    reason: Type.Optional(Type.String()),
    legacyCode: Type.Optional(Type.Integer()),
  },
  { description: 'RFC 9457 problem details with a stable `code`' },
)

export interface ProblemBody {
  type: string
  title: string
  status: number
  code: string
  detail?: string
  instance?: string
  errors?: ErrorDetails['errors']
  reason?: string
  legacyCode?: number
}

export function problemBody(code: ErrorCode, details: ErrorDetails, instance?: string): ProblemBody {
  const { status, title } = errorCatalog[code]
  return {
    type: `urn:rekey:problem:${code}`,
    title,
    status,
    code,
    ...(details.detail && details.detail !== title ? { detail: details.detail } : {}),
    ...(instance ? { instance } : {}),
    ...(details.errors ? { errors: details.errors } : {}),
    ...(details.reason ? { reason: details.reason } : {}),
    ...(details.legacyCode ? { legacyCode: details.legacyCode } : {}),
  }
}

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'request.malformed-json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'request.malformed-json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'request.too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'request.unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'request.invalid',
  FST_ERR_BAD_URL: 'request.malformed-url',
  FST_ERR_MAX_PARAM_LENGTH: 'request.uri-too-long',
}

/** Maps anything thrown to an AppError; unknown errors become `internal.error`. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error
  const fastifyError = error as FastifyError & {
    validation?: Array<{ instancePath: string; message?: string; params?: Record<string, unknown> }>
  }
  if (fastifyError?.validation) {
    const context = (fastifyError as { validationContext?: string }).validationContext ?? 'body'
    return new AppError('request.invalid', {
      detail: `The ${context === 'querystring' ? 'query string' : context} does not match the expected schema.`,
      errors: fastifyError.validation.map((issue) => {
        const extra = issue.params?.additionalProperty ?? issue.params?.missingProperty
        const pointer = `/${context}${issue.instancePath}${extra ? `/${String(extra)}` : ''}`
        return { pointer, message: issue.message ?? 'invalid' }
      }),
    })
  }
  if (fastifyError?.code && fastifyCodes[fastifyError.code])
    return new AppError(fastifyCodes[fastifyError.code]!)
  if (error instanceof SyntaxError && (fastifyError as { statusCode?: number }).statusCode === 400) {
    return new AppError('request.malformed-json')
  }
  if (fastifyError?.statusCode === 429) return new AppError('auth.rate-limited')
  if (isStoreUnavailable(error)) return new AppError('store.unavailable', {}, { cause: error })
  if (fastifyError?.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    if (fastifyError.statusCode === 413) return new AppError('request.too-large')
    if (fastifyError.statusCode === 415) return new AppError('request.unsupported-media-type')
    return new AppError('request.invalid', { detail: fastifyError.message })
  }
  return new AppError('internal.error', {}, { cause: error })
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  if (
    error.status === 401 &&
    (request.headers.authorization === undefined || /^basic /i.test(request.headers.authorization))
  ) {
    reply.header('www-authenticate', 'Basic realm="Rekey", charset="UTF-8"')
  }
  return reply
    .code(error.status)
    .type('application/problem+json')
    .send(problemBody(error.code, error.details, request.url.split('?')[0]))
}

/** The root error handler: one envelope for every JSON surface, and a log line for 5xx only. */
export function problemErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const appError = toAppError(error)
  if (appError.status >= 500) request.log.error({ err: error, code: appError.code }, 'request failed')
  return sendProblem(request, reply, appError)
}
