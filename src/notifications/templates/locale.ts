/** The locale every lookup ends at; the shipped default templates always include it. */
export const DEFAULT_LOCALE = 'en'

/** RFC 5646 asks implementations to accept tags of at least this length; longer ones are refused. */
const MAX_LOCALE_LENGTH = 35

const language = /^[A-Za-z]{2,3}$/
const script = /^[A-Za-z]{4}$/
const region = /^(?:[A-Za-z]{2}|[0-9]{3})$/
const variant = /^[A-Za-z0-9]{1,8}$/

/**
 * The canonical form of a locale tag, or undefined when it is not one. Accepts `fr`, `fr-FR`,
 * `fr_FR` (the form of Java and of user claims), in any case, with an optional script and
 * variants: `FR_fr` gives `fr-FR`, `zh_hant_tw` gives `zh-Hant-TW`. The result holds only
 * letters, digits and hyphens, so it is safe as a storage key; the threat is a locale such as
 * `../x` reaching a file path or a key space it should not.
 */
export function normalizeLocale(tag: string): string | undefined {
  const trimmed = tag.trim()
  if (trimmed.length === 0 || trimmed.length > MAX_LOCALE_LENGTH) return undefined
  const [first, ...rest] = trimmed.split(/[-_]/)
  if (first === undefined || !language.test(first)) return undefined
  const subtags = [first.toLowerCase()]
  let index = 0
  if (rest[index] !== undefined && script.test(rest[index]!)) {
    const name = rest[index++]!
    subtags.push(name[0]!.toUpperCase() + name.slice(1).toLowerCase())
  }
  if (rest[index] !== undefined && region.test(rest[index]!)) subtags.push(rest[index++]!.toUpperCase())
  for (const subtag of rest.slice(index)) {
    if (!variant.test(subtag)) return undefined
    subtags.push(subtag.toLowerCase())
  }
  return subtags.join('-')
}

export function isValidLocale(tag: string): boolean {
  return normalizeLocale(tag) !== undefined
}

/**
 * The locale to use from those `available` (returned as spelled there): the user's locale
 * first, then the tenant's default, then `en` (returned even when not available). Each
 * preference is tried as given, then with its last subtag dropped until only the language is
 * left (`fr-CA` → `fr`), then as any available locale of the same language (`fr-CA` → `fr-FR`).
 * Missing and malformed preferences are skipped.
 */
export function resolveLocale(
  available: Iterable<string>,
  userLocale?: string | null,
  tenantDefault?: string | null,
): string {
  const byTag = new Map<string, string>()
  for (const locale of available) {
    const tag = normalizeLocale(locale)
    if (tag !== undefined && !byTag.has(tag)) byTag.set(tag, locale)
  }
  for (const preference of [userLocale, tenantDefault]) {
    const match = preference == null ? undefined : bestMatch(byTag, preference)
    if (match !== undefined) return match
  }
  return byTag.get(DEFAULT_LOCALE) ?? DEFAULT_LOCALE
}

function bestMatch(byTag: ReadonlyMap<string, string>, preference: string): string | undefined {
  const tag = normalizeLocale(preference)
  if (tag === undefined) return undefined
  const subtags = tag.split('-')
  for (let length = subtags.length; length > 0; length--) {
    const match = byTag.get(subtags.slice(0, length).join('-'))
    if (match !== undefined) return match
  }
  const sameLanguage = `${subtags[0]}-`
  for (const [candidate, locale] of byTag) if (candidate.startsWith(sameLanguage)) return locale
  return undefined
}
