import { type ErrorCode, errorCatalog } from './codes.ts'

/** Details that are safe to show the caller (never a secret, never an internal path). */
export interface ErrorDetails {
  detail?: string
  /** Field-level problems, for forms and validation answers. */
  errors?: Array<{ pointer: string; message: string; rule?: string }>
  /**
   * A finer, stable reason for clients that branch on it (`reset.pending`), and the reference
   * server's numeric code for the same (17006), for clients written against it.
   */
  reason?: string
  legacyCode?: number
}

/**
 * The one error base. Each surface renders it in its own envelope (problem+json, SCIM error,
 * SOAP fault, form message). `status` and the public title come from the code catalog so a
 * code can never be sent with two different statuses.
 */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly details: ErrorDetails

  constructor(code: ErrorCode, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(details.detail ?? errorCatalog[code].title, options)
    this.name = 'AppError'
    this.code = code
    this.status = errorCatalog[code].status
    this.details = details
  }

  get title(): string {
    return errorCatalog[this.code].title
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError
}
