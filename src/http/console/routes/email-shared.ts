import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Permission } from '../../../domain/permissions.ts'
import { emailPreviewHeaders } from '../../security-headers.ts'
import type { ConsoleKit } from '../kit.ts'

/** A page of the email area, with the permission its routes need (those of the admin API). */
export interface EmailPart {
  key: 'templates' | 'smtp' | 'outbox' | 'mailbox'
  label: string
  path: string
  permission: Permission
  purpose: string
}

export const emailParts: readonly EmailPart[] = [
  {
    key: 'templates',
    label: 'Templates',
    path: '/email/templates',
    permission: 'config:write',
    purpose: 'The wording of every message, per language: edit, preview with sample values, reset.',
  },
  {
    key: 'smtp',
    label: 'Relay (SMTP)',
    path: '/email/smtp',
    permission: 'config:write',
    purpose: 'Where mail goes, a test message through the relay, and this organisation’s own relay.',
  },
  {
    key: 'outbox',
    label: 'Outbox',
    path: '/email/outbox',
    permission: 'audit:read',
    purpose: 'Every message queued, sent or dead, with its attempts and errors; resend one.',
  },
  {
    key: 'mailbox',
    label: 'Mailbox',
    path: '/email/mailbox',
    permission: 'audit:read',
    purpose: 'Mail kept by the server when no relay is configured; opening a message is audited.',
  },
]

/** The email pages this administrator may open, for the landing page and the sub-navigation. */
export function emailPartsFor(kit: ConsoleKit, request: FastifyRequest): EmailPart[] {
  return emailParts.filter((part) => kit.can(request, part.permission))
}

/** What every email page passes to the layout: its section, and the sub-navigation. */
export function emailModel(kit: ConsoleKit, request: FastifyRequest, current?: EmailPart['key']) {
  return {
    section: 'email',
    emailNav: emailPartsFor(kit, request).map((part) => ({ ...part, current: part.key === current })),
  }
}

/** `2026-01-31 14:05 UTC`: one zone for every reader, as the audit log and the relay logs use. */
export function displayTime(iso: string | null): string {
  if (!iso) return ''
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}

/** A message id in a path: anything that is not one of this tenant's ids is "not found". */
export const messageParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['id'],
}

const previewHeaders = emailPreviewHeaders()

/**
 * Answers a rendered email for the console's preview frame, with the preview's own headers in
 * place of the console's (see `emailPreviewHeaders`): the HTML is the message's, not ours.
 */
export function sendPreview(reply: FastifyReply, html: string, status = 200) {
  return reply.code(status).headers(previewHeaders).type('text/html; charset=utf-8').send(html)
}

/** Sets the preview headers early, so that even a refusal shown in the frame is sandboxed. */
export function usePreviewHeaders(reply: FastifyReply): void {
  reply.headers(previewHeaders)
}
