import { comparisonKey } from '../comparison-key.ts'
import { countCodePoints, reverseCodePoints } from './code-points.ts'

/** Names this short appear inside too many honest passwords for a match to mean anything. */
const shortestCheckedName = 3

/**
 * Whether the password contains the user name or the user name reversed, compared in the same
 * case-insensitive form user names are looked up in (so `Alice`, `ALICE` and `ａｌｉｃｅ` are one
 * name). The store domain of `PARTNERS/alice` is ignored: it names a directory, not the person.
 *
 * Threat: a password built from the account's own name is the first guess of anyone who knows
 * the account, and user names are not secret.
 */
export function containsUserName(password: string, userName: string): boolean {
  const name = comparisonKey(withoutStoreDomain(userName).trim())
  if (countCodePoints(name) < shortestCheckedName) return false
  const key = comparisonKey(password)
  return key.includes(name) || key.includes(reverseCodePoints(name))
}

function withoutStoreDomain(userName: string): string {
  const slash = userName.indexOf('/')
  return slash === -1 ? userName : userName.slice(slash + 1)
}
