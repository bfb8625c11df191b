import pino, { type Logger } from 'pino'

/**
 * Paths removed from every log line. Threat: credentials, session ids and codes copied into
 * log storage that many more people can read than the user table.
 */
export const redactedPaths = [
  'password',
  '*.password',
  'newPassword',
  '*.newPassword',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'cookie',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'otp',
  '*.otp',
  'secret',
  '*.secret',
  // One-time codes, reset links and message bodies (they carry both).
  'confirmationCode',
  '*.confirmationCode',
  'resetLink',
  '*.resetLink',
  'link',
  '*.link',
  'html',
  '*.html',
  'text',
  '*.text',
  'body',
  '*.body',
  'values',
  '*.values',
  'smtpUrl',
  '*.smtpUrl',
]

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      base: { service: 'rekey' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  )
}
