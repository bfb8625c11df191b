/**
 * An SMTP URL or setting that cannot be used. The message names what is wrong and how to write
 * it instead; it never repeats the password, nor the URL that carries it (threat: secrets
 * copied into logs, terminal scrollback and bug reports along with the error).
 */
export class SmtpConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SmtpConfigError'
  }
}
