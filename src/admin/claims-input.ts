import { AppError } from '../errors/app-error.ts'

// Claim URIs such as http://wso2.org/claims/emailaddress: any absolute URI without spaces.
const claimUriPattern = /^[a-z][a-z0-9+.-]*:[^\s]{1,250}$/i
const MAX_CLAIMS = 200
const MAX_VALUE_LENGTH = 4096

/** Validates a claims object from any interface; `null` (where allowed) means remove. */
export function validateClaims(claims: Record<string, string | null>, allowRemoval: boolean): void {
  const entries = Object.entries(claims)
  const errors: Array<{ pointer: string; message: string }> = []
  if (entries.length > MAX_CLAIMS)
    errors.push({ pointer: '/claims', message: `at most ${MAX_CLAIMS} claims` })
  for (const [uri, value] of entries) {
    const pointer = `/claims/${uri.replaceAll('~', '~0').replaceAll('/', '~1')}`
    if (!claimUriPattern.test(uri)) errors.push({ pointer, message: 'claim keys must be absolute URIs' })
    if (value === null && !allowRemoval) errors.push({ pointer, message: 'must be a string' })
    if (typeof value === 'string' && value.length > MAX_VALUE_LENGTH) {
      errors.push({ pointer, message: `at most ${MAX_VALUE_LENGTH} characters` })
    }
  }
  if (errors.length > 0) throw new AppError('request.invalid', { detail: 'Invalid claims.', errors })
}
