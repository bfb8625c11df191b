/**
 * A bound on the work one PATCH request may cause. Every operation on a multi-valued
 * attribute passes over all of its elements, a request may hold 1000 operations, and a group
 * may have tens of thousands of members, so without a bound one small request could keep a
 * core busy for minutes. The threat is cost; the answer beyond the bound is tooMany, which
 * RFC 7644 gives for "more than the server is willing to process".
 */
import { scimError } from '../errors.ts'

/**
 * A unit is roughly the time to pass over one element, about a tenth of a microsecond, so
 * the bound is about two seconds of work at worst. Real clients stay below it: a hundred
 * `members[value eq "…"]` removals from a group of 70,000 cost 14 million.
 */
export const MAX_PATCH_WORK = 20_000_000

/** Relative costs, measured on lists of 70,000 members. */
export const COST = {
  /** Passing over one element: selecting, removing, comparing with an added one. */
  visit: 1,
  /** Each sub-attribute read to key one element in the "already listed" index. */
  index: 2,
  /** Evaluating a value filter on one element, the slowest step by far. */
  match: 30,
} as const

export class WorkBudget {
  private left = MAX_PATCH_WORK

  spend(units: number): void {
    this.left -= units
    if (this.left < 0)
      throw scimError.tooMany(
        'The operations would process more elements of multi-valued attributes than one request may; send them in several smaller PATCH requests',
      )
  }
}
