/**
 * Reads the `{{name}}` placeholders of one template field. The syntax is deliberately tiny:
 * text, and names in double braces with optional spaces or tabs inside. There are no
 * sections, partials, comments or unescaped output (`{{{name}}}`, `{{&name}}`), so a template
 * cannot branch, include another template, or place a value in the HTML without escaping.
 *
 * Everything that is not exactly that is reported rather than passed through as text: a
 * stray `{{` or `}}` is almost always a typo that would otherwise reach recipients verbatim.
 * Whatever the input, each character is read at most twice, so hostile templates cost time
 * linear in their size.
 */

export type SyntaxProblemCode =
  | 'unclosed-placeholder'
  | 'stray-closing-braces'
  | 'empty-placeholder'
  | 'nested-braces'
  | 'triple-braces'
  | 'invalid-placeholder'

export interface SyntaxProblem {
  code: SyntaxProblemCode
  offset: number
  reason: string
}

/** A `{{name}}` whose name is well-formed; whether it is known is for the validator to say. */
export interface PlaceholderToken {
  name: string
  /** Index of the opening `{{`. */
  offset: number
}

export interface ScannedField {
  /**
   * Text around the placeholders: `literals[i]` comes before `placeholders[i]`, so there is always
   * one more literal than placeholders, empty strings included. Broken syntax stays in the text.
   */
  literals: string[]
  placeholders: PlaceholderToken[]
  problems: SyntaxProblem[]
}

const OPEN = 0x7b // {
const CLOSE = 0x7d // }
const LF = 0x0a
const CR = 0x0d

/** Letters, digits, `-`, `_` and `.`: the shapes of names, known or misspelt. */
const nameShape = /^[A-Za-z0-9_.-]+$/
/** The first character of Mustache and Handlebars tags this syntax does not have. */
const tagSigils: Readonly<Record<string, string>> = {
  '#': 'sections',
  '^': 'inverted sections',
  '/': 'sections',
  '>': 'partials',
  '!': 'comments',
  '&': 'unescaped output',
  '=': 'delimiter changes',
}

export function scanField(text: string): ScannedField {
  const literals: string[] = []
  const placeholders: PlaceholderToken[] = []
  const problems: SyntaxProblem[] = []
  const problem = (code: SyntaxProblemCode, offset: number, reason: string) =>
    problems.push({ code, offset, reason })

  let literalStart = 0
  let index = 0
  while (index < text.length) {
    const code = text.charCodeAt(index)
    const next = text.charCodeAt(index + 1)
    if (code === CLOSE && next === CLOSE) {
      problem(
        'stray-closing-braces',
        index,
        '"}}" closes no placeholder; write "} }" if two braces are meant as text',
      )
      index += 2
      continue
    }
    if (code !== OPEN || next !== OPEN) {
      index++
      continue
    }

    const open = index
    let contentStart = open + 2
    const triple = text.charCodeAt(contentStart) === OPEN
    while (text.charCodeAt(contentStart) === OPEN) contentStart++
    const stop = contentEnd(text, contentStart)
    const closed = text.charCodeAt(stop) === CLOSE && text.charCodeAt(stop + 1) === CLOSE
    if (triple) {
      problem(
        'triple-braces',
        open,
        '"{{{" is not supported: every value is escaped, there is no unescaped output',
      )
      index = closed ? skipClosingBraces(text, stop) : stop
      continue
    }
    if (!closed) {
      const stopCode = text.charCodeAt(stop)
      if (stopCode === OPEN) {
        problem(
          'nested-braces',
          stop,
          'A brace inside a placeholder: placeholders cannot be nested (or is a "}}" missing before it?)',
        )
      } else if (stopCode === CLOSE) {
        problem(
          'unclosed-placeholder',
          open,
          'This "{{" is closed by a single "}"; placeholders end with "}}"',
        )
      } else {
        problem('unclosed-placeholder', open, 'This "{{" is not closed by "}}" on the same line')
      }
      // Nested braces are skipped as one construct; otherwise resume at the brace or line break
      // that stopped the placeholder, so what follows is read too.
      index = stopCode === OPEN ? skipBalanced(text, open) : stop
      continue
    }

    const after = stop + 2
    if (text.charCodeAt(after) === CLOSE) {
      problem(
        'triple-braces',
        after - 2,
        '"}}}" is not supported: every value is escaped, there is no unescaped output',
      )
      index = skipClosingBraces(text, stop)
      continue
    }
    const content = text.slice(contentStart, stop)
    const name = content.replace(/^[ \t]+|[ \t]+$/g, '')
    index = after
    if (name === '') {
      problem('empty-placeholder', open, `${shorten(text.slice(open, after))} names no placeholder`)
      continue
    }
    if (!nameShape.test(name)) {
      const feature = tagSigils[name[0]!]
      problem(
        'invalid-placeholder',
        open,
        `${shorten(`{{${name}}}`)} is not a placeholder: names are letters, digits and hyphens${
          feature ? `, and templates have no ${feature}` : ''
        }`,
      )
      continue
    }
    literals.push(text.slice(literalStart, open))
    placeholders.push({ name, offset: open })
    literalStart = after
  }
  literals.push(text.slice(literalStart))
  return { literals, placeholders, problems }
}

/** The index of the first brace or line break at or after `start`, or the end of the text. */
function contentEnd(text: string, start: number): number {
  let index = start
  while (index < text.length) {
    const code = text.charCodeAt(index)
    if (code === OPEN || code === CLOSE || code === LF || code === CR) return index
    index++
  }
  return index
}

/**
 * The end of nested braces starting at `start`: where every brace opened has been closed, or
 * the end of the line when they never are.
 */
function skipBalanced(text: string, start: number): number {
  let depth = 0
  for (let index = start; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code === LF || code === CR) return index
    if (code === OPEN) depth++
    else if (code === CLOSE && --depth === 0) return index + 1
  }
  return text.length
}

function skipClosingBraces(text: string, index: number): number {
  let end = index
  while (text.charCodeAt(end) === CLOSE) end++
  return end
}

/** Quotes template text for a message, cut short so a reason never echoes a whole line back. */
export function shorten(text: string): string {
  const codePoints = [...text.slice(0, 200)]
  return JSON.stringify(codePoints.length > 40 ? `${codePoints.slice(0, 40).join('')}…` : text)
}
