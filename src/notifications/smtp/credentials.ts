import { inspect } from 'node:util'

export interface SmtpCredentials {
  readonly user: string
  readonly pass: string
}

const redacted = '[redacted]'

/**
 * SMTP credentials that print without their password: `JSON.stringify` (so pino) and
 * `util.inspect` (so console.log and assertion diffs) show `[redacted]`. Threat: a settings
 * object logged whole while debugging puts the relay password in the logs.
 */
export function smtpCredentials(user: string, pass: string): SmtpCredentials {
  const credentials = { user, pass }
  Object.defineProperties(credentials, {
    toJSON: { value: () => ({ user, pass: redacted }), enumerable: false },
    [inspect.custom]: { value: () => `SmtpCredentials { user: ${inspect(user)}, pass: '${redacted}' }` },
  })
  return Object.freeze(credentials)
}

/**
 * Removes the password from text that came from elsewhere (a server reply, a library error)
 * before it becomes a failure reason. Servers have been seen echoing a rejected AUTH line, so
 * the base64 forms that AUTH PLAIN and AUTH LOGIN put on the wire are removed as well.
 */
export function passwordRedactor(credentials: SmtpCredentials | undefined): (text: string) => string {
  if (!credentials || credentials.pass === '') return (text) => text
  const { user, pass } = credentials
  const base64 = (value: string) => Buffer.from(value, 'utf8').toString('base64')
  const forms = [
    base64(`\u0000${user}\u0000${pass}`),
    base64(`${user}\u0000${user}\u0000${pass}`),
    base64(pass),
    encodeURIComponent(pass),
    pass,
  ]
    .filter((form, index, all) => form !== '' && all.indexOf(form) === index)
    // Longest first, so a short form inside a longer one does not leave the rest behind.
    .sort((a, b) => b.length - a.length)
  return (text) => forms.reduce((result, form) => result.split(form).join(redacted), text)
}
