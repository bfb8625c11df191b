import { STATUS_CODES } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AppError } from '../../errors/app-error.ts'
import { toAppError } from '../problem.ts'

/**
 * The error shape of the staged REST API clients already call: `code` is the HTTP status,
 * `reason` its phrase, `message` what to do. `detail.code` adds Rekey's stable error code
 * for clients that want to branch on it.
 */
export interface SelfServiceErrorBody {
  code: number
  reason: string
  message: string
  detail: { code: string }
}

export function selfServiceErrorBody(error: AppError): SelfServiceErrorBody {
  return {
    code: error.status,
    reason: STATUS_CODES[error.status] ?? 'Error',
    message: error.details.detail ?? error.message,
    detail: { code: error.code },
  }
}

export function selfServiceErrorHandler(thrown: unknown, request: FastifyRequest, reply: FastifyReply) {
  const error = toAppError(thrown)
  if (error.status >= 500) request.log.error({ err: thrown, code: error.code }, 'self-service request failed')
  return reply.code(error.status).type('application/json').send(selfServiceErrorBody(error))
}
