/**
 * The SCIM filter grammar (RFC 7644 §3.4.2.2), by recursive descent:
 *
 *   filter   = or
 *   or       = and *("or" and)
 *   and      = operand *("and" operand)            ; and binds tighter than or
 *   operand  = "(" or ")" / "not" "(" or ")" / attrPath "[" or "]"
 *            / attrPath "pr" / attrPath compareOp compValue
 *
 * and two deviations real clients send, each read as the value path it means
 * (`readValuePath`): `attrPath "[" or "]" "." ATTRNAME ("pr" / compareOp compValue)` and
 * `attrPath "[" or "]" compareOp compValue`.
 *
 * Keywords are case-insensitive. Tokens may be separated by any number of spaces and tabs,
 * and need none where they cannot run together (`emails[type eq "work"]`, `not(…)`).
 * The path part (`attributePathOf`) and value filters are shared with PATCH paths.
 */
import { type ScimError, scimError } from '../errors.ts'
import type { AttributePath, CompareOperator, Filter, FilterValue } from './ast.ts'
import { Lexer, quote, type Token } from './lexer.ts'

/**
 * Parentheses, `not (` and value brackets nest at most this deep. The threat is stack
 * exhaustion: this parser and every consumer of the tree recurse once per level.
 */
export const MAX_NESTING_DEPTH = 50

const compareOperators: ReadonlySet<string> = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'])
const operatorList = 'eq, ne, co, sw, ew, gt, ge, lt, le or pr'
/** ATTRNAME = ALPHA *(nameChar), plus `$ref` (RFC 7643 §2.1 and its reference sub-attributes). */
export const attributeName = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/i
const urnSegment = /^[A-Za-z0-9._-]+$/

type WordToken = Extract<Token, { kind: 'word' }>

export function parseFilter(text: string): Filter {
  const parser = new FilterParser(new Lexer(text, scimError.invalidFilter, 'filter'))
  const filter = parser.readFilter()
  if (parser.lexer.peek().kind !== 'end') throw parser.expected('"and", "or" or the end of the filter')
  return filter
}

function describe(token: Token, noun: string): string {
  switch (token.kind) {
    case 'end':
      return `the end of the ${noun}`
    case 'string':
      return `the string ${quote(token.value)}`
    case 'number':
      return `the number ${token.text}`
    case 'invalid':
      return `the character ${quote(token.text)}`
    default:
      return quote(token.text)
  }
}

export function isWordToken(token: Token): token is WordToken {
  return token.kind === 'word'
}

/** Shows a path as written, for messages. */
export function formatPath(path: AttributePath): string {
  const name = path.subAttribute === undefined ? path.attribute : `${path.attribute}.${path.subAttribute}`
  return path.schema === undefined ? name : `${path.schema}:${name}`
}

export class FilterParser {
  private depth = 0

  constructor(readonly lexer: Lexer) {}

  readFilter(): Filter {
    return this.readOr(undefined)
  }

  /** An error naming what was expected, where, after what, and what was found instead. */
  expected(what: string, hint = ''): ScimError {
    const { lexer } = this
    const token = lexer.peek()
    const after = lexer.previous ? ` after ${describe(lexer.previous, lexer.noun)}` : ''
    return lexer.fail(
      `Expected ${what}${after} at position ${lexer.position(token.start)}, found ${describe(token, lexer.noun)}${hint}`,
    )
  }

  readAttributePath(): AttributePath {
    const token = this.lexer.peek()
    if (!isWordToken(token)) throw this.expected('an attribute name')
    this.lexer.next()
    return this.attributePathOf(token, undefined)
  }

  /**
   * `[filter]` after `path`, whose paths name sub-attributes of `path`. `path` must be a
   * whole attribute: value filters select elements of a multi-valued attribute.
   */
  readValueFilter(path: AttributePath): Filter {
    const open = this.lexer.peek()
    if (open.kind !== '[') throw this.expected('"["')
    if (path.subAttribute !== undefined)
      throw this.lexer.fail(
        `A value filter selects elements of a multi-valued attribute, so "[" at position ${this.lexer.position(open.start)} cannot follow the sub-attribute ${quote(formatPath(path))}`,
      )
    this.lexer.next()
    return this.nested(open, () => {
      const filter = this.readOr(path)
      this.expectClose(']', open)
      return filter
    })
  }

