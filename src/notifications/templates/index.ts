/**
 * Email templates for notifications: what each message type may say, validation of templates
 * written by administrators, compilation and rendering with escaping, locale choice, the
 * shipped defaults and preview values. Pure: no storage, no network, no clock.
 */
export { type CompiledPart, type CompiledTemplate, compileTemplate, InvalidTemplateError } from './compile.ts'
export { DEFAULT_TEMPLATE_LOCALES, DEFAULT_TEMPLATES, defaultTemplate } from './default-templates.ts'
export {
  type EmailTemplate,
  MAX_BODY_BYTES,
  MAX_SUBJECT_LENGTH,
  TEMPLATE_FIELDS,
  type TemplateField,
} from './email-template.ts'
export { escapeHtml } from './html-escape.ts'
export { DEFAULT_LOCALE, isValidLocale, normalizeLocale, resolveLocale } from './locale.ts'
export { isPlaceholder, PLACEHOLDERS, type Placeholder, SECRET_PLACEHOLDERS } from './placeholders.ts'
export {
  type RenderedEmail,
  renderBody,
  renderSubject,
  renderTemplate,
  type TemplateValues,
  type TemplateValuesDraft,
  toSingleLine,
} from './render.ts'
export { sampleValues } from './sample-values.ts'
export {
  allowedPlaceholders,
  isAllowedPlaceholder,
  isTemplateType,
  requiredPlaceholders,
  TEMPLATE_TYPES,
  type TemplateType,
} from './template-types.ts'
export type { TextPosition } from './text-position.ts'
export { type TemplateProblem, type TemplateProblemCode, validateTemplate } from './validate.ts'
