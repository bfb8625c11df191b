import { comparisonKey } from '../comparison-key.ts'
import { commonPasswordKeys } from './common-password-list.ts'

/**
 * The longest trailing run of digits, punctuation, symbols or spaces treated as decoration.
 * Cracking rules append runs like `1`, `123`, `!`, `2024!` or `123456` to every list word, so
 * `Password123!` falls as fast as `password`; a longer run adds real guessing work and is left.
 */
const longestDecoration = 6

const decoration = /^[\p{N}\p{P}\p{S}\s]$/u

/**
 * Whether the password is on the common-password list, compared case-insensitively as a whole
 * and again without a short trailing decoration.
 *
 * Threat: online guessing and credential stuffing try the most common passwords first, and an
 * offline attacker with a leaked hash tries them before anything else.
 *
 * Only the whole password (decorated or not) is looked up, never its parts: a long passphrase
 * such as `purple dragon eats tulips` is not refused for containing a listed word, since guessing
 * it means guessing every word and the order.
 */
export function isCommonPassword(password: string): boolean {
  const list = commonPasswordKeys()
  const key = comparisonKey(password)
  if (list.has(key)) return true
  const base = withoutDecoration(key)
  return base !== undefined && list.has(base)
}

/** The key without its trailing decoration, or undefined when there is none to strip or it is too long. */
function withoutDecoration(key: string): string | undefined {
  let start = key.length
  let run = 0
  while (start > 0) {
    const previous = codePointBefore(key, start)
    if (!decoration.test(previous)) break
    start -= previous.length
    if (++run > longestDecoration) return undefined
  }
  return start === key.length || start === 0 ? undefined : key.slice(0, start)
}

function codePointBefore(value: string, end: number): string {
  const low = value.charCodeAt(end - 1)
  const high = end >= 2 ? value.charCodeAt(end - 2) : 0
  const pair = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff
  return value.slice(pair ? end - 2 : end - 1, end)
}

/**
 * Loads the list now rather than at the first password change (a few hundred milliseconds of
 * blocked event loop), and fails at start-up rather than mid-request if the package is missing.
 * Answers the number of distinct entries.
 */
export function preloadCommonPasswords(): number {
  return commonPasswordKeys().size
}