  /** Splits `[urn:…:]name[.sub]` and checks each part; inside `a[…]` only a plain name is allowed. */
  attributePathOf(token: WordToken, context: AttributePath | undefined): AttributePath {
    const { text, start } = token
    const colon = text.lastIndexOf(':')
    const schema = colon === -1 ? undefined : this.schemaOf(text.slice(0, colon), token)
    const names = text.slice(colon + 1).split('.')
    if (names.length > 2)
      throw this.lexer.fail(
        `${quote(text)} at position ${this.lexer.position(start)} has more than one ".": a path names at most one sub-attribute, as in name.givenName`,
      )
    let offset = start + colon + 1
    for (const [index, name] of names.entries()) {
      if (name === '')
        throw this.lexer.fail(
          `Expected ${index === 0 ? 'an attribute' : 'a sub-attribute'} name after ${quote(text.slice(0, offset - start))} at position ${this.lexer.position(offset)}`,
        )
      if (!attributeName.test(name))
        throw this.lexer.fail(
          `Invalid attribute name ${quote(name)} at position ${this.lexer.position(offset)}: a name starts with a letter and has only letters, digits, "-" and "_" (or is $ref)`,
        )
      offset += name.length + 1
    }
    const path: AttributePath = { attribute: names[0]! }
    if (schema !== undefined) path.schema = schema
    if (names[1] !== undefined) path.subAttribute = names[1]
    if (context && (schema !== undefined || names[1] !== undefined))
      throw this.lexer.fail(
        `Inside ${quote(`${context.attribute}[…]`)} name a sub-attribute of ${quote(context.attribute)} alone, without a schema or ".": found ${quote(text)} at position ${this.lexer.position(start)}`,
      )
    return path
  }

  private schemaOf(urn: string, { text, start }: WordToken): string {
    if (!/^urn:/i.test(urn))
      throw this.lexer.fail(
        `${quote(text)} at position ${this.lexer.position(start)} is not an attribute path: only a path that starts with a schema URN ("urn:…") may contain ":"`,
      )
    const segments = urn.split(':')
    if (segments.length < 2 || !segments.every((segment) => urnSegment.test(segment)))
      throw this.lexer.fail(
        `Invalid schema URN ${quote(urn)} at position ${this.lexer.position(start)}: expected "urn:" and colon-separated segments of letters, digits, ".", "-" and "_"`,
      )
    return urn.toLowerCase()
  }

  private readOr(context: AttributePath | undefined): Filter {
    let left = this.readAnd(context)
    while (this.peekKeyword('or')) {
      this.lexer.next()
      left = { kind: 'or', left, right: this.readAnd(context) }
    }
    return left
  }

  private readAnd(context: AttributePath | undefined): Filter {
    let left = this.readOperand(context)
    while (this.peekKeyword('and')) {
      this.lexer.next()
      left = { kind: 'and', left, right: this.readOperand(context) }
    }
    return left
  }

  private readOperand(context: AttributePath | undefined): Filter {
    const token = this.lexer.peek()
    if (token.kind === '(') {
      this.lexer.next()
      return this.nested(token, () => {
        const filter = this.readOr(context)
        this.expectClose(')', token)
        return filter
      })
    }
    if (!isWordToken(token))
      throw this.expected(
        context
          ? `a sub-attribute of ${quote(context.attribute)}, "(" or "not"`
          : 'an attribute name, "(" or "not"',
      )
    this.lexer.next()
    if (token.text.toLowerCase() === 'not') {
      const open = this.lexer.peek()
      if (open.kind === '(') {
        this.lexer.next()
        return this.nested(open, () => {
          const filter = this.readOr(context)
          this.expectClose(')', open)
          return { kind: 'not', filter }
        })
      }
      // `not` is also a valid attribute name; only an operator or "[" after it makes it one.
      if (open.kind !== '[' && !(isWordToken(open) && this.isOperatorWord(open.text)))
        throw this.expected('"("', ': "not" applies to a parenthesised filter, as in not (title pr)')
    }
    return this.readAttributeExpression(this.attributePathOf(token, context), context)
  }

  private readAttributeExpression(path: AttributePath, context: AttributePath | undefined): Filter {
    const next = this.lexer.peek()
    if (next.kind === '[') {
      if (context)
        throw this.lexer.fail(
          `Value filters cannot be nested: "[" at position ${this.lexer.position(next.start)} is inside ${quote(`${context.attribute}[…]`)}`,
        )
      return this.readValuePath(path)
    }
    return this.readCondition(path)
  }

