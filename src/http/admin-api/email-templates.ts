import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Container } from '../../container.ts'
import { AppError, isAppError } from '../../errors/app-error.ts'
import type { TemplateView } from '../../notifications/template-service.ts'
import {
  type EmailTemplate,
  resolveLocale,
  TEMPLATE_FIELDS,
  TEMPLATE_TYPES,
  type TemplateType,
} from '../../notifications/templates/index.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { principalOf, tenantOf } from '../admin-auth-hook.ts'
import { IsoDate } from '../schemas.ts'

const TemplateParams = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 64, description: `One of ${TEMPLATE_TYPES.join(', ')}` }),
  locale: Type.String({
    minLength: 1,
    maxLength: 35,
    description: 'A language tag such as en, fr or pt-BR (fr_FR is read as fr-FR)',
  }),
})

// Lengths here only bound the input; the template rules (255-character subject, 100 KiB
// bodies) are checked on save and answered as template.invalid with positions.
const TemplateFields = {
  subject: Type.String({ maxLength: 1024 }),
  html: Type.String({ maxLength: 262_144 }),
  text: Type.String({ maxLength: 262_144 }),
}
const TemplateBody = Type.Object(TemplateFields, { additionalProperties: false })
const DraftBody = Type.Object(
  {
    subject: Type.Optional(TemplateFields.subject),
    html: Type.Optional(TemplateFields.html),
    text: Type.Optional(TemplateFields.text),
  },
  {
    additionalProperties: false,
    description: 'A draft to render instead of the saved template: all three fields, or none',
  },
)

const TemplateSchema = Type.Object(
  {
    type: Type.String(),
    locale: Type.String(),
    subject: Type.String(),
    html: Type.String(),
    text: Type.String(),
    customized: Type.Boolean({ description: 'false: the shipped default is in use' }),
    updatedAt: Type.Union([IsoDate, Type.Null()]),
    updatedBy: Type.Union([Type.String(), Type.Null()]),
  },
  { title: 'EmailTemplate' },
)
const TemplateSummarySchema = Type.Object({
  type: Type.String(),
  locale: Type.String(),
  customized: Type.Boolean(),
  hasDefault: Type.Boolean({ description: 'A shipped default exists in this locale' }),
  updatedAt: Type.Union([IsoDate, Type.Null()]),
})
const RenderedSchema = Type.Object({ subject: Type.String(), html: Type.String(), text: Type.String() })
const SettingsSchema = Type.Object({
  defaultLocale: Type.String({ description: 'Locale of mail to users without a locale claim' }),
})
const SettingsBody = Type.Object(
  { defaultLocale: Type.String({ minLength: 1, maxLength: 35 }) },
  { additionalProperties: false },
)

/** The draft to preview, or undefined for the saved template; half a draft is refused. */
function draftOf(body: Partial<EmailTemplate> | undefined): EmailTemplate | undefined {
  const missing = TEMPLATE_FIELDS.filter((field) => body?.[field] === undefined)
  if (missing.length === TEMPLATE_FIELDS.length) return undefined
  if (missing.length > 0)
    throw new AppError('request.invalid', {
      detail: 'A draft needs subject, html and text; send none of them to preview the saved template.',
      errors: missing.map((field) => ({
        pointer: `/body/${field}`,
        message: `must have required property '${field}'`,
      })),
    })
  return body as EmailTemplate
}

/**
 * Email templates and the tenant's notification locale. Templates are tenant configuration,
 * so every route needs `config:write`, reads included: a template shows the wording and links
 * the tenant sends, and an editor needs to read what it changes.
 */
export function emailTemplateRoutes(container: Container): FastifyPluginAsyncTypebox {
  const { templates } = container

  /** The template mail in `locale` is written with now: the choice made when mail is queued. */
  async function effectiveTemplate(tenant: TenantRow, type: TemplateType, locale: string) {
    const available = (await templates.list(tenant))
      .filter((summary) => summary.type === type)
      .map((summary) => summary.locale)
    const tenantDefault = await templates.defaultLocale(container.store.db, tenant)
    return templates.get(tenant, type, resolveLocale(available, locale, tenantDefault))
  }

  return async (app) => {
    app.get(
      '/email-templates',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['email templates'],
          summary: 'List email templates: every type in every shipped or saved locale',
          response: { 200: Type.Object({ templates: Type.Array(TemplateSummarySchema) }) },
        },
      },
      async (request) => ({ templates: await templates.list(tenantOf(request)) }),
    )

    app.get(
      '/email-templates/:type/:locale',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['email templates'],
          summary: 'Get an email template: the saved one, else the shipped default',
          params: TemplateParams,
          response: { 200: TemplateSchema },
        },
      },
      async (request) => templates.get(tenantOf(request), request.params.type, request.params.locale),
    )

    app.put(
      '/email-templates/:type/:locale',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['email templates'],
          summary: 'Save an email template (refused with every problem, positioned)',
          params: TemplateParams,
          body: TemplateBody,
          response: { 200: TemplateSchema },
        },
      },
      async (request) =>
        templates.save(
          tenantOf(request),
          request.params.type,
          request.params.locale,
          request.body,
          principalOf(request).actor,
        ),
    )

    app.delete(
      '/email-templates/:type/:locale',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['email templates'],
          summary: 'Reset an email template to the default; answers the template now in effect',
          params: TemplateParams,
          response: { 200: TemplateSchema },
        },
      },
      async (request): Promise<TemplateView> => {
        const tenant = tenantOf(request)
        const { type, locale } = request.params
        // Unknown type, malformed locale, or nothing saved and nothing shipped: answered here.
        const current = await templates.get(tenant, type, locale)
        try {
          return await templates.reset(tenant, current.type, current.locale, principalOf(request).actor)
        } catch (error) {
          // In a locale that ships no default, reset commits the removal and then finds no
          // template of that locale to answer with. Mail in it now falls back to another
          // locale: that template is the answer.
          if (!(current.customized && isAppError(error) && error.code === 'template.not-found')) throw error
          return effectiveTemplate(tenant, current.type, current.locale)
        }
      },
    )

    app.post(
      '/email-templates/:type/:locale/preview',
      {
        config: { permission: 'config:write' },
        // The body is optional: without one, the saved template is rendered.
        preValidation: async (request) => {
          request.body ??= {}
        },
        schema: {
          tags: ['email templates'],
          summary: 'Render an email template, or a draft of it, with sample values',
          params: TemplateParams,
          body: DraftBody,
          response: { 200: RenderedSchema },
        },
      },
      async (request) =>
        templates.preview(
          tenantOf(request),
          request.params.type,
          request.params.locale,
          draftOf(request.body),
        ),
    )

    app.get(
      '/notification-settings',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['email templates'],
          summary: "Get the tenant's notification settings",
          response: { 200: SettingsSchema },
        },
      },
      async (request) => ({
        defaultLocale: await templates.defaultLocale(container.store.db, tenantOf(request)),
      }),
    )

    app.put(
      '/notification-settings',
      {
        config: { permission: 'config:write' },
        schema: {
          tags: ['email templates'],
          summary: 'Set the locale of mail to users without a locale of their own',
          body: SettingsBody,
          response: { 200: SettingsSchema },
        },
      },
      async (request) => ({
        defaultLocale: await templates.setDefaultLocale(
          tenantOf(request),
          request.body.defaultLocale,
          principalOf(request).actor,
        ),
      }),
    )
  }
}
