import { Buffer } from 'node:buffer'
import {
  type EmailTemplate,
  fieldLabels,
  MAX_BODY_BYTES,
  MAX_SUBJECT_LENGTH,
  TEMPLATE_FIELDS,
  type TemplateField,
} from './email-template.ts'
import { isPlaceholder, type Placeholder, SECRET_PLACEHOLDERS, suggestPlaceholder } from './placeholders.ts'
import { type ScannedField, type SyntaxProblemCode, scanField, shorten } from './syntax.ts'
import {
  allowedPlaceholders,
  isAllowedPlaceholder,
  requiredPlaceholders,
  type TemplateType,
} from './template-types.ts'
import { PositionFinder, type TextPosition } from './text-position.ts'

export type TemplateProblemCode =
  | SyntaxProblemCode
  | 'unknown-placeholder'
  | 'placeholder-not-allowed'
  | 'unquoted-attribute'
  | 'missing-placeholder'
  | 'empty-field'
  | 'line-break-in-subject'
  | 'control-character'
  | 'too-long'

export interface TemplateProblem {
  field: TemplateField
  /** Stable, for programs; `reason` is for people. */
  code: TemplateProblemCode
  /** Absent when the problem is the field as a whole: it is empty, or lacks a placeholder. */
  position?: TextPosition
  reason: string
  /** The placeholder name concerned, as written, for problems about one. */
  placeholder?: string
}

/** A field's problems before positions are worked out, with the offset they are about. */
interface FoundProblem {
  code: TemplateProblemCode
  offset?: number
  reason: string
  placeholder?: string
}

export interface TemplateCheck {
  problems: TemplateProblem[]
  /** The scanned fields, for compiling; only meaningful when there are no problems. */
  fields: Record<TemplateField, ScannedField>
}

/**
 * Every problem of a template of the given type, in field order and then in reading order.
 * An empty list means the template can be saved and compiled.
 */
export function validateTemplate(type: TemplateType, template: EmailTemplate): TemplateProblem[] {
  return checkTemplate(type, template).problems
}

export function checkTemplate(type: TemplateType, template: EmailTemplate): TemplateCheck {
  const problems: TemplateProblem[] = []
  const fields = {} as Record<TemplateField, ScannedField>
  for (const field of TEMPLATE_FIELDS) {
    const text = template[field]
    const found: FoundProblem[] = []
    const overrun = lengthOverrun(field, text)
    if (overrun) {
      // Nothing else is read: the threat is cost, and the length is the problem to fix first.
      found.push(overrun)
      fields[field] = { literals: [text], placeholders: [], problems: [] }
    } else {
      fields[field] = checkField(type, field, text, found)
    }
    const positions = new PositionFinder(text)
    found.sort((a, b) => (a.offset ?? Number.POSITIVE_INFINITY) - (b.offset ?? Number.POSITIVE_INFINITY))
    for (const { code, offset, reason, placeholder } of found) {
      const problem: TemplateProblem = { field, code, reason }
      if (offset !== undefined) problem.position = positions.at(offset)
      if (placeholder !== undefined) problem.placeholder = placeholder
      problems.push(problem)
    }
  }
  return { problems, fields }
}

function checkField(
  type: TemplateType,
  field: TemplateField,
  text: string,
  found: FoundProblem[],
): ScannedField {
  const label = fieldLabels[field]
  const scanned = scanField(text)
  if (text.trim() === '') {
    found.push({ code: 'empty-field', reason: `The ${label} is empty` })
    return scanned
  }
  findControlCharacters(field, text, found)
  found.push(...scanned.problems)

  const openTags = field === 'html' ? markupContexts(scanned) : undefined
  scanned.placeholders.forEach(({ name, offset }, index) => {
    const problem = placeholderProblem(type, field, name)
    if (problem) found.push({ ...problem, offset, placeholder: name })
    if (openTags?.[index]) {
      found.push({
        code: 'unquoted-attribute',
        offset,
        placeholder: name,
        reason: `"{{${name}}}" is inside an HTML tag but not in a quoted attribute value, where escaping cannot stop a value from adding attributes; write it as attribute="{{${name}}}"`,
      })
    }
  })

  if (field !== 'subject') {
    const used = new Set(scanned.placeholders.map((placeholder) => placeholder.name))
    for (const name of requiredPlaceholders(type)) {
      if (used.has(name)) continue
      found.push({
        code: 'missing-placeholder',
        placeholder: name,
        reason: `The ${label} must contain "{{${name}}}": ${type} messages exist to deliver it, and mail clients show only one of the two bodies`,
      })
    }
  }
  return scanned
}

