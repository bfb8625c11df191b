import type { FastifyInstance } from 'fastify'
import type { Container } from '../../../container.ts'
import { consoleErrorsOf } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm, consolePage } from '../route-schema.ts'
import { sendPreview, usePreviewHeaders } from './email-shared.ts'
import { draftOf, isTemplateRefusal, type TemplateParams, templateParams } from './email-template-model.ts'

const config = { permission: 'config:write' } as const

/**
 * The HTML version of a template rendered with sample values, as the editor's preview frame
 * loads it: the saved template by GET (the frame's `src`), a draft by a form post the editor
 * targets at the frame. Either answer carries the preview's own policy headers: the HTML is
 * whatever the template's author wrote.
 */
export function templatePreviewRoutes(container: Container, kit: ConsoleKit) {
  const { templates } = container
  return async (app: FastifyInstance) => {
    app.get(
      '/email/templates/:type/:locale/preview.html',
      {
        schema: consolePage('Email templates: the saved template as HTML', { params: templateParams }),
        config,
      },
      async (request, reply) => {
        const { tenant } = kit.context(request)
        const { type, locale } = request.params as TemplateParams
        const rendered = await templates.preview(tenant, type, locale)
        return sendPreview(reply, rendered.html)
      },
    )

    app.post(
      '/email/templates/:type/:locale/preview.html',
      { schema: consoleForm('Email templates: a draft as HTML', { params: templateParams }), config },
      async (request, reply) => {
        // Whatever answers here is shown in the frame, a refused form included.
        usePreviewHeaders(reply)
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant } = kit.context(request)
        const { type, locale } = request.params as TemplateParams
        try {
          const rendered = await templates.preview(tenant, type, locale, draftOf(request.body))
          return sendPreview(reply, rendered.html)
        } catch (error) {
          if (!isTemplateRefusal(error)) throw error
          return kit.render(
            request,
            reply,
            'email-preview-problem',
            { title: 'The draft cannot be shown', errors: consoleErrorsOf(error) },
            error.status,
          )
        }
      },
    )
  }
}
