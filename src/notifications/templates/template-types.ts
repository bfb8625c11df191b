import type { Placeholder } from './placeholders.ts'

/** The messages the notification subsystem sends; each has its own template per locale. */
export const TEMPLATE_TYPES = [
  /** An administrator forced a reset; the message carries a link to choose a new password. */
  'AdminForcedPasswordReset',
  /** An administrator forced a reset; the message carries a one-time password to sign in with once. */
  'AdminForcedPasswordResetWithOTP',
  /** The password was changed; the message warns the owner in case it was not them. */
  'PasswordResetSuccess',
  /** The user asked to reset a forgotten password; the message carries a confirmation code. */
  'SelfServiceResetCode',
  /** The password expires soon; the message points to where it can be changed. */
  'PasswordExpiryReminder',
] as const

export type TemplateType = (typeof TEMPLATE_TYPES)[number]

const templateTypeSet: ReadonlySet<string> = new Set(TEMPLATE_TYPES)

export function isTemplateType(value: string): value is TemplateType {
  return templateTypeSet.has(value)
}

interface PlaceholderRules {
  /** What a template of the type may use; a flow only has values for these. */
  allowed: readonly Placeholder[]
  /**
   * What the html and the text body must each contain: the secret the message exists to
   * deliver. Both bodies, because a mail client shows only one of the alternatives.
   */
  required: readonly Placeholder[]
}

const aboutTheRecipient: readonly Placeholder[] = [
  'user-name',
  'first-name',
  'last-name',
  'tenant-domain',
  'support-email',
]

const rules: Readonly<Record<TemplateType, PlaceholderRules>> = {
  AdminForcedPasswordReset: {
    allowed: [...aboutTheRecipient, 'reset-link', 'expiry-minutes'],
    required: ['reset-link'],
  },
  AdminForcedPasswordResetWithOTP: {
    allowed: [...aboutTheRecipient, 'otp', 'expiry-minutes'],
    required: ['otp'],
  },
  PasswordResetSuccess: {
    allowed: aboutTheRecipient,
    required: [],
  },
  SelfServiceResetCode: {
    // The link is optional: a flow that sends only a code leaves it out of its template.
    allowed: [...aboutTheRecipient, 'confirmation-code', 'reset-link', 'expiry-minutes'],
    required: ['confirmation-code'],
  },
  PasswordExpiryReminder: {
    // No expiry-minutes: it would read as the password's expiry, which is days away, not the link's.
    allowed: [...aboutTheRecipient, 'reset-link'],
    required: [],
  },
}

export function allowedPlaceholders(type: TemplateType): readonly Placeholder[] {
  return rules[type].allowed
}

export function requiredPlaceholders(type: TemplateType): readonly Placeholder[] {
  return rules[type].required
}

export function isAllowedPlaceholder(type: TemplateType, name: Placeholder): boolean {
  return rules[type].allowed.includes(name)
}
