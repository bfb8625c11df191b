import { countCodePoints } from './code-points.ts'
import { type Alternation, type Item, parsePattern, type Sequence } from './pattern-syntax.ts'
import { passwordPolicyLimits } from './policy.ts'

/*
 * Threat: ReDoS. The pattern is written by a tenant administrator and evaluated by the shared
 * server on every password change. JavaScript's engine backtracks, and a pattern such as
 * `(a+)+$` or `.*.*x` takes seconds to minutes on a few thousand characters, blocking the
 * event loop for every tenant. Timing a trial run would need a clock in domain code and would
 * pass or fail with the machine's load, so the pattern is judged by its structure instead:
 *
 * - no group repeated a variable number of times whose body can match in more than one way
 *   (`(a+)+`, `(a|ab)*`, `(a?){1,9}`): the ways to split the input grow exponentially;
 * - no backreferences: matching with them is NP-hard in general;
 * - a bound on the backtracking work over the longest password any policy allows (4096 code
 *   points), counting the retry at every start position when the pattern is not anchored with
 *   `^`. One open-ended repetition in a row, or two anchored ones, or one lookahead per
 *   requirement (`(?=.*\d)(?=.*[A-Z])`) fit; three open-ended repetitions in a row do not.
 *
 * The check is conservative: some safe patterns are refused, with a message that says how to
 * write them instead. Only Unicode mode (`u`) is used: it rejects the legacy syntax quirks that
 * make a pattern mean something other than it seems, and `.` matches a whole code point. The
 * stricter `v` mode would also reject common unescaped punctuation in classes (`[!@#$%^&*()-]`).
 */

const inputLength = passwordPolicyLimits.maxLength.max
/** About 16 full quadratic passes over the longest password: tens of milliseconds. */
const workBudget = 16 * inputLength * inputLength

/** Problems with the pattern, worded for the administrator who wrote it; empty when it is usable. */
export function checkPatternSafety(pattern: string): string[] {
  if (pattern.length === 0) return ['must not be empty; leave the pattern out instead']
  const limit = passwordPolicyLimits.patternLength
  if (countCodePoints(pattern, limit) > limit) return [`must be at most ${limit} characters`]
  try {
    new RegExp(pattern, 'u')
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^.*: /, '') : 'syntax error'
    return [`is not a valid regular expression (${reason})`]
  }
  const tree = parsePattern(pattern)
  const problems = new Set<string>()
  walk(tree, problems)
  if (problems.size === 0 && topLevelWork(tree) > workBudget) {
    problems.add(
      'would take too long on long passwords; it matches anywhere in the password, so leave out .* at ' +
        'its ends, avoid open-ended repetitions in a row, anchor it with ^, and write one lookahead per ' +
        'requirement, e.g. ^(?=.*\\d)(?=.*[A-Z])',
    )
  }
  return [...problems]
}

/**
 * The pattern ready to test a password, or undefined when it is not safe to run. Compiled
 * without the `g` and `y` flags: those make `test` stateful through `lastIndex`.
 */
export function compilePolicyPattern(pattern: string): RegExp | undefined {
  return checkPatternSafety(pattern).length === 0 ? new RegExp(pattern, 'u') : undefined
}

function walk(alternation: Alternation, problems: Set<string>): void {
  for (const sequence of alternation.alternatives) {
    for (const item of sequence.items) {
      if (item.atom.kind === 'backreference')
        problems.add('must not use backreferences such as \\1 or \\k<name>')
      if ((Number.isFinite(item.max) && item.max > inputLength) || item.min > inputLength) {
        problems.add(`must not repeat anything more than ${inputLength} times`)
      }
      if (item.atom.kind !== 'group') continue
      if (item.max > item.min && item.max > 1 && isAmbiguous(item.atom.body)) {
        problems.add(
          'must not repeat a group that can itself match in several ways, such as (a+)+ or (a|b)*; ' +
            'use a character class such as [ab]+ instead',
        )
      }
      walk(item.atom.body, problems)
    }
  }
}

/** Whether a body can match the same text in more than one way: it varies in length or has choices. */
function isAmbiguous(alternation: Alternation): boolean {
  if (alternation.alternatives.length > 1) return true
  return alternation.alternatives.some((sequence) =>
    sequence.items.some(
      (item) => item.min !== item.max || (item.atom.kind === 'group' && isAmbiguous(item.atom.body)),
    ),
  )
}

interface Cost {
  /** Ways backtracking can come out of this part, each retried by what follows. */
  paths: number
  /** Steps spent inside this part over all those retries. */
  work: number
}

function topLevelWork(tree: Alternation): number {
  let work = 0
  for (const sequence of tree.alternatives) {
    const first = sequence.items[0]?.atom
    const anchored = first?.kind === 'assertion' && first.startOfInput
    work += (anchored ? 1 : inputLength) * sequenceCost(sequence).work
  }
  return work
}

function alternationCost(alternation: Alternation): Cost {
  let paths = 0
  let work = 0
  for (const sequence of alternation.alternatives) {
    const cost = sequenceCost(sequence)
    paths += cost.paths
    work += cost.work
  }
  return { paths, work }
}

function sequenceCost(sequence: Sequence): Cost {
  let paths = 1
  let work = 1
  for (const item of sequence.items) {
    const cost = itemCost(item)
    work += paths * cost.work
    paths *= cost.paths
  }
  return { paths, work }
}

function itemCost(item: Item): Cost {
  const span = Math.min(item.max, inputLength)
  const counts = Math.max(1, span - Math.min(item.min, span) + 1)
  const { atom } = item
  if (atom.kind === 'character') return { paths: counts, work: Math.max(1, span) }
  if (atom.kind !== 'group') return { paths: 1, work: 1 }
  const body = alternationCost(atom.body)
  // A lookaround is atomic: it is searched once per arrival and leaves a single way out.
  if (atom.lookaround) return { paths: 1, work: body.work }
  // Repetitions run one after another, like the body written out `span` times.
  let paths = 1
  let work = 0
  for (let round = 0; round < Math.max(1, span); round++) {
    work += paths * body.work
    paths *= body.paths
  }
  return { paths: counts * paths, work }
}
