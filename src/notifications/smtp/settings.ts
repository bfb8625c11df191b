import type { SmtpCredentials } from './credentials.ts'
import { SmtpConfigError } from './smtp-config-error.ts'
import { parseSmtpUrl } from './smtp-url.ts'

/**
 * How the connection is protected:
 * - `tls`: TLS from the first byte (SMTPS, usually port 465);
 * - `starttls-required`: plain connect, then STARTTLS, and no mail is sent if the server does
 *   not offer it or the upgrade fails;
 * - `starttls-opportunistic`: STARTTLS when the server offers it, plain text otherwise;
 * - `none`: never STARTTLS, even when offered.
 */
export type SmtpSecurity = 'tls' | 'starttls-required' | 'starttls-opportunistic' | 'none'

export interface SmtpSettings {
  host: string
  port: number
  security: SmtpSecurity
  /** Undefined: no AUTH. When set, AUTH is always sent, even if the server does not advertise it. */
  auth: SmtpCredentials | undefined
  /** Default `From` of every message, e.g. `Rekey <no-reply@example.com>`. */
  from: string
  /** Connections kept open to the server. */
  poolSize: number
  /** Messages sent over one connection before it is replaced; 0: no limit. */
  maxMessagesPerConnection: number
  /** Messages handed to the server per second across the pool; 0: no limit. */
  rateLimitPerSecond: number
  /** Time to open the TCP connection. */
  connectionTimeoutMs: number
  /** Time from connecting to the server's 220 greeting. */
  greetingTimeoutMs: number
  /** Longest silence from the server once connected. */
  socketTimeoutMs: number
  /** Check the server certificate against the trusted CAs and the host name. */
  rejectUnauthorized: boolean
  /** PEM file of the CA (or self-signed certificate) to trust instead of the system CAs. */
  caFile: string | undefined
}

/**
 * The timeouts are shorter than nodemailer's (2 minutes to connect, 10 minutes of silence):
 * a notification worker holding a message for minutes against a dead relay delays every
 * message behind it, and a failed attempt is retried anyway. The greeting timeout stays at
 * 30 seconds because some relays delay their greeting on purpose to catch spam software.
 */
export const smtpDefaults = {
  poolSize: 5,
  maxMessagesPerConnection: 0,
  rateLimitPerSecond: 0,
  connectionTimeoutMs: 15_000,
  greetingTimeoutMs: 30_000,
  socketTimeoutMs: 60_000,
  rejectUnauthorized: true,
} as const

/** Everything that is not in the URL, plus any URL value to replace; `from` is required. */
export type SmtpSettingsOverrides = Partial<Omit<SmtpSettings, 'from'>> & { from: string }

/**
 * Settings from an SMTP URL (see `parseSmtpUrl`) plus overrides. Precedence: overrides, then
 * the URL's query options, then `smtpDefaults`. Throws `SmtpConfigError` for unusable values.
 */
export function smtpSettingsFromUrl(url: string, overrides: SmtpSettingsOverrides): SmtpSettings {
  const fromUrl = parseSmtpUrl(url)
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined))
  const settings: SmtpSettings = {
    ...smtpDefaults,
    caFile: undefined,
    ...fromUrl,
    ...defined,
  } as SmtpSettings
  checkSmtpSettings(settings)
  return settings
}

const integerRules: Array<[keyof SmtpSettings, number, number]> = [
  ['port', 1, 65_535],
  ['poolSize', 1, 100],
  ['maxMessagesPerConnection', 0, 1_000_000],
  ['rateLimitPerSecond', 0, 100_000],
  ['connectionTimeoutMs', 100, 600_000],
  ['greetingTimeoutMs', 100, 600_000],
  ['socketTimeoutMs', 100, 3_600_000],
]

const securities: readonly SmtpSecurity[] = ['tls', 'starttls-required', 'starttls-opportunistic', 'none']

/** Throws `SmtpConfigError` naming the first unusable setting. */
export function checkSmtpSettings(settings: SmtpSettings): void {
  if (typeof settings.host !== 'string' || settings.host.trim() === '')
    throw new SmtpConfigError('SMTP host is empty')
  for (const [key, min, max] of integerRules) {
    const value = settings[key]
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      throw new SmtpConfigError(`SMTP ${key} must be a whole number from ${min} to ${max}`)
  }
  if (!securities.includes(settings.security))
    throw new SmtpConfigError(`SMTP security must be one of ${securities.join(', ')}`)
  if (typeof settings.rejectUnauthorized !== 'boolean')
    throw new SmtpConfigError('SMTP rejectUnauthorized must be true or false')
  if (settings.caFile !== undefined && settings.caFile.trim() === '')
    throw new SmtpConfigError('SMTP caFile is empty; leave it out to trust the system CAs')
  // Threat: a line break in the From header would let whoever sets it add headers (Bcc: …).
  if (typeof settings.from !== 'string' || !/^[^\r\n]*@[^\r\n]*$/.test(settings.from.trim()))
    throw new SmtpConfigError('SMTP from must be an address such as "Rekey <no-reply@example.com>"')
}

/** `smtps://user@host:465 (tls)`: where mail goes, without the password, for logs and the CLI. */
export function describeSmtpEndpoint(settings: SmtpSettings): string {
  const scheme = settings.security === 'tls' ? 'smtps' : 'smtp'
  const user = settings.auth ? `${encodeURIComponent(settings.auth.user)}@` : ''
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host
  return `${scheme}://${user}${host}:${settings.port} (${settings.security})`
}
