export { type SmtpCredentials, smtpCredentials } from './credentials.ts'
export { normalizeMessageId, type OutgoingMessage } from './message.ts'
export type {
  FailedOutcome,
  PermanentOutcome,
  SendOutcome,
  SentOutcome,
  TemporaryOutcome,
} from './outcome.ts'
export type { VerifyOutcome } from './probe.ts'
export {
  checkSmtpSettings,
  describeSmtpEndpoint,
  type SmtpSecurity,
  type SmtpSettings,
  type SmtpSettingsOverrides,
  smtpDefaults,
  smtpSettingsFromUrl,
} from './settings.ts'
export { SmtpConfigError } from './smtp-config-error.ts'
export { parseSmtpUrl, type SmtpUrlOptions } from './smtp-url.ts'
export { sendTestMessage } from './test-message.ts'
export { SmtpTransport } from './transport.ts'
