import { hostname } from 'node:os'
import type { SendOutcome } from './outcome.ts'
import type { SmtpTransport } from './transport.ts'

/**
 * Sends a short message that proves the SMTP settings work end to end (`rekey smtp test
 * --to ADDRESS`). The outcome carries the server's answer (`250 … queued as …`), which is what
 * an operator looks up in the relay's logs.
 */
export function sendTestMessage(transport: SmtpTransport, to: string): Promise<SendOutcome> {
  const sentAt = new Date().toISOString()
  const host = hostname()
  const text = [
    'This is a test message from Rekey.',
    '',
    `It was sent by "rekey smtp test" on ${host} at ${sentAt} through ${transport.endpoint}.`,
    'If you can read it, Rekey can deliver notifications. No action is needed.',
  ].join('\n')
  const html = [
    '<!doctype html>',
    '<html><body>',
    '<p>This is a test message from Rekey.</p>',
    `<p>It was sent by <code>rekey smtp test</code> on ${escapeHtml(host)} at ${sentAt} through ${escapeHtml(transport.endpoint)}.</p>`,
    '<p>If you can read it, Rekey can deliver notifications. No action is needed.</p>',
    '</body></html>',
  ].join('\n')
  return transport.send({ to, subject: 'Rekey SMTP test', text, html })
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`)
}
