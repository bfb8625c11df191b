import type { AppError } from '../../../errors/app-error.ts'
import {
  EMAIL_CLAIM,
  FORCED_RESET_CLAIM,
  GIVEN_NAME_CLAIM,
  LAST_NAME_CLAIM,
  ONE_TIME_PASSWORD_CLAIM,
  PENDING_MODE_CLAIM,
} from '../../../flows/forced-reset/reset-policy.ts'
import type { ResetMode } from '../../../persistence/tables.ts'
import { formField } from '../../pages/kit.ts'
import { type ConsoleErrors, consoleErrorsOf } from '../form-errors.ts'

export const TELEPHONE_CLAIM = 'http://wso2.org/claims/telephone'

/** The claims every user form offers by name, in this order. */
export const commonClaims: ReadonlyArray<{ uri: string; id: string; label: string; type: string }> = [
  { uri: EMAIL_CLAIM, id: 'email', label: 'Email address', type: 'email' },
  { uri: GIVEN_NAME_CLAIM, id: 'given-name', label: 'Given name', type: 'text' },
  { uri: LAST_NAME_CLAIM, id: 'last-name', label: 'Last name', type: 'text' },
  { uri: TELEPHONE_CLAIM, id: 'telephone', label: 'Telephone', type: 'tel' },
]

/**
 * Claims that carry the reset's state: the server writes them, and the reset panel shows them.
 * They stay out of the claims editor, so saving a profile never starts, cancels or fakes a reset.
 */
export const resetStateClaims: ReadonlySet<string> = new Set([
  FORCED_RESET_CLAIM,
  PENDING_MODE_CLAIM,
  ONE_TIME_PASSWORD_CLAIM,
])

export const resetModes: ReadonlyArray<{ value: ResetMode; label: string }> = [
  { value: 'email-link', label: 'Email a reset link' },
  { value: 'email-otp', label: 'Email a one-time password' },
  { value: 'offline-otp', label: 'Offline one-time password (read it here and hand it over)' },
]

export function isResetMode(value: string): value is ResetMode {
  return resetModes.some((mode) => mode.value === value)
}

/** Longest claim value the use cases accept; one more character is read so a longer one is refused, not cut. */
export const MAX_CLAIM_VALUE = 4096

/** A form field as trimmed text (absent or repeated: empty). */
export function textField(body: unknown, name: string, maxLength = 4096): string {
  return formField(body, name, maxLength).trim()
}

/** Every text value of a repeated field (checkboxes), at most `maxCount` of them. */
export function formValues(body: unknown, name: string, maxCount = 100, maxLength = 255): string[] {
  const raw = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]
  return list
    .filter((value): value is string => typeof value === 'string' && value.length <= maxLength)
    .slice(0, maxCount)
}

/** The claim URI a use case's JSON pointer (`/claims/…`, escaped or not) names. */
export function claimOfPointer(pointer: string): string | undefined {
  if (!pointer.startsWith('/claims/')) return undefined
  return pointer.slice('/claims/'.length).replaceAll('~1', '/').replaceAll('~0', '~')
}

/**
 * A use case's refusal of a user form, placed by the fields: `fieldOfClaim` finds the field
 * that edits a claim; `/username` and `/password` go to the fields named here.
 */
export function userFormErrors(
  error: AppError,
  fields: { username?: string; password?: string; fieldOfClaim: (uri: string) => string | undefined },
): ConsoleErrors {
  if (error.code === 'user.exists' && fields.username) {
    const text = error.details.detail ?? error.title
    return { summary: [{ field: fields.username, text }], fields: { [fields.username]: text } }
  }
  // Each failed rule once, as a sentence by the field (the error's own detail repeats them all).
  if (error.code === 'password.weak' && fields.password && error.details.errors?.length) {
    const messages = error.details.errors.map((problem) => problem.message)
    return {
      summary: messages.map((message) => ({ field: fields.password, text: `The password ${message}.` })),
      fields: { [fields.password]: `The password ${messages.join(' and ')}.` },
    }
  }
  return consoleErrorsOf(error, (pointer) => {
    if (pointer === '/username') return fields.username
    if (pointer === '/password') return fields.password
    const uri = claimOfPointer(pointer)
    return uri === undefined ? undefined : fields.fieldOfClaim(uri)
  })
}
