import { type SmtpCredentials, smtpCredentials } from './credentials.ts'
import type { SmtpSecurity, SmtpSettings } from './settings.ts'
import { SmtpConfigError } from './smtp-config-error.ts'

/** What an SMTP URL says: the endpoint, and the query options that were present. */
export interface SmtpUrlOptions
  extends Partial<
    Pick<
      SmtpSettings,
      | 'rejectUnauthorized'
      | 'caFile'
      | 'poolSize'
      | 'maxMessagesPerConnection'
      | 'rateLimitPerSecond'
      | 'connectionTimeoutMs'
      | 'greetingTimeoutMs'
      | 'socketTimeoutMs'
    >
  > {
  host: string
  port: number
  security: SmtpSecurity
  auth: SmtpCredentials | undefined
}

type NumericOption = Exclude<
  keyof SmtpUrlOptions,
  'host' | 'port' | 'security' | 'auth' | 'rejectUnauthorized' | 'caFile'
>

const numericOptions: Record<string, NumericOption> = {
  pool_size: 'poolSize',
  max_messages_per_connection: 'maxMessagesPerConnection',
  rate_limit_per_second: 'rateLimitPerSecond',
  connection_timeout_ms: 'connectionTimeoutMs',
  greeting_timeout_ms: 'greetingTimeoutMs',
  socket_timeout_ms: 'socketTimeoutMs',
}

const starttlsModes: Record<string, SmtpSecurity> = {
  required: 'starttls-required',
  opportunistic: 'starttls-opportunistic',
  off: 'none',
}

const knownOptions = ['starttls', 'tls_reject_unauthorized', 'tls_ca_file', ...Object.keys(numericOptions)]

const shape = 'expected smtp://user:password@host:port or smtps://user:password@host:port'
const encodingHint =
  'characters such as @ : / ? # % in the user or password must be percent-encoded (@ is %40)'

/**
 * Reads an SMTP URL (`REKEY_SMTP_URL`):
 *
 *   smtp://[user:password@]host[:port][?options]    plain connection, then STARTTLS
 *   smtps://[user:password@]host[:port][?options]   TLS from the first byte
 *
 * User and password are percent-decoded. Default ports: 465 for smtps; for smtp 587 (the
 * submission port, RFC 6409) when credentials are given, else 25 (relay).
 *
 * STARTTLS for smtp:// defaults to `required` when credentials are given: with
 * `opportunistic`, an attacker on the path can delete STARTTLS from the server's EHLO answer
 * and read the password the client then sends in clear text. Without credentials it defaults
 * to `opportunistic`, which is what local relays usually need. `starttls=off`, or
 * `opportunistic` against a server without STARTTLS, sends the password in clear text: choose
 * them with credentials only for a relay on the same host or a network you trust.
 *
 * Options (each at most once; unknown names are refused so a misspelt security option is not
 * silently ignored):
 *   starttls=required|opportunistic|off       smtp:// only
 *   tls_reject_unauthorized=true|false         default true; false accepts any certificate
 *   tls_ca_file=/path/ca.pem                   trust this CA (or self-signed certificate)
 *                                              instead of the system CAs
 *   pool_size=N                                connections kept open, default 5
 *   max_messages_per_connection=N              0 (default): no limit
 *   rate_limit_per_second=N                    0 (default): no limit
 *   connection_timeout_ms=N, greeting_timeout_ms=N, socket_timeout_ms=N
 *
 * Throws `SmtpConfigError`. No message repeats the URL or any part of the user information,
 * so none can carry the password; only the scheme, option names and safe option values are
 * quoted.
 */
