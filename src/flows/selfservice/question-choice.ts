import { createHmac, randomInt } from 'node:crypto'

/**
 * Which security questions a flow asks, by id.
 *
 * A user who answered enough questions is asked a random choice among them. A stand-in
 * account (unknown user, or one without enough answers) is asked a choice among a fixed set
 * derived from its id — the size of a real user's set — so that over many flows it shows
 * the same pattern a real account shows, and nothing tells the two apart.
 */
export function chooseQuestions(options: {
  answered: readonly string[]
  available: readonly string[]
  asked: number
  answersRequired: number
  secretKey: Buffer
  accountId: string
}): string[] {
  const pool =
    options.answered.length >= options.asked
      ? [...options.answered]
      : stablePick(options.available, options.answersRequired, options.secretKey, options.accountId)
  return randomPick(pool, options.asked)
}

function stablePick(
  available: readonly string[],
  count: number,
  secretKey: Buffer,
  accountId: string,
): string[] {
  const rank = (id: string) =>
    createHmac('sha256', secretKey).update(`selfservice-questions\0${accountId}\0${id}`).digest('hex')
  return [...available].sort((a, b) => (rank(a) < rank(b) ? -1 : 1)).slice(0, count)
}

function randomPick(pool: string[], count: number): string[] {
  const copy = [...pool]
  for (let index = copy.length - 1; index > 0; index--) {
    const other = randomInt(index + 1)
    ;[copy[index], copy[other]] = [copy[other]!, copy[index]!]
  }
  return copy.slice(0, count)
}
