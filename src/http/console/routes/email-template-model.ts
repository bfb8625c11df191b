import { type AppError, isAppError } from '../../../errors/app-error.ts'
import type { TemplateView } from '../../../notifications/template-service.ts'
import {
  allowedPlaceholders,
  DEFAULT_TEMPLATE_LOCALES,
  type EmailTemplate,
  type Placeholder,
  type RenderedEmail,
  requiredPlaceholders,
  sampleValues,
  type TemplateType,
} from '../../../notifications/templates/index.ts'
import type { TenantRow } from '../../../persistence/repositories/tenants.ts'
import { formField } from '../../pages/kit.ts'
import { displayTime } from './email-shared.ts'

export const templateParams = {
  type: 'object',
  properties: {
    type: { type: 'string', minLength: 1, maxLength: 64 },
    locale: { type: 'string', minLength: 1, maxLength: 35 },
  },
  required: ['type', 'locale'],
}
export type TemplateParams = { type: string; locale: string }

/** Refusals a template form shows by its fields; any other error is the error page's. */
const formCodes = new Set(['template.invalid', 'request.invalid'])
export function isTemplateRefusal(error: unknown): error is AppError {
  return isAppError(error) && formCodes.has(error.code)
}

/** The editor's field of a problem the use case placed at `/subject`, `/html` or `/text`. */
export function fieldOfPointer(pointer: string): string | undefined {
  return (
    { '/subject': 'template-subject', '/html': 'template-html', '/text': 'template-text' } as Record<
      string,
      string
    >
  )[pointer]
}

/** When each type of message is sent, in the administrator's words. */
export const typePurposes: Readonly<Record<TemplateType, string>> = {
  AdminForcedPasswordReset:
    'An administrator forced a reset: the message carries a link to choose a new password.',
  AdminForcedPasswordResetWithOTP:
    'An administrator forced a reset: the message carries a one-time password to sign in with once.',
  PasswordResetSuccess: 'A password was changed: the owner is warned in case it was not them.',
  SelfServiceResetCode:
    'A user asked to reset a forgotten password: the message carries a confirmation code.',
  PasswordExpiryReminder: 'A password expires soon: the message says where to change it.',
}

const placeholderMeanings: Readonly<Record<Placeholder, string>> = {
  'user-name': 'The user’s sign-in name',
  'first-name': 'The user’s given name',
  'last-name': 'The user’s family name',
  'reset-link': 'The single-use link to choose a new password',
  otp: 'The one-time password',
  'confirmation-code': 'The code the user types to confirm the reset',
  'expiry-minutes': 'Minutes until the link or code expires',
  'tenant-domain': 'This organisation’s domain',
  'support-email': 'Whom users contact when a message was unexpected',
}

// What the admin API accepts; the template rules (255-character subject, 100 KiB bodies) are
// the use case's to check, and it refuses longer values with its own words.
const MAX_SUBJECT_INPUT = 1024
const MAX_BODY_INPUT = 262_144

/**
 * The draft a form posted. Browsers send a textarea's line breaks as CRLF whatever was typed;
 * they are read back as the LF the administrator typed, as the API's JSON would carry them.
 * The subject is taken as sent: a line break there is refused by the use case (header injection).
 */
export function draftOf(body: unknown): EmailTemplate {
  const lines = (value: string) => value.replace(/\r\n?/g, '\n')
  return {
    subject: formField(body, 'subject', MAX_SUBJECT_INPUT),
    html: lines(formField(body, 'html', MAX_BODY_INPUT)),
    text: lines(formField(body, 'text', MAX_BODY_INPUT)),
  }
}

/** Where a template's pages live, under the console root. */
export function templatePath(type: string, locale: string): string {
  return `/email/templates/${encodeURIComponent(type)}/${encodeURIComponent(locale)}`
}

/** The placeholders a type may use, which it must use, and the sample value previews show. */
export function placeholdersOf(type: TemplateType, tenant: TenantRow) {
  const samples: Record<string, string | undefined> = {
    ...sampleValues(type),
    'tenant-domain': tenant.domain,
  }
  const required = requiredPlaceholders(type)
  return allowedPlaceholders(type).map((name) => ({
    name,
    required: required.includes(name),
    meaning: placeholderMeanings[name],
    sample: samples[name] ?? '',
  }))
}

export interface EditorState {
  /** The template as stored (or the one a new locale starts from). */
  template: TemplateView
  /** The locale being edited: the template's, or a new one nothing is saved in yet. */
  locale: string
  isNew: boolean
  /** What the form shows: the draft posted, else the template. */
  draft?: EmailTemplate
  rendered?: RenderedEmail
}

/** The editor page's model, without errors and status. */
export function editorModel(state: EditorState, tenant: TenantRow, root: string) {
  const { template, locale, isNew } = state
  const fields = state.draft ?? template
  const path = templatePath(template.type, locale)
  return {
    title: `${template.type} (${locale})`,
    type: template.type,
    locale,
    isNew,
    purpose: typePurposes[template.type],
    customized: !isNew && template.customized,
    hasDefault: DEFAULT_TEMPLATE_LOCALES.includes(locale),
    updatedAt: isNew ? '' : displayTime(template.updatedAt),
    updatedBy: isNew ? null : template.updatedBy,
    startedFrom: isNew ? template.locale : null,
    fields,
    placeholders: placeholdersOf(template.type, tenant),
    rendered: state.rendered,
    renderedIsDraft: state.draft !== undefined,
    path,
    // A locale nothing is saved in has no saved version to show.
    frameSrc: isNew ? null : `${root}${path}/preview.html`,
  }
}
