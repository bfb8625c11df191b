import {
  FORCED_RESET_CLAIM,
  ONE_TIME_PASSWORD_CLAIM,
  PENDING_MODE_CLAIM,
} from '../flows/forced-reset/reset-policy.ts'

/** Claims only the server writes (the reset service refuses them): shown as read-only fields. */
const readOnlyClaims: ReadonlySet<string> = new Set([ONE_TIME_PASSWORD_CLAIM, PENDING_MODE_CLAIM])

/** One `UserFieldDTO`: a claim of a profile as the reference service describes it. */
export interface ProfileField {
  claimUri: string
  /** Null when the user has no value (and in the field list, which carries none). */
  value: string | null
  displayName: string
  displayOrder: number
  readOnly: boolean
  required: boolean
}

/**
 * The claims offered by `getProfileFieldsForInternalStore`, in display order. Rekey stores any
 * claim URI; these are the ones the reference profile shows by default, plus the two the
 * forced reset uses.
 */
const knownClaims: ReadonlyArray<readonly [uri: string, displayName: string]> = [
  ['http://wso2.org/claims/givenname', 'First Name'],
  ['http://wso2.org/claims/lastname', 'Last Name'],
  ['http://wso2.org/claims/emailaddress', 'Email'],
  ['http://wso2.org/claims/organization', 'Organization'],
  ['http://wso2.org/claims/country', 'Country'],
  ['http://wso2.org/claims/telephone', 'Telephone'],
  ['http://wso2.org/claims/mobile', 'Mobile'],
  ['http://wso2.org/claims/locale', 'Locale'],
  [FORCED_RESET_CLAIM, 'Force Password Reset'],
  [ONE_TIME_PASSWORD_CLAIM, 'One Time Password'],
]

const displayNames = new Map(knownClaims)
const displayOrders = new Map(knownClaims.map(([uri], index) => [uri, index + 1]))

function field(claimUri: string, value: string | null): ProfileField {
  return {
    claimUri,
    value,
    displayName: displayNames.get(claimUri) ?? claimUri.split(/[/#:]/).pop() ?? claimUri,
    displayOrder: displayOrders.get(claimUri) ?? knownClaims.length + 1,
    readOnly: readOnlyClaims.has(claimUri),
    required: false,
  }
}

/** The field list of the built-in store: every known claim, without values. */
export function internalStoreFields(): ProfileField[] {
  return knownClaims.map(([uri]) => field(uri, null))
}

/** A user's claims as profile fields: known claims in display order, then the others by URI. */
export function userProfileFields(claims: Readonly<Record<string, string>>): ProfileField[] {
  return Object.entries(claims)
    .map(([uri, value]) => field(uri, value))
    .sort((a, b) => a.displayOrder - b.displayOrder || (a.claimUri < b.claimUri ? -1 : 1))
}
