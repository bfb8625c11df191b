import type { MessageKey } from './messages/catalogue.ts'

/**
 * Notices a redirect may ask a page to show (`?m=…`). Only these names are read: a link can
 * never make a page say arbitrary text.
 */
const notices = {
  'signed-out': 'login.signed-out',
  'password-changed': 'login.password-changed',
  'session-ended': 'login.session-ended',
  'account-password-changed': 'account.change.done',
  'prompt-done': 'account.prompt-done',
  'security-answers-saved': 'account.security.done',
  'password-reset': 'forgot.done',
} as const satisfies Record<string, MessageKey>

export type NoticeName = keyof typeof notices

export function noticeKey(query: unknown): MessageKey | undefined {
  const name = (query as { m?: unknown } | undefined)?.m
  return typeof name === 'string' && Object.hasOwn(notices, name) ? notices[name as NoticeName] : undefined
}
