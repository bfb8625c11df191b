/** The longest answer accepted, in characters, before normalising. */
export const MAX_ANSWER_LENGTH = 200

// Every Unicode white space character: `\s` alone misses U+0085 (NEXT LINE).
const WHITE_SPACE = /[\s\p{White_Space}]/gu

function normaliseOnce(text: string): string {
  // toLowerCase, not toLocaleLowerCase: the same answer must compare equal whatever the
  // server's locale (a Turkish locale would lower-case `I` to a dotless `ı`).
  return text.normalize('NFKC').toLowerCase().replace(WHITE_SPACE, '')
}

/**
 * The form an answer is hashed and compared in: compatibility-normalised (NFKC: full-width
 * letters, ligatures and composed accents compare equal to their plain forms), lower-case, and
 * without any white space, so `New  York`, `new york` and `NEWYORK` are the same answer.
 * Applied twice: NFKC turns a few characters into a space and a combining mark (`¨`), and
 * removing the space lets the mark compose with the letter before it; the second pass reaches
 * the form a third would not change.
 */
export function normalizeAnswer(raw: string): string {
  return normaliseOnce(normaliseOnce(raw))
}

/** Whether an answer is longer than accepted, counted in characters (code points). */
export function isAnswerTooLong(raw: string): boolean {
  // A code point takes at most two UTF-16 units: a longer string need not be walked.
  return raw.length > MAX_ANSWER_LENGTH * 2 || [...raw].length > MAX_ANSWER_LENGTH
}
