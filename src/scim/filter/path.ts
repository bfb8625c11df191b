/**
 * Attribute paths outside filters: PATCH operation paths (RFC 7644 §3.5.2,
 * `PATH = attrPath / valuePath [subAttr]`) and the names in `sortBy`, `attributes` and
 * `excludedAttributes` (§3.4.2.3, §3.4.2.5). They share the filter's tokens and grammar;
 * every problem is an `invalidPath` ScimError.
 */
import { scimError } from '../errors.ts'
import type { AttributePath, PatchPath } from './ast.ts'
import { Lexer } from './lexer.ts'
import { FilterParser } from './parser.ts'

function parserFor(text: string): FilterParser {
  return new FilterParser(new Lexer(text, scimError.invalidPath, 'path'))
}

/** `userName`, `name.givenName`, `urn:…:User:employeeNumber`. */
export function parseAttributePath(text: string): AttributePath {
  const parser = parserFor(text)
  const path = parser.readAttributePath()
  if (parser.lexer.peek().kind !== 'end') throw parser.expected('the end of the path')
  return path
}

/** `attr`, `attr.sub`, `urn:…:attr`, `attr[filter]`, `attr[filter].sub`. */
export function parsePatchPath(text: string): PatchPath {
  const parser = parserFor(text)
  const { lexer } = parser
  const path = parser.readAttributePath()
  if (lexer.peek().kind === 'end') return { path }
  if (lexer.peek().kind !== '[') throw parser.expected('"[" or the end of the path')
  const valueFilter = parser.readValueFilter(path)
  const dot = lexer.peek()
  if (dot.kind === 'end') return { path, valueFilter }
  if (dot.kind !== '.') throw parser.expected('"." and a sub-attribute, or the end of the path')
  lexer.next()
  const subAttribute = parser.readSubAttributeName(dot)
  if (lexer.peek().kind !== 'end') throw parser.expected('the end of the path')
  return { path, valueFilter, subAttribute }
}
