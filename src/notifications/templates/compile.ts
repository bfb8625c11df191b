import { type EmailTemplate, fieldLabels, type TemplateField } from './email-template.ts'
import type { Placeholder } from './placeholders.ts'
import type { ScannedField } from './syntax.ts'
import type { TemplateType } from './template-types.ts'
import { checkTemplate, type TemplateProblem } from './validate.ts'

/** Literal text, or a slot filled from the values at render time. */
export type CompiledPart = string | { readonly placeholder: Placeholder }

/**
 * A template parsed once, ready to render any number of messages: each field is a list of
 * parts, so rendering is concatenation with no re-reading of template text. Only valid
 * templates compile, so a compiled template never holds an unknown or disallowed placeholder.
 */
export interface CompiledTemplate {
  readonly type: TemplateType
  readonly subject: readonly CompiledPart[]
  readonly html: readonly CompiledPart[]
  readonly text: readonly CompiledPart[]
  /**
   * Every placeholder the template uses, in any field. A flow can skip work for values the
   * template never shows, such as issuing a link token when a code-only template has no link.
   */
  readonly placeholders: ReadonlySet<Placeholder>
}

/** Raised by compileTemplate for a template that validateTemplate would not accept. */
export class InvalidTemplateError extends Error {
  readonly problems: TemplateProblem[]

  constructor(type: TemplateType, problems: TemplateProblem[]) {
    super(
      `Invalid ${type} template:\n${problems
        .map(({ field, position, reason }) => {
          const where = position ? ` ${position.line}:${position.column}` : ''
          return `  - ${fieldLabels[field]}${where}: ${reason}`
        })
        .join('\n')}`,
    )
    this.name = 'InvalidTemplateError'
    this.problems = problems
  }
}

/** Validates and compiles; throws InvalidTemplateError listing every problem. */
export function compileTemplate(type: TemplateType, template: EmailTemplate): CompiledTemplate {
  const { problems, fields } = checkTemplate(type, template)
  if (problems.length > 0) throw new InvalidTemplateError(type, problems)
  const placeholders = new Set<Placeholder>()
  const parts = (field: TemplateField) => toParts(fields[field], placeholders)
  return Object.freeze({
    type,
    subject: parts('subject'),
    html: parts('html'),
    text: parts('text'),
    placeholders,
  })
}

function toParts(scanned: ScannedField, used: Set<Placeholder>): readonly CompiledPart[] {
  const parts: CompiledPart[] = []
  scanned.literals.forEach((literal, index) => {
    if (literal !== '') parts.push(literal)
    const placeholder = scanned.placeholders[index]
    if (placeholder === undefined) return
    // The check above refused every name that is not a known placeholder.
    const name = placeholder.name as Placeholder
    used.add(name)
    parts.push(Object.freeze({ placeholder: name }))
  })
  return Object.freeze(parts)
}
