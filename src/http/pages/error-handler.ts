import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AppError } from '../../errors/app-error.ts'
import { toAppError } from '../problem.ts'
import type { PageKit } from './kit.ts'
import type { MessageKey } from './messages/catalogue.ts'

function messageKeyOf(error: AppError): MessageKey {
  if (error.code === 'tenant.not-found') return 'error.tenant-not-found'
  if (error.code === 'auth.rate-limited') return 'error.rate-limited'
  if (error.code === 'store.unavailable') return 'error.unavailable'
  if (error.status >= 500) return 'error.internal'
  return 'error.bad-request'
}

/**
 * The pages' own error handler: anything a handler did not turn into a form message becomes
 * a page in the same look (never a JSON problem, never a stack trace), with the status the
 * error catalogue gives it. Only real failures (5xx) are logged as errors.
 */
export function pageErrorHandler(kit: PageKit) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toAppError(error)
    if (appError.status >= 500) request.log.error({ err: error, code: appError.code }, 'page failed')
    const { t, base } = kit.place(request)
    return kit.render(
      request,
      reply,
      'message',
      {
        title: t('error.title'),
        heading: t('error.title'),
        body: t(messageKeyOf(appError)),
        link: { href: `${appError.code === 'tenant.not-found' ? '' : base}/login`, text: t('error.back') },
      },
      appError.status,
    )
  }
}
