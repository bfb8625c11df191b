import { en } from './defaults/en.ts'
import { fr } from './defaults/fr.ts'
import type { EmailTemplate } from './email-template.ts'
import { resolveLocale } from './locale.ts'
import type { TemplateType } from './template-types.ts'

function frozen(templates: Readonly<Record<TemplateType, EmailTemplate>>) {
  for (const template of Object.values(templates)) Object.freeze(template)
  return Object.freeze(templates)
}

/**
 * The templates Rekey ships, by canonical locale. They are frozen: they are shared by every
 * tenant, and a caller editing one in place would change every tenant's mail.
 */
export const DEFAULT_TEMPLATES: Readonly<Record<string, Readonly<Record<TemplateType, EmailTemplate>>>> =
  Object.freeze({ en: frozen(en), fr: frozen(fr) })

export const DEFAULT_TEMPLATE_LOCALES: readonly string[] = Object.freeze(Object.keys(DEFAULT_TEMPLATES))

/** The shipped template of a type in the closest shipped locale (see resolveLocale); `en` at worst. */
export function defaultTemplate(
  type: TemplateType,
  userLocale?: string | null,
  tenantDefault?: string | null,
): EmailTemplate {
  const locale = resolveLocale(DEFAULT_TEMPLATE_LOCALES, userLocale, tenantDefault)
  return DEFAULT_TEMPLATES[locale]![type]
}
