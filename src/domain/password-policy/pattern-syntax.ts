/**
 * Just enough of a parser for ECMAScript regular expressions (Unicode mode) to reason about
 * how they backtrack. It runs only on patterns the engine has already compiled, so it trusts
 * the syntax and never reports errors of its own.
 */
export interface Alternation {
  alternatives: Sequence[]
}

export interface Sequence {
  items: Item[]
}

export interface Item {
  atom: Atom
  min: number
  max: number
}

export type Atom =
  | { kind: 'character' }
  | { kind: 'assertion'; startOfInput: boolean }
  | { kind: 'backreference' }
  | { kind: 'group'; body: Alternation; lookaround: boolean }

export function parsePattern(pattern: string): Alternation {
  const parser = new Parser(pattern)
  return parser.alternation()
}

class Parser {
  private index = 0

  constructor(private readonly source: string) {}

  alternation(): Alternation {
    const alternatives = [this.sequence()]
    while (this.source[this.index] === '|') {
      this.index++
      alternatives.push(this.sequence())
    }
    return { alternatives }
  }

  private sequence(): Sequence {
    const items: Item[] = []
    while (this.index < this.source.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.atom()
      items.push({ atom, ...this.quantifier() })
    }
    return { items }
  }

  private atom(): Atom {
    const char = this.peek()
    if (char === '^' || char === '$') {
      this.index++
      return { kind: 'assertion', startOfInput: char === '^' }
    }
    if (char === '\\') return this.escape()
    if (char === '[') {
      this.skipClass()
      return { kind: 'character' }
    }
    if (char === '(') return this.group()
    this.index += (this.source.codePointAt(this.index) ?? 0) > 0xffff ? 2 : 1
    return { kind: 'character' }
  }

  private escape(): Atom {
    const next = this.source[this.index + 1] ?? ''
    this.index += 2
    if (next === 'b' || next === 'B') return { kind: 'assertion', startOfInput: false }
    if (next >= '1' && next <= '9') {
      while (/[0-9]/.test(this.peek())) this.index++
      return { kind: 'backreference' }
    }
    if (next === 'k') {
      this.skipPast('>')
      return { kind: 'backreference' }
    }
    if ((next === 'p' || next === 'P' || next === 'u') && this.peek() === '{') this.skipPast('}')
    return { kind: 'character' }
  }

  private group(): Atom {
    const rest = this.source.slice(this.index, this.index + 4)
    const lookaround = /^\(\?(?:[=!]|<[=!])/.test(rest)
    if (lookaround) this.index += rest.startsWith('(?<') ? 4 : 3
    else if (rest.startsWith('(?:')) this.index += 3
    else if (rest.startsWith('(?<')) this.skipPast('>')
    else this.index++
    const body = this.alternation()
    this.index++ // the closing parenthesis
    return { kind: 'group', body, lookaround }
  }

  private quantifier(): { min: number; max: number } {
    const char = this.peek()
    let bounds: { min: number; max: number }
    if (char === '*') bounds = { min: 0, max: Number.POSITIVE_INFINITY }
    else if (char === '+') bounds = { min: 1, max: Number.POSITIVE_INFINITY }
    else if (char === '?') bounds = { min: 0, max: 1 }
    else if (char === '{') {
      const end = this.source.indexOf('}', this.index)
      const [low = '0', high] = this.source.slice(this.index + 1, end).split(',')
      const min = Number(low)
      bounds = { min, max: high === undefined ? min : high === '' ? Number.POSITIVE_INFINITY : Number(high) }
      this.index = end
    } else return { min: 1, max: 1 }
    this.index++
    if (this.peek() === '?') this.index++ // lazy: the same paths, tried in another order
    return bounds
  }

  private skipClass(): void {
    this.index++
    while (this.index < this.source.length && this.peek() !== ']') {
      this.index += this.peek() === '\\' ? 2 : 1
    }
    this.index++
  }

  private skipPast(char: string): void {
    const end = this.source.indexOf(char, this.index)
    this.index = end === -1 ? this.source.length : end + 1
  }

  private peek(): string {
    return this.source[this.index] ?? ''
  }
}
