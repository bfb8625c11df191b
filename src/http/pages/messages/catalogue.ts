import { rankedLocaleTags } from '../../accept-language.ts'
import { en, type MessageKey } from './en.ts'

export type { MessageKey } from './en.ts'

export type Catalogue = Readonly<Record<MessageKey, string>>

/** Every locale the pages speak; a new one is one more entry with every key of `en`. */
const catalogues: Readonly<Record<string, Catalogue>> = { en }

export const defaultLocale = 'en'

export type Translate = (key: MessageKey, values?: Readonly<Record<string, string | number>>) => string

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key)
}

/** The best supported locale for an `Accept-Language` header (quality values respected). */
export function negotiateLocale(acceptLanguage: string | undefined): string {
  for (const tag of rankedLocaleTags(acceptLanguage)) {
    const language = tag.toLowerCase().split('-')[0] ?? ''
    if (Object.hasOwn(catalogues, language)) return language
  }
  return defaultLocale
}

/** A translator for one locale: a missing value falls back to English, then to the key. */
export function translator(locale: string): Translate {
  const catalogue = catalogues[locale] ?? en
  return (key, values) => {
    const template: string = catalogue[key] ?? en[key] ?? key
    return values
      ? template.replace(/\{([a-z-]+)\}/g, (whole, name: string) =>
          Object.hasOwn(values, name) ? String(values[name]) : whole,
        )
      : template
  }
}