function placeholderProblem(
  type: TemplateType,
  field: TemplateField,
  name: string,
): Omit<FoundProblem, 'offset'> | undefined {
  if (!isPlaceholder(name)) {
    const suggestion = suggestPlaceholder(name)
    return {
      code: 'unknown-placeholder',
      reason: suggestion
        ? `Unknown placeholder ${shorten(`{{${name}}}`)}; did you mean "{{${suggestion}}}"?`
        : `Unknown placeholder ${shorten(`{{${name}}}`)}; ${type} templates may use ${listOf(allowedPlaceholders(type))}`,
    }
  }
  if (!isAllowedPlaceholder(type, name)) {
    return {
      code: 'placeholder-not-allowed',
      reason: `"{{${name}}}" has no value in ${type} messages, which may use ${listOf(allowedPlaceholders(type))}`,
    }
  }
  if (field === 'subject' && SECRET_PLACEHOLDERS.has(name)) {
    return {
      code: 'placeholder-not-allowed',
      reason: `"{{${name}}}" is a secret and cannot be in the subject, which lock screens show and mail servers log; put it in the bodies`,
    }
  }
  return undefined
}

const listOf = (names: readonly Placeholder[]): string => names.map((name) => `{{${name}}}`).join(', ')

/**
 * Line breaks in the subject are refused: the threat is header injection, a subject that ends
 * its header line and starts another (`Bcc:`) or the body. Other control characters are refused
 * everywhere but tab (and line breaks in bodies): mail servers mangle or reject them.
 */
const subjectLineBreaks = /[\r\n\u0085\u2028\u2029]+/g
const controlCharacters = /(?:(?![\t\n\r\u0085])\p{Cc})+/gu

function findControlCharacters(field: TemplateField, text: string, found: FoundProblem[]): void {
  if (field === 'subject') {
    for (const match of text.matchAll(subjectLineBreaks)) {
      found.push({
        code: 'line-break-in-subject',
        offset: match.index,
        reason: 'The subject contains a line break; a subject is a single header line',
      })
    }
  }
  for (const match of text.matchAll(controlCharacters)) {
    const code = match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')
    found.push({
      code: 'control-character',
      offset: match.index,
      reason: `The ${fieldLabels[field]} contains the control character U+${code}`,
    })
  }
}

/**
 * For each placeholder of an HTML body, whether it sits inside a tag but outside a quoted
 * attribute value: `<a href={{reset-link}}>` or `<p {{first-name}}>`. There, escaping is not
 * enough (a space in a value starts a new attribute), so such a placeholder is refused. A
 * small state machine over the text between placeholders: text, tag, quoted value, comment.
 */
function markupContexts(scanned: ScannedField): boolean[] {
  let state: 'text' | 'tag' | 'double' | 'single' | 'comment' = 'text'
  const inTag: boolean[] = []
  scanned.placeholders.forEach((_, index) => {
    const literal = scanned.literals[index]!
    for (let i = 0; i < literal.length; i++) {
      const char = literal[i]
      if (state === 'text') {
        if (char === '<') state = literal.startsWith('<!--', i) ? 'comment' : 'tag'
      } else if (state === 'tag') {
        if (char === '>') state = 'text'
        else if (char === '"') state = 'double'
        else if (char === "'") state = 'single'
      } else if (state === 'double') {
        if (char === '"') state = 'tag'
      } else if (state === 'single') {
        if (char === "'") state = 'tag'
      } else if (char === '>' && literal.startsWith('-->', i - 2)) {
        state = 'text'
      }
    }
    inTag.push(state === 'tag')
  })
  return inTag
}

function lengthOverrun(field: TemplateField, text: string): FoundProblem | undefined {
  if (field === 'subject') {
    if (text.length <= MAX_SUBJECT_LENGTH) return undefined
    let count = 0
    let offset = 0
    for (const char of text) {
      if (count === MAX_SUBJECT_LENGTH) {
        const length = count + [...text.slice(offset)].length
        return {
          code: 'too-long',
          offset,
          reason: `The subject is ${length} characters long; the limit is ${MAX_SUBJECT_LENGTH}`,
        }
      }
      count++
      offset += char.length
    }
    return undefined
  }
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes <= MAX_BODY_BYTES) return undefined
  let total = 0
  let offset = 0
  for (const char of text) {
    total += Buffer.byteLength(char, 'utf8')
    if (total > MAX_BODY_BYTES) break
    offset += char.length
  }
  return {
    code: 'too-long',
    offset,
    reason: `The ${fieldLabels[field]} is ${bytes} bytes long in UTF-8; the limit is ${MAX_BODY_BYTES} (100 KB)`,
  }
}
