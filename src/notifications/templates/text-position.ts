/** Where a problem is in a field: for people (line and column) and for editors (offset). */
export interface TextPosition {
  /** 1-based; `\n`, `\r\n` and `\r` each end a line. */
  line: number
  /** 1-based, in code points, so an emoji or an accented letter counts once. */
  column: number
  /** 0-based index into the JavaScript string (UTF-16 code units), for selecting the text. */
  offset: number
}

/**
 * Turns offsets into positions. Asked in ascending order it walks the text once in total,
 * so a body with thousands of problems still costs one pass, not one pass per problem.
 */
export class PositionFinder {
  private offset = 0
  private line = 1
  private column = 1

  constructor(private readonly text: string) {}

  at(target: number): TextPosition {
    if (target < this.offset) {
      this.offset = 0
      this.line = 1
      this.column = 1
    }
    const { text } = this
    const end = Math.min(target, text.length)
    while (this.offset < end) {
      const code = text.charCodeAt(this.offset)
      if (code === 0x0a || (code === 0x0d && text.charCodeAt(this.offset + 1) !== 0x0a)) {
        this.line++
        this.column = 1
      } else if (code !== 0x0d && !isLowSurrogateAfterHigh(text, this.offset)) {
        this.column++
      }
      this.offset++
    }
    return { line: this.line, column: this.column, offset: target }
  }
}

/** The second half of a surrogate pair: its code point was counted at the first half. */
function isLowSurrogateAfterHigh(text: string, index: number): boolean {
  const code = text.charCodeAt(index)
  if (code < 0xdc00 || code > 0xdfff || index === 0) return false
  const previous = text.charCodeAt(index - 1)
  return previous >= 0xd800 && previous <= 0xdbff
}
