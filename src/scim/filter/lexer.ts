/**
 * Tokens of SCIM filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2). The lexer is pulled by
 * the parser one token at a time, so the first problem in reading order is the one reported.
 * Every failure is a ScimError made by the caller's factory (invalidFilter or invalidPath):
 * filter text comes from the network and is fuzzed, so nothing else may escape.
 */
import type { ScimError } from '../errors.ts'

/**
 * Longer input is refused before any work. The threat is cost: a filter is parsed on every
 * list request, and no legitimate filter comes near this size.
 */
export const MAX_INPUT_LENGTH = 4096

export type ErrorFactory = (detail: string) => ScimError

export type Token =
  /** An attribute path or a keyword: operators, `and`, `or`, `not`, `true`, `false`, `null`. */
  | { kind: 'word'; text: string; start: number }
  | { kind: 'string'; text: string; value: string; start: number }
  | { kind: 'number'; text: string; value: number; start: number }
  | { kind: '(' | ')' | '[' | ']' | '.'; text: string; start: number }
  /** A character no token starts with; the parser reports it with what it expected. */
  | { kind: 'invalid'; text: string; start: number }
  | { kind: 'end'; text: ''; start: number }

const isWhitespace = (char: string): boolean => char === ' ' || char === '\t'
const isWordStart = (char: string): boolean => /^[A-Za-z$]$/.test(char)
/** Letters, digits, `-`, `_`, `$` (for `$ref`), and the `.` and `:` of sub-attributes and URNs. */
const isWordChar = (char: string): boolean => /^[A-Za-z0-9_\-.:$]$/.test(char)
const jsonNumber = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y
const punctuation = new Set(['(', ')', '[', ']', '.'])
const simpleEscapes = new Map([
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
])
// With the `u` flag a paired surrogate is one code point, so only unpaired halves match.
const unpairedSurrogate = /[\uD800-\uDFFF]/u

/** Quotes input for a message, shortened so an error never echoes kilobytes back. */
export function quote(text: string): string {
  const codePoints = [...text]
  return JSON.stringify(codePoints.length > 100 ? `${codePoints.slice(0, 100).join('')}…` : text)
}

/** Shows control characters as \\uXXXX: raw, they would be invisible or split a log line. */
function visible(text: string): string {
  let shown = ''
  for (const char of text)
    shown += char < ' ' ? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}` : char
  return shown
}

export class Lexer {
  private index = 0
  private lookahead: Token | undefined
  private last: Token | undefined

  constructor(
    readonly source: string,
    readonly fail: ErrorFactory,
    /** `filter` or `path`, for messages. */
    readonly noun: string,
  ) {
    if (source.length > MAX_INPUT_LENGTH) {
      const length = [...source].length
      if (length > MAX_INPUT_LENGTH)
        throw fail(`The ${noun} is ${length} characters long; the limit is ${MAX_INPUT_LENGTH}`)
    }
  }

  peek(): Token {
    this.lookahead ??= this.read()
    return this.lookahead
  }

  next(): Token {
    const token = this.peek()
    this.lookahead = undefined
    this.last = token
    return token
  }

  /** The last token consumed, so messages can say what an expectation followed. */
  get previous(): Token | undefined {
    return this.last
  }

  /** The 1-based position of a UTF-16 index, counted in characters (code points) as a person would. */
  position(index: number): number {
    return [...this.source.slice(0, index)].length + 1
  }

  private read(): Token {
    const source = this.source
    while (this.index < source.length && isWhitespace(source[this.index]!)) this.index++
    const start = this.index
    if (start >= source.length) return { kind: 'end', text: '', start }
    const char = source[start]!
    if (char === '"') return this.readString(start)
    if (char === '-' || (char >= '0' && char <= '9')) return this.readNumber(start)
    if (isWordStart(char)) {
      let end = start + 1
      while (end < source.length && isWordChar(source[end]!)) end++
      this.index = end
      return { kind: 'word', text: source.slice(start, end), start }
    }
    if (punctuation.has(char)) {
      this.index = start + 1
      return { kind: char as '(' | ')' | '[' | ']' | '.', text: char, start }
    }
    const text = String.fromCodePoint(source.codePointAt(start)!)
    this.index = start + text.length
    return { kind: 'invalid', text, start }
  }

  private readNumber(start: number): Token {
    jsonNumber.lastIndex = start
    const match = jsonNumber.exec(this.source)
    const end = match ? start + match[0].length : start
    if (!match || (end < this.source.length && isWordChar(this.source[end]!))) {
      let stop = end
      while (stop < this.source.length && /^[A-Za-z0-9_\-.:$+]$/.test(this.source[stop]!)) stop++
      const text = this.source.slice(start, Math.max(stop, start + 1))
      throw this.fail(
        `Invalid number ${quote(text)} at position ${this.position(start)}: expected a JSON number such as 42, -1.5 or 2e10`,
      )
    }
    const value = Number(match[0])
    if (!Number.isFinite(value))
      throw this.fail(`The number ${quote(match[0])} at position ${this.position(start)} is out of range`)
    this.index = end
    return { kind: 'number', text: match[0], value, start }
  }

  private readString(start: number): Token {
    const source = this.source
    let value = ''
    let index = start + 1
    for (;;) {
      if (index >= source.length) throw this.unterminated(start)
      const char = source[index]!
      if (char === '"') break
      if (char === '\\') {
        const decoded = this.readEscape(index, start)
        value += decoded.value
        index += decoded.length
        continue
      }
      if (char < ' ')
        throw this.fail(
          `Control character U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} in the string at position ${this.position(index)}: write it as a JSON escape such as \\n or \\u0009`,
        )
      value += char
      index++
    }
    // Such strings cannot be stored (PostgreSQL refuses NUL; UTF-8 has no lone surrogates), so
    // no stored value could match and the database would fail instead of answering.
    if (value.includes('\u0000'))
      throw this.fail(
        `The string at position ${this.position(start)} contains NUL (\\u0000), which no value can hold`,
      )
    if (unpairedSurrogate.test(value))
      throw this.fail(
        `The string at position ${this.position(start)} contains an unpaired UTF-16 surrogate, which is not a character`,
      )
    this.index = index + 1
    return { kind: 'string', text: source.slice(start, index + 1), value, start }
  }

  private unterminated(start: number): ScimError {
    return this.fail(
      `The string starting at position ${this.position(start)} has no closing quote: add a " at its end`,
    )
  }

  /** Reads the escape at `index` (the backslash), as JSON defines them. */
  private readEscape(index: number, stringStart: number): { value: string; length: number } {
    const letter = this.source[index + 1]
    if (letter === undefined) throw this.unterminated(stringStart)
    const simple = simpleEscapes.get(letter)
    if (simple !== undefined) return { value: simple, length: 2 }
    const hex = this.source.slice(index + 2, index + 6)
    if (letter === 'u' && /^[0-9A-Fa-f]{4}$/.test(hex))
      return { value: String.fromCharCode(Number.parseInt(hex, 16)), length: 6 }
    const after =
      letter === 'u'
        ? `u${/^[0-9A-Fa-f]*/.exec(hex)?.[0]}`
        : String.fromCodePoint(this.source.codePointAt(index + 1)!)
    throw this.fail(
      `Invalid escape "\\${visible(after)}" in the string at position ${this.position(index)}: use \\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\u followed by four hex digits`,
    )
  }
}
