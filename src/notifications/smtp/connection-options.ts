import { readFileSync } from 'node:fs'
import type { SMTPConnectionOptions } from 'nodemailer'
import type { SMTPPoolOptions } from 'nodemailer/lib/smtp-pool'
import type { SmtpSettings } from './settings.ts'
import { SmtpConfigError } from './smtp-config-error.ts'

/** Reads `caFile` once, so a missing file is a configuration error at start, not per message. */
export function readCa(settings: SmtpSettings): Buffer | undefined {
  if (settings.caFile === undefined) return undefined
  try {
    return readFileSync(settings.caFile)
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable'
    throw new SmtpConfigError(`SMTP caFile ${settings.caFile} cannot be read (${code})`)
  }
}

/** The connection half of the nodemailer options: where to connect, how to protect it, timeouts. */
export function connectionOptions(settings: SmtpSettings, ca: Buffer | undefined): SMTPConnectionOptions {
  return {
    host: settings.host,
    port: settings.port,
    secure: settings.security === 'tls',
    requireTLS: settings.security === 'starttls-required',
    ignoreTLS: settings.security === 'none',
    // Never fall back to plain text after a failed STARTTLS handshake: an attacker able to
    // break the handshake would otherwise get the session in clear.
    opportunisticTLS: false,
    tls: {
      rejectUnauthorized: settings.rejectUnauthorized,
      // Threat: a downgrade to SSLv3/TLS 1.0/1.1, whose weaknesses expose the session.
      minVersion: 'TLSv1.2',
      ...(ca ? { ca } : {}),
    },
    connectionTimeout: settings.connectionTimeoutMs,
    dnsTimeout: settings.connectionTimeoutMs,
    greetingTimeout: settings.greetingTimeoutMs,
    socketTimeout: settings.socketTimeoutMs,
  }
}

/**
 * The pooled transport's options. `forceAuth`: configured credentials are always presented,
 * even when the server's EHLO answer does not list AUTH; by default nodemailer would then
 * send unauthenticated, and the relay may treat that session under another policy.
 */
export function poolOptions(
  settings: SmtpSettings,
  ca: Buffer | undefined,
): SMTPPoolOptions & { pool: true } {
  return {
    ...connectionOptions(settings, ca),
    pool: true,
    maxConnections: settings.poolSize,
    maxMessages:
      settings.maxMessagesPerConnection === 0 ? Number.POSITIVE_INFINITY : settings.maxMessagesPerConnection,
    ...(settings.rateLimitPerSecond > 0 ? { rateLimit: settings.rateLimitPerSecond, rateDelta: 1000 } : {}),
    ...(settings.auth
      ? { auth: { user: settings.auth.user, pass: settings.auth.pass }, forceAuth: true }
      : {}),
  }
}
