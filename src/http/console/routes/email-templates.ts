import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import { isAppError } from '../../../errors/app-error.ts'
import {
  DEFAULT_LOCALE,
  DEFAULT_TEMPLATE_LOCALES,
  isTemplateType,
  normalizeLocale,
  TEMPLATE_TYPES,
} from '../../../notifications/templates/index.ts'
import { formField } from '../../pages/kit.ts'
import { type ConsoleErrors, consoleErrorsOf, consoleFieldError } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm, consolePage } from '../route-schema.ts'
import { displayTime, emailModel } from './email-shared.ts'
import {
  draftOf,
  type EditorState,
  editorModel,
  fieldOfPointer,
  isTemplateRefusal,
  type TemplateParams,
  templateParams,
  templatePath,
  typePurposes,
} from './email-template-model.ts'
import { templatePreviewRoutes } from './email-template-preview.ts'

const config = { permission: 'config:write' } as const

/** What the list page's forms show again after a refusal. */
interface ListFormValues {
  defaultLocale?: string
  newType?: string
  newLocale?: string
}

/**
 * Email templates (`config:write`, as in the admin API: a template is tenant configuration and
 * shows the links the tenant sends): the list of every type and locale, the editor with its
 * preview, saving, resetting to the shipped default, and the tenant's default locale.
 */
