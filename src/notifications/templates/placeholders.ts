/**
 * The names a template may use as `{{name}}`. The list is closed: a template naming anything
 * else is refused when it is saved, so a typo never reaches a recipient as an empty gap.
 */
export const PLACEHOLDERS = [
  'user-name',
  'first-name',
  'last-name',
  'reset-link',
  'otp',
  'confirmation-code',
  'expiry-minutes',
  'tenant-domain',
  'support-email',
] as const

export type Placeholder = (typeof PLACEHOLDERS)[number]

const placeholderSet: ReadonlySet<string> = new Set(PLACEHOLDERS)

export function isPlaceholder(name: string): name is Placeholder {
  return placeholderSet.has(name)
}

/**
 * Values that let whoever reads them take over the account. They may not appear in a subject:
 * subjects are shown on lock screens and in notification previews, and mail servers log them.
 */
export const SECRET_PLACEHOLDERS: ReadonlySet<Placeholder> = new Set([
  'reset-link',
  'otp',
  'confirmation-code',
])

const looseKey = (name: string): string => name.toLowerCase().replace(/[-_.]/g, '')
const byLooseKey = new Map<string, Placeholder>(PLACEHOLDERS.map((name) => [looseKey(name), name]))

/** The known placeholder a misspelt name most likely meant: `{{userName}}`, `{{first_name}}`. */
export function suggestPlaceholder(name: string): Placeholder | undefined {
  return byLooseKey.get(looseKey(name))
}
