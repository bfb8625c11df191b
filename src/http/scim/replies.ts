import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../config/schema.ts'
import { publicUrl } from '../../config/semantics.ts'
import { DEFAULT_TENANT } from '../../domain/tenant.ts'
import { tenantOf } from '../admin-auth-hook.ts'
import { scimAnswerType } from './media-type.ts'

/**
 * The SCIM base URL of the request's tenant. Built from configuration, never from the Host
 * header (threat: a forged Host poisoning `Location` and `meta.location`).
 */
export function scimBaseUrl(config: Config, request: FastifyRequest): string {
  const tenant = tenantOf(request)
  const prefix = tenant.domain === DEFAULT_TENANT ? '' : `/t/${tenant.domain}`
  return `${publicUrl(config)}${prefix}/scim2`
}

export function sendScim(
  reply: FastifyReply,
  status: number,
  body: unknown,
  headers: { etag?: string | undefined; location?: string | undefined } = {},
) {
  if (headers.etag) reply.header('etag', headers.etag)
  if (headers.location) reply.header('location', headers.location)
  return reply.code(status).type(scimAnswerType(reply.request)).send(body)
}