export function templatePages(container: Container, kit: ConsoleKit) {
  const { templates } = container

  /** The list, with the values and refusal of a form on it when one was refused. */
  async function showList(
    request: FastifyRequest,
    reply: FastifyReply,
    refused?: { errors: ConsoleErrors; status: number; values: ListFormValues },
  ) {
    const { tenant } = kit.context(request)
    const [summaries, defaultLocale] = await Promise.all([
      templates.list(tenant),
      templates.defaultLocale(container.store.db, tenant),
    ])
    return kit.render(
      request,
      reply,
      'email-templates',
      {
        title: 'Email templates',
        ...emailModel(kit, request, 'templates'),
        ...(refused ? { errors: refused.errors } : {}),
        groups: TEMPLATE_TYPES.map((type) => ({
          type,
          purpose: typePurposes[type],
          rows: summaries
            .filter((summary) => summary.type === type)
            .map((summary) => ({
              ...summary,
              updatedAt: displayTime(summary.updatedAt),
              path: templatePath(summary.type, summary.locale),
            })),
        })),
        types: TEMPLATE_TYPES.map((type) => ({ value: type, label: type })),
        defaultLocale: refused?.values.defaultLocale ?? defaultLocale,
        newType: refused?.values.newType ?? '',
        newLocale: refused?.values.newLocale ?? '',
      },
      refused?.status ?? 200,
    )
  }

  async function showEditor(
    request: FastifyRequest,
    reply: FastifyReply,
    state: EditorState,
    errors?: ConsoleErrors,
    status = 200,
  ) {
    const { tenant, root } = kit.context(request)
    return kit.render(
      request,
      reply,
      'email-template-edit',
      {
        ...emailModel(kit, request, 'templates'),
        ...editorModel(state, tenant, root),
        ...(errors ? { errors } : {}),
      },
      status,
    )
  }

  /** The editor again with a draft the use case refused, each problem by its field; faults are thrown. */
  function showRefusedDraft(
    request: FastifyRequest,
    reply: FastifyReply,
    state: EditorState,
    error: unknown,
  ) {
    if (!isTemplateRefusal(error)) throw error
    return showEditor(request, reply, state, consoleErrorsOf(error, fieldOfPointer), error.status)
  }

  /**
   * The template at an address, or, for a locale nothing is saved or shipped in, the template
   * a new one starts from (the English one this tenant sends) with the locale to create.
   */
  async function loadForEditing(request: FastifyRequest): Promise<EditorState> {
    const { tenant } = kit.context(request)
    const { type, locale } = request.params as TemplateParams
    try {
      const template = await templates.get(tenant, type, locale)
      return { template, locale: template.locale, isNew: false }
    } catch (error) {
      const newLocale = normalizeLocale(locale)
      if (!(isAppError(error) && error.code === 'template.not-found' && isTemplateType(type) && newLocale))
        throw error
      return { template: await templates.get(tenant, type, DEFAULT_LOCALE), locale: newLocale, isNew: true }
    }
  }

  return async (app: FastifyInstance) => {
    app.get(
      '/email/templates',
      { schema: consolePage('Email templates: list'), config },
      async (request, reply) => showList(request, reply),
    )

    // A GET form: the editor of a type in a locale, which may be new to this tenant.
    app.get(
      '/email/templates/new',
      {
        schema: consolePage('Email templates: open the editor of a type in a locale', {
          querystring: {
            type: 'object',
            properties: { type: { type: 'string' }, locale: { type: 'string' } },
          },
        }),
        config,
      },
      async (request, reply) => {
        const query = request.query as { type?: string; locale?: string }
        const type = (query.type ?? '').trim()
        const locale = normalizeLocale(query.locale ?? '')
        const values = { newType: type.slice(0, 64), newLocale: (query.locale ?? '').slice(0, 64) }
        if (!isTemplateType(type))
          return showList(request, reply, {
            errors: consoleFieldError('new-type', 'Choose a message type.'),
            status: 400,
            values,
          })
        if (!locale)
          return showList(request, reply, {
            errors: consoleFieldError('new-locale', 'Enter a language tag such as de, pt-BR or fr-CA.'),
            status: 400,
            values,
          })
        return kit.redirect(request, reply, templatePath(type, locale))
      },
    )

    app.post(
      '/email/templates/default-locale',
      { schema: consoleForm('Email templates: set the default locale'), config },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const locale = formField(request.body, 'defaultLocale', 64)
        try {
          await templates.setDefaultLocale(tenant, locale, principal.actor)
        } catch (error) {
          if (!isTemplateRefusal(error)) throw error
          return showList(request, reply, {
            errors: consoleErrorsOf(error, () => 'default-locale'),
            status: error.status,
            values: { defaultLocale: locale },
          })
        }
        return kit.redirect(request, reply, '/email/templates', 'email-default-locale-saved')
      },
    )

    app.get(
      '/email/templates/:type/:locale',
      { schema: consolePage('Email templates: editor', { params: templateParams }), config },
      async (request, reply) => {
        const state = await loadForEditing(request)
        if (state.isNew) return showEditor(request, reply, state)
        const { tenant } = kit.context(request)
        const rendered = await templates.preview(tenant, state.template.type, state.locale)
        return showEditor(request, reply, { ...state, rendered })
      },
    )

    app.post(
      '/email/templates/:type/:locale',
      { schema: consoleForm('Email templates: save', { params: templateParams }), config },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const state = await loadForEditing(request)
        const draft = draftOf(request.body)
        try {
          const saved = await templates.save(
            tenant,
            state.template.type,
            state.locale,
            draft,
            principal.actor,
          )
          return kit.redirect(request, reply, templatePath(saved.type, saved.locale), 'email-template-saved')
        } catch (error) {
          return showRefusedDraft(request, reply, { ...state, draft }, error)
        }
      },
    )

    // Renders a draft without saving it: the subject and text version on the page.
    app.post(
      '/email/templates/:type/:locale/preview',
      { schema: consoleForm('Email templates: preview a draft', { params: templateParams }), config },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant } = kit.context(request)
        const state = await loadForEditing(request)
        const draft = draftOf(request.body)
        try {
          const rendered = await templates.preview(tenant, state.template.type, state.locale, draft)
          return showEditor(request, reply, { ...state, draft, rendered })
        } catch (error) {
          return showRefusedDraft(request, reply, { ...state, draft }, error)
        }
      },
    )

    app.get(
      '/email/templates/:type/:locale/reset',
      {
        schema: consolePage('Email templates: confirm a reset to the default', { params: templateParams }),
        config,
      },
      async (request, reply) => {
        const { tenant } = kit.context(request)
        const { type, locale } = request.params as TemplateParams
        const current = await templates.get(tenant, type, locale)
        return kit.render(request, reply, 'email-template-reset', {
          title: `Reset ${current.type} (${current.locale})`,
          ...emailModel(kit, request, 'templates'),
          type: current.type,
          locale: current.locale,
          customized: current.customized,
          hasDefault: DEFAULT_TEMPLATE_LOCALES.includes(current.locale),
          path: templatePath(current.type, current.locale),
        })
      },
    )

    app.post(
      '/email/templates/:type/:locale/reset',
      { schema: consoleForm('Email templates: reset to the default', { params: templateParams }), config },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const { type, locale } = request.params as TemplateParams
        // Unknown type, malformed locale, or nothing saved and nothing shipped: the error page.
        const current = await templates.get(tenant, type, locale)
        let inEffect: { locale: string } | undefined
        try {
          inEffect = await templates.reset(tenant, current.type, current.locale, principal.actor)
        } catch (error) {
          // In a locale that ships no default the removal is committed before the answer is
          // looked up, and no template of that locale is left to show.
          if (!(current.customized && isAppError(error) && error.code === 'template.not-found')) throw error
        }
        // Nothing ships in that locale: its mail falls back to another one now, and the editor
        // of that other locale is not what the administrator reset.
        if (inEffect?.locale !== current.locale)
          return kit.redirect(request, reply, '/email/templates', 'email-template-removed')
        return kit.redirect(
          request,
          reply,
          templatePath(current.type, current.locale),
          'email-template-reset',
        )
      },
    )

    await app.register(templatePreviewRoutes(container, kit))
  }
}
