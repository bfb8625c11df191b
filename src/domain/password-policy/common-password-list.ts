import { createRequire } from 'node:module'
import { comparisonKey } from '../comparison-key.ts'

/*
 * The common-password list is data shipped in the zxcvbn package (MIT, no dependencies, no
 * install scripts): the frequency lists behind its strength estimator, ~94,000 distinct
 * entries (see docs/decisions/0012-common-password-list.md). zxcvbn removes a word from its
 * `passwords` list when it ranks higher in another list (so `michael` is only among the names),
 * which is why all its lists are taken together.
 *
 * Loading it is the one thing in this module that reaches outside memory: ~0.8 MB of package
 * data, read and indexed once, on first use, so a process that never checks a password never
 * pays for it.
 */

let keys: ReadonlySet<string> | undefined

/** Refuses to start checking with a list that is clearly not the one this module was written for. */
const fewestExpectedEntries = 10_000

export function commonPasswordKeys(): ReadonlySet<string> {
  keys ??= loadKeys()
  return keys
}

function loadKeys(): ReadonlySet<string> {
  const require = createRequire(import.meta.url)
  const lists: unknown = require('zxcvbn/lib/frequency_lists.js')
  if (typeof lists !== 'object' || lists === null) throw new Error('zxcvbn frequency lists: not an object')
  const result = new Set<string>()
  for (const list of Object.values(lists)) {
    if (!Array.isArray(list)) throw new Error('zxcvbn frequency lists: a list is not an array')
    for (const entry of list) if (typeof entry === 'string' && entry !== '') result.add(comparisonKey(entry))
  }
  if (result.size < fewestExpectedEntries) {
    throw new Error(
      `zxcvbn frequency lists: only ${result.size} entries, expected at least ${fewestExpectedEntries}`,
    )
  }
  return result
}