export function parseSmtpUrl(url: string): SmtpUrlOptions {
  if (typeof url !== 'string' || url.trim() === '') throw new SmtpConfigError(`SMTP URL is empty; ${shape}`)
  const text = url.trim()
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text)?.[1]?.toLowerCase()
  if (scheme === undefined) throw new SmtpConfigError(`SMTP URL has no scheme; ${shape}`)
  if (scheme !== 'smtp' && scheme !== 'smtps')
    throw new SmtpConfigError(`SMTP URL scheme "${scheme}" is not supported; ${shape}`)

  let parsed: URL
  try {
    // The WHATWG parser's own error repeats the input, password included: it is not passed on.
    parsed = new URL(text)
  } catch {
    throw new SmtpConfigError(`SMTP URL is malformed; ${shape}; ${encodingHint}`)
  }
  if (parsed.hash !== '' || text.includes('#'))
    throw new SmtpConfigError(`SMTP URL has a #fragment; ${encodingHint}`)
  if (parsed.pathname !== '' && parsed.pathname !== '/')
    throw new SmtpConfigError(`SMTP URL has a path, which means nothing for SMTP; ${encodingHint}`)
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  if (host === '') throw new SmtpConfigError(`SMTP URL has no host; ${shape}`)

  const auth = credentialsOf(parsed)
  const options = queryOptions(parsed.search)
  if (scheme === 'smtps' && options.starttls !== undefined)
    throw new SmtpConfigError(
      'SMTP URL option starttls applies to smtp:// only; smtps:// is TLS from the start',
    )
  const security: SmtpSecurity =
    scheme === 'smtps' ? 'tls' : (options.starttls ?? (auth ? 'starttls-required' : 'starttls-opportunistic'))
  const port = parsed.port === '' ? defaultPort(scheme, auth) : Number(parsed.port)
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new SmtpConfigError('SMTP URL port must be from 1 to 65535')

  const { starttls: _starttls, ...rest } = options
  return { host, port, security, auth, ...rest }
}

function defaultPort(scheme: 'smtp' | 'smtps', auth: SmtpCredentials | undefined): number {
  if (scheme === 'smtps') return 465
  return auth ? 587 : 25
}

function credentialsOf(parsed: URL): SmtpCredentials | undefined {
  if (parsed.username === '' && parsed.password === '') return undefined
  let user: string
  let pass: string
  try {
    user = decodeURIComponent(parsed.username)
    pass = decodeURIComponent(parsed.password)
  } catch {
    throw new SmtpConfigError(`SMTP URL user or password has a malformed %-escape; ${encodingHint}`)
  }
  if (user === '') throw new SmtpConfigError('SMTP URL has a password but no user; write user:password@host')
  if (pass === '')
    throw new SmtpConfigError('SMTP URL has a user but no password; write user:password@host, or neither')
  return smtpCredentials(user, pass)
}

type QueryOptions = Omit<SmtpUrlOptions, 'host' | 'port' | 'security' | 'auth'> & { starttls?: SmtpSecurity }

/** Quoted in messages only when it cannot be a piece of a mangled password. */
const safeToQuote = (value: string) => /^[A-Za-z0-9_.-]{1,40}$/.test(value)

function queryOptions(search: string): QueryOptions {
  const options: QueryOptions = {}
  const seen = new Set<string>()
  // Read by hand rather than with URLSearchParams, which turns "+" into a space (in a CA
  // file path, say).
  for (const pair of search.replace(/^\?/, '').split('&')) {
    if (pair === '') continue
    const at = pair.indexOf('=')
    let name: string
    let value: string
    try {
      name = decodeURIComponent(at === -1 ? pair : pair.slice(0, at))
      value = decodeURIComponent(at === -1 ? '' : pair.slice(at + 1))
    } catch {
      throw new SmtpConfigError(`SMTP URL query has a malformed %-escape; ${encodingHint}`)
    }
    const label = safeToQuote(name) ? `option ${name}` : 'query option'
    if (!knownOptions.includes(name))
      throw new SmtpConfigError(`SMTP URL ${label} is unknown; known options: ${knownOptions.join(', ')}`)
    if (seen.has(name)) throw new SmtpConfigError(`SMTP URL ${label} is given twice`)
    seen.add(name)
    const shown = safeToQuote(value) ? ` "${value}"` : ''
    if (name === 'starttls') {
      const mode = starttlsModes[value]
      if (!mode)
        throw new SmtpConfigError(`SMTP URL ${label} value${shown} must be required, opportunistic or off`)
      options.starttls = mode
    } else if (name === 'tls_reject_unauthorized') {
      if (value !== 'true' && value !== 'false')
        throw new SmtpConfigError(`SMTP URL ${label} value${shown} must be true or false`)
      options.rejectUnauthorized = value === 'true'
    } else if (name === 'tls_ca_file') {
      if (value === '') throw new SmtpConfigError(`SMTP URL ${label} needs a file path`)
      options.caFile = value
    } else {
      if (!/^\d{1,9}$/.test(value))
        throw new SmtpConfigError(`SMTP URL ${label} value${shown} must be a whole number`)
      options[numericOptions[name]!] = Number(value)
    }
  }
  return options
}
