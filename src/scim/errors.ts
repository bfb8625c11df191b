/**
 * SCIM errors (RFC 7644 §3.12). Thrown by every SCIM module and rendered by the SCIM scope's
 * error handler as `urn:ietf:params:scim:api:messages:2.0:Error` with `status` as a string.
 */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'

/** The HTTP status each scimType is sent with (RFC 7644 Table 9), unless a caller overrides it. */
const statusOfType: Record<ScimType, number> = {
  invalidFilter: 400,
  tooMany: 400,
  uniqueness: 409,
  mutability: 400,
  invalidSyntax: 400,
  invalidPath: 400,
  noTarget: 400,
  invalidValue: 400,
  invalidVers: 400,
  sensitive: 403,
}

export class ScimError extends Error {
  readonly status: number
  readonly scimType: ScimType | undefined
  /** Headers the answer carries: `Retry-After` of a 503, `Allow` of a 405. */
  readonly headers: Readonly<Record<string, string>>

  /** `detail` is shown to the caller: say what was wrong and how to fix it, never a secret. */
  constructor(
    scimType: ScimType | undefined,
    detail: string,
    status?: number,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail)
    this.name = 'ScimError'
    this.scimType = scimType
    this.status = status ?? (scimType ? statusOfType[scimType] : 400)
    this.headers = headers
  }
}

export const scimError = {
  invalidFilter: (detail: string) => new ScimError('invalidFilter', detail),
  invalidPath: (detail: string) => new ScimError('invalidPath', detail),
  invalidValue: (detail: string) => new ScimError('invalidValue', detail),
  invalidSyntax: (detail: string) => new ScimError('invalidSyntax', detail),
  mutability: (detail: string) => new ScimError('mutability', detail),
  noTarget: (detail: string) => new ScimError('noTarget', detail),
  uniqueness: (detail: string) => new ScimError('uniqueness', detail),
  tooMany: (detail: string) => new ScimError('tooMany', detail),
  invalidVersion: (detail: string) => new ScimError('invalidVers', detail),
  notFound: (detail: string) => new ScimError(undefined, detail, 404),
  preconditionFailed: (detail: string) => new ScimError(undefined, detail, 412),
  notAcceptable: (detail: string) => new ScimError(undefined, detail, 406),
  unsupportedMediaType: (detail: string) => new ScimError(undefined, detail, 415),
  busy: (detail: string) => new ScimError(undefined, detail, 503, { 'retry-after': '1' }),
  methodNotAllowed: (detail: string, allowed: readonly string[]) =>
    new ScimError(undefined, detail, 405, { allow: allowed.join(', ') }),
}

export function isScimError(value: unknown): value is ScimError {
  return value instanceof ScimError
}
