import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import { isAppError } from '../../../errors/app-error.ts'
import { formField } from '../../pages/kit.ts'
import { type ConsoleErrors, consoleErrorsOf, consoleFieldError, consoleFormError } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm, consolePage } from '../route-schema.ts'
import { isTestAddress, relayOf } from './email-relay.ts'
import { displayTime, emailModel } from './email-shared.ts'

const config = { permission: 'config:write' } as const

/** What the page shows again after a form on it was posted. */
interface SmtpPageState {
  errors?: ConsoleErrors
  notice?: string
  testTo?: string
  relayFrom?: string
}

const MAX_URL = 2048
const MAX_FROM = 320

/** Refusals the relay form shows by its fields. */
const relayFieldOf = (pointer: string) => ({ '/url': 'smtp-url', '/from': 'smtp-from' })[pointer]

/**
 * The relay (`config:write`, as the admin API's SMTP routes): where this organisation's mail
 * goes, a test message through that route with the relay's answer, and the organisation's own
 * relay when the server allows one (`smtp.allow_tenant_relays`). The relay URL is a password
 * field, never shown again: the page names the relay as `smtp://user@host:port`.
 */
export function smtpPages(container: Container, kit: ConsoleKit) {
  const { outbox, tenantSmtp } = container

  async function show(request: FastifyRequest, reply: FastifyReply, state: SmtpPageState = {}, status = 200) {
    const { tenant } = kit.context(request)
    const { tenantRelay, inEffect } = await relayOf(container, tenant)
    return kit.render(
      request,
      reply,
      'email-smtp',
      {
        title: 'Relay (SMTP)',
        ...emailModel(kit, request, 'smtp'),
        ...(state.errors ? { errors: state.errors } : {}),
        ...(state.notice ? { notice: state.notice } : {}),
        inEffect,
        tenantRelay: { ...tenantRelay, updatedAt: displayTime(tenantRelay.updatedAt) },
        allowTenantRelays: container.config.smtp.allow_tenant_relays,
        testTo: state.testTo ?? '',
        relayFrom: state.relayFrom ?? tenantRelay.from ?? '',
      },
      status,
    )
  }

  return async (app: FastifyInstance) => {
    app.get(
      '/email/smtp',
      { schema: consolePage('Email: relay settings and test'), config },
      async (request, reply) => show(request, reply),
    )

    // The relay's answer is shown on the page it came back to, not carried through a redirect:
    // notices after a redirect are fixed sentences, so a link can never make the console say
    // arbitrary text.
    app.post(
      '/email/smtp/test',
      { schema: consoleForm('Email: send a test message through the relay'), config },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const to = formField(request.body, 'to', 320)
        if (!isTestAddress(to))
          return show(
            request,
            reply,
            {
              errors: consoleFieldError('smtp-test-to', 'Enter one email address, such as ops@example.com.'),
              testTo: to,
            },
            400,
          )
        try {
          const outcome = await outbox.sendTest(tenant, to, principal.actor)
          if (outcome.kind === 'sent')
            return show(request, reply, {
              notice: `The relay ${outcome.endpoint} accepted the test message to ${to}. Its answer: ${outcome.response}`,
              testTo: to,
            })
          const code = outcome.responseCode ? ` (reply code ${outcome.responseCode})` : ''
          const verdict =
            outcome.kind === 'temporary'
              ? 'could not deliver the test message for now'
              : 'refused the test message'
          return show(request, reply, {
            errors: consoleFormError(`The relay ${outcome.endpoint} ${verdict}${code}: ${outcome.reason}`),
            testTo: to,
          })
        } catch (error) {
          if (!(isAppError(error) && error.code === 'smtp.not-configured')) throw error
          return show(request, reply, { errors: consoleErrorsOf(error), testTo: to }, error.status)
        }
      },
    )

    app.post(
      '/email/smtp',
      { schema: consoleForm("Email: save this organisation's relay"), config },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const url = formField(request.body, 'url', MAX_URL)
        const from = formField(request.body, 'from', MAX_FROM)
        // The admin API's bounds, refused the same way before the use case reads anything.
        const tooLong =
          url.length > MAX_URL
            ? consoleFieldError('smtp-url', `The URL is longer than ${MAX_URL} characters.`)
            : from.length > MAX_FROM
              ? consoleFieldError('smtp-from', `The From address is longer than ${MAX_FROM} characters.`)
              : undefined
        if (tooLong) return show(request, reply, { errors: tooLong, relayFrom: from.slice(0, MAX_FROM) }, 400)
        try {
          await tenantSmtp.save(tenant, { url, from }, principal.actor)
        } catch (error) {
          if (!(isAppError(error) && error.code === 'smtp.invalid')) throw error
          // The URL is never sent back to the browser: it may hold the relay password.
          return show(
            request,
            reply,
            { errors: consoleErrorsOf(error, relayFieldOf), relayFrom: from },
            error.status,
          )
        }
        return kit.redirect(request, reply, '/email/smtp', 'email-smtp-saved')
      },
    )

    app.post(
      '/email/smtp/remove',
      { schema: consoleForm("Email: remove this organisation's relay"), config },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const removed = await tenantSmtp.remove(tenant, principal.actor)
        return kit.redirect(request, reply, '/email/smtp', removed ? 'email-smtp-removed' : 'email-smtp-none')
      },
    )
  }
}
