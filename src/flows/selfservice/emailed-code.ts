import { createHmac } from 'node:crypto'
import type { Config } from '../../config/schema.ts'
import { publicUrl } from '../../config/semantics.ts'
import { DEFAULT_TENANT } from '../../domain/tenant.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { generateOtp, normalizeOtp, sameHmac } from '../../security/one-time-secrets.ts'

/**
 * The code a self-service flow emails. Only its keyed hash travels, inside the encrypted
 * token, bound to the flow: a code is worth nothing in another flow. Letters and digits
 * without look-alikes, typed case-insensitively, spaces and dashes ignored.
 */
export function newCode(length: number): string {
  return generateOtp(length, 'upper-alnum')
}

export function codeHash(secretKey: Buffer, flowId: string, code: string): string {
  return createHmac('sha256', secretKey)
    .update(`selfservice-code\0${flowId}\0${normalizeOtp(code, 'upper-alnum')}`)
    .digest('hex')
}

/** Constant-time comparison of a typed code with the flow's hash. */
export function codeMatches(secretKey: Buffer, flowId: string, typed: string, expected: string): boolean {
  return sameHmac(codeHash(secretKey, flowId, typed), expected)
}

/** The page that continues the flow with the code filled in: the mail's alternative to typing it. */
export function codeLinkOf(config: Config, tenant: TenantRow, token: string, code: string): string {
  const prefix = tenant.domain === DEFAULT_TENANT ? '' : `/t/${tenant.domain}`
  const query = `token=${encodeURIComponent(token)}&code=${encodeURIComponent(code)}`
  return `${publicUrl(config)}${prefix}/forgot-password/code?${query}`
}
