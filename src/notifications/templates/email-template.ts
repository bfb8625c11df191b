/** A template as an administrator writes it; the same shape as the message it renders to. */
export interface EmailTemplate {
  subject: string
  html: string
  text: string
}

export const TEMPLATE_FIELDS = ['subject', 'html', 'text'] as const

export type TemplateField = (typeof TEMPLATE_FIELDS)[number]

/** Longer subjects are refused: mail clients cut them far sooner, and spam filters dislike them. */
export const MAX_SUBJECT_LENGTH = 255

/**
 * Bodies are limited in UTF-8 bytes. The threat is cost: templates are stored per tenant and
 * locale, parsed on save, and rendered into every message; a real notification is a few KB.
 */
export const MAX_BODY_BYTES = 100 * 1024

/** Field names as messages show them. */
export const fieldLabels: Readonly<Record<TemplateField, string>> = {
  subject: 'subject',
  html: 'html body',
  text: 'text body',
}
