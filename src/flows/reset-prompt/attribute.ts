/** The claim dialect a bare attribute name belongs to, as in the reference server. */
const CLAIM_DIALECT = 'http://wso2.org/claims/'

/**
 * The claim an attribute name stands for: `resetPassword` is
 * `http://wso2.org/claims/resetPassword`; a name that is already an absolute URI (it has a
 * scheme) is used as is, so any claim can drive the prompt.
 */
export function claimUriOf(attribute: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(attribute) ? attribute : `${CLAIM_DIALECT}${attribute}`
}

/** Attribute values are strings in every source; only `true` (any letter case) asks for the prompt. */
export function isTrueAttribute(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true'
}