  /**
   * `attr[filter]`, and two forms RFC 7644 §3.4.2.2 does not have but major clients send
   * (Microsoft Entra ID among them), read as the value path they mean: the same element must
   * satisfy both conditions, so they are unambiguous and no wider than the bracketed form.
   *
   * - `emails[type eq "work"].value eq "a@example.com"` (also `… .value pr`), the PATCH path
   *   followed by a comparison: `emails[type eq "work" and value eq "a@example.com"]`;
   * - `emails[type eq "work"] eq "a@example.com"`, the element compared as a whole, which
   *   compares its value as `emails eq "…"` does: the same. Validation refuses it for
   *   attributes whose elements have no `value` (addresses).
   */
  private readValuePath(path: AttributePath): Filter {
    const filter = this.readValueFilter(path)
    const after = this.lexer.peek()
    if (after.kind === '.') {
      this.lexer.next()
      const condition = this.readCondition({ attribute: this.readSubAttributeName(after) })
      return { kind: 'valuePath', path, filter: { kind: 'and', left: filter, right: condition } }
    }
    if (isWordToken(after) && compareOperators.has(after.text.toLowerCase())) {
      const condition = this.readCondition({ attribute: 'value' })
      return { kind: 'valuePath', path, filter: { kind: 'and', left: filter, right: condition } }
    }
    return { kind: 'valuePath', path, filter }
  }

  /**
   * The name after `]` and `.` (the `.` already read, `dot`), as in `emails[…].value`: one
   * plain name, written against the "." as in a PATCH path.
   */
  readSubAttributeName(dot: Token): string {
    const { lexer } = this
    const name = lexer.peek()
    // The lexer skips spaces between tokens, but `emails[…]. value` is not one path.
    if (!isWordToken(name)) throw this.expected('a sub-attribute name')
    if (name.start !== dot.start + 1)
      throw lexer.fail(
        `Remove the space before ${quote(name.text)} at position ${lexer.position(name.start)}: a path has no spaces after "."`,
      )
    if (!attributeName.test(name.text))
      throw lexer.fail(
        `Invalid sub-attribute name ${quote(name.text)} at position ${lexer.position(name.start)}: after "]." comes one name of letters, digits, "-" and "_" (or $ref)`,
      )
    lexer.next()
    return name.text
  }

  /** `pr`, or a comparison operator and its value, after `path`. */
  private readCondition(path: AttributePath): Filter {
    const next = this.lexer.peek()
    if (isWordToken(next)) {
      const operator = next.text.toLowerCase()
      if (operator === 'pr') {
        this.lexer.next()
        return { kind: 'present', path }
      }
      if (compareOperators.has(operator)) {
        this.lexer.next()
        return { kind: 'compare', path, operator: operator as CompareOperator, value: this.readValue() }
      }
    }
    throw this.expected(`an operator (${operatorList})`)
  }

  private readValue(): FilterValue {
    const token = this.lexer.peek()
    if (token.kind === 'string' || token.kind === 'number') {
      this.lexer.next()
      return token.value
    }
    if (isWordToken(token)) {
      // Lower-case spellings are the grammar's; other cases are a common client deviation.
      const keyword = token.text.toLowerCase()
      const literal =
        keyword === 'true' ? true : keyword === 'false' ? false : keyword === 'null' ? null : undefined
      if (literal !== undefined) {
        this.lexer.next()
        return literal
      }
    }
    const hint = isWordToken(token) ? '; strings go in double quotes, as in "bjensen"' : ''
    throw this.expected('a value (a "string", a number, true, false or null)', hint)
  }

  private expectClose(kind: ')' | ']', open: Token): void {
    if (this.lexer.peek().kind === kind) {
      this.lexer.next()
      return
    }
    const opener = kind === ')' ? '(' : '['
    throw this.expected(
      `"and", "or" or "${kind}"`,
      `; the "${opener}" at position ${this.lexer.position(open.start)} is not closed`,
    )
  }

  private nested<T>(open: Token, read: () => T): T {
    if (++this.depth > MAX_NESTING_DEPTH)
      throw this.lexer.fail(
        `The ${this.lexer.noun} nests parentheses and brackets more than ${MAX_NESTING_DEPTH} levels deep at position ${this.lexer.position(open.start)}`,
      )
    const result = read()
    this.depth--
    return result
  }

  private peekKeyword(keyword: 'and' | 'or'): boolean {
    const token = this.lexer.peek()
    return isWordToken(token) && token.text.toLowerCase() === keyword
  }

  private isOperatorWord(text: string): boolean {
    const lower = text.toLowerCase()
    return lower === 'pr' || compareOperators.has(lower)
  }
}
