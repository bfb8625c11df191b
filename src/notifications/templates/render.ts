import type { CompiledPart, CompiledTemplate } from './compile.ts'
import { escapeHtml } from './html-escape.ts'
import type { Placeholder } from './placeholders.ts'

/** Values by placeholder name; a missing value renders as an empty string. */
export type TemplateValues = Readonly<Partial<Record<Placeholder, string>>>

/** Template values being filled in. */
export type TemplateValuesDraft = Partial<Record<Placeholder, string>>

export interface RenderedEmail {
  subject: string
  html: string
  text: string
}

/**
 * Fills a compiled template. Values are inserted in one pass and never read as template
 * text, so a claim holding `{{otp}}` prints as those characters (the threat: template
 * injection through a value the user controls). Each field encodes values for where they land:
 * the subject gets them on one line, the HTML body escaped, the text body as they are.
 */
export function renderTemplate(template: CompiledTemplate, values: TemplateValues): RenderedEmail {
  return { subject: renderSubject(template, values), ...renderBody(template, values) }
}

/** The subject alone: the outbox stores it when a message is queued, for listings. */
export function renderSubject(template: CompiledTemplate, values: TemplateValues): string {
  return fill(template.subject, values, toSingleLine)
}

/** The two body parts alone: the outbox renders them when it delivers. */
export function renderBody(
  template: Pick<CompiledTemplate, 'html' | 'text'>,
  values: TemplateValues,
): Omit<RenderedEmail, 'subject'> {
  return { html: fill(template.html, values, escapeHtml), text: fill(template.text, values, asIs) }
}

function fill(
  parts: readonly CompiledPart[],
  values: TemplateValues,
  encode: (value: string) => string,
): string {
  let result = ''
  for (const part of parts) {
    if (typeof part === 'string') {
      result += part
      continue
    }
    // Own properties only: a polluted prototype must not supply a link or a code.
    const value = Object.hasOwn(values, part.placeholder) ? values[part.placeholder] : undefined
    if (value != null) result += encode(String(value))
  }
  return result
}

const asIs = (value: string): string => value

const lineBreaksAndControls = /[\p{Cc}\u2028\u2029]+/u
const lineBreaksAndControlsGlobal = /[\p{Cc}\u2028\u2029]+/gu

/**
 * Replaces each run of line breaks and other control characters with one space. The threat is
 * header injection: a value that ends the Subject header line and starts another (`Bcc:`).
 * Use it for any header built from user data, such as a display name.
 */
export function toSingleLine(value: string): string {
  return lineBreaksAndControls.test(value) ? value.replace(lineBreaksAndControlsGlobal, ' ') : value
}
