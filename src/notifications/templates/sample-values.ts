import type { Placeholder } from './placeholders.ts'
import type { TemplateValues } from './render.ts'
import { allowedPlaceholders, type TemplateType } from './template-types.ts'

/**
 * Realistic example values, for previews in the admin interface. Nothing here is a working
 * secret: the link's token is the word EXAMPLE and the addresses are under example.com.
 */
const examples: Readonly<Record<Placeholder, string>> = {
  'user-name': 'alex',
  'first-name': 'Alex',
  'last-name': 'Example',
  'reset-link': 'https://rekey.example/reset?token=EXAMPLE',
  otp: 'K7Q2M9XD',
  'confirmation-code': '482913',
  'expiry-minutes': '30',
  'tenant-domain': 'example.com',
  'support-email': 'support@example.com',
}

/** Short-lived codes expire sooner than links, as a flow would configure them. */
const expiryMinutes: Partial<Record<TemplateType, string>> = {
  AdminForcedPasswordResetWithOTP: '60',
  SelfServiceResetCode: '15',
}

/** A value for every placeholder the type allows, and for no other. */
export function sampleValues(type: TemplateType): TemplateValues {
  const values: Partial<Record<Placeholder, string>> = {}
  for (const name of allowedPlaceholders(type)) values[name] = examples[name]
  if (values['expiry-minutes'] !== undefined)
    values['expiry-minutes'] = expiryMinutes[type] ?? examples['expiry-minutes']
  return values
}
