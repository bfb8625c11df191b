import { CachedSetting, SETTING_CACHE_MS } from '../admin/policies/cached-setting.ts'
import type { Clock } from '../domain/clock.ts'
import { AppError } from '../errors/app-error.ts'
import type { Actor, AuditLog } from '../observability/audit.ts'
import { type Executor, inTransaction } from '../persistence/executor.ts'
import { fixedQuery } from '../persistence/fixed-query.ts'
import { tenantSettingsRepository } from '../persistence/repositories/tenant-settings.ts'
import type { TenantRow } from '../persistence/repositories/tenants.ts'
import type { EmailTemplatesTable } from '../persistence/tables.ts'
import {
  type CompiledTemplate,
  compileTemplate,
  DEFAULT_LOCALE,
  DEFAULT_TEMPLATE_LOCALES,
  DEFAULT_TEMPLATES,
  type EmailTemplate,
  isTemplateType,
  normalizeLocale,
  type RenderedEmail,
  renderTemplate,
  resolveLocale,
  sampleValues,
  TEMPLATE_TYPES,
  type TemplateProblem,
  type TemplateType,
  type TemplateValues,
  validateTemplate,
} from './templates/index.ts'

/** The tenant setting naming the locale of mail to users without a locale of their own. */
export const DEFAULT_LOCALE_SETTING = 'notifications.default_locale'

export interface TemplateView extends EmailTemplate {
  type: TemplateType
  locale: string
  /** False: the shipped default is in use. */
  customized: boolean
  updatedAt: string | null
  updatedBy: string | null
}

export interface TemplateSummary {
  type: TemplateType
  locale: string
  customized: boolean
  /** A shipped default exists in this locale (resetting restores it). */
  hasDefault: boolean
  updatedAt: string | null
}

/** Compiled templates by their text: compiling is parsing, and the same text compiles alike. */
const COMPILED_CACHE_LIMIT = 500

/** A tenant's saved templates of one type, every locale: read for each message queued. */
const templatesOfType = fixedQuery<{ tenantId: string; type: string }, EmailTemplatesTable>((db, p) =>
  db
    .selectFrom('email_templates')
    .selectAll()
    .where('tenant_id', '=', p('tenantId'))
    .where('type', '=', p('type')),
)

/**
 * Email templates per tenant, type and locale: the shipped defaults, overridden by templates
 * an administrator saved. Saving validates (unknown or disallowed placeholders, broken syntax,
 * a missing link or code) and refuses with every problem, positioned.
 */
export class TemplateService {
  private readonly compiled = new Map<string, CompiledTemplate>()
  /** By the template object itself, which a saved row's changes never reach (rows are read anew). */
  private readonly compiledByObject = new WeakMap<
    EmailTemplate,
    { type: TemplateType; compiled: CompiledTemplate }
  >()

  /**
   * The default locale as messages are addressed with it: read for every message queued (every
   * forced reset) and changed about never, so remembered like the tenant's policies.
   */
  private readonly messageLocales: CachedSetting<string>

  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {
    this.messageLocales = new CachedSetting(clock, SETTING_CACHE_MS, (tenantId, db) =>
      this.storedDefaultLocale(db, tenantId),
    )
  }

  async list(tenant: TenantRow): Promise<TemplateSummary[]> {
    const stored = await this.db
      .selectFrom('email_templates')
      .select(['type', 'locale', 'updated_at'])
      .where('tenant_id', '=', tenant.id)
      .execute()
    const summaries = new Map<string, TemplateSummary>()
    for (const type of TEMPLATE_TYPES)
      for (const locale of DEFAULT_TEMPLATE_LOCALES)
        summaries.set(`${type}/${locale}`, {
          type,
          locale,
          customized: false,
          hasDefault: true,
          updatedAt: null,
        })
    for (const row of stored) {
      if (!isTemplateType(row.type)) continue
      summaries.set(`${row.type}/${row.locale}`, {
        type: row.type,
        locale: row.locale,
        customized: true,
        hasDefault: DEFAULT_TEMPLATE_LOCALES.includes(row.locale),
        updatedAt: new Date(row.updated_at).toISOString(),
      })
    }
    return [...summaries.values()].sort(
      (a, b) => a.type.localeCompare(b.type) || a.locale.localeCompare(b.locale),
    )
  }

  async get(tenant: TenantRow, typeName: string, localeTag: string): Promise<TemplateView> {
    const { type, locale } = this.address(typeName, localeTag)
    const row = await this.stored(this.db, tenant.id, type, locale)
    if (row) return viewOf(type, locale, row)
    const shipped = DEFAULT_TEMPLATES[locale]?.[type]
    if (!shipped)
      throw new AppError('template.not-found', {
        detail: `No ${type} template in ${locale}: none is saved and none ships in that locale.`,
      })
    return { type, locale, ...shipped, customized: false, updatedAt: null, updatedBy: null }
  }

  async save(
    tenant: TenantRow,
    typeName: string,
    localeTag: string,
    template: EmailTemplate,
    actor: Actor,
  ): Promise<TemplateView> {
    const { type, locale } = this.address(typeName, localeTag)
    refuseProblems(validateTemplate(type, template))
    const now = this.clock.now()
    const row = {
      tenant_id: tenant.id,
      type,
      locale,
      subject: template.subject,
      html: template.html,
      text: template.text,
      updated_at: now,
      updated_by: actor.name,
    }
    await inTransaction(this.db, async (trx) => {
      await trx
        .insertInto('email_templates')
        .values(row)
        .onConflict((conflict) =>
          conflict.columns(['tenant_id', 'type', 'locale']).doUpdateSet({
            subject: row.subject,
            html: row.html,
            text: row.text,
            updated_at: row.updated_at,
            updated_by: row.updated_by,
          }),
        )
        .execute()
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'template.updated',
        target: `${type}/${locale}`,
      })
    })
    return viewOf(type, locale, row)
  }

  /**
   * Drops the tenant's template, so the shipped default applies again; in a locale nothing
   * ships in, messages fall back as `forMessage` says, and the answer is the template they now
   * get (English at worst).
   */
  async reset(tenant: TenantRow, typeName: string, localeTag: string, actor: Actor): Promise<TemplateView> {
    const { type, locale } = this.address(typeName, localeTag)
    await inTransaction(this.db, async (trx) => {
      const removed = await trx
        .deleteFrom('email_templates')
        .where('tenant_id', '=', tenant.id)
        .where('type', '=', type)
        .where('locale', '=', locale)
        .executeTakeFirst()
      if (Number(removed.numDeletedRows) === 0 && !DEFAULT_TEMPLATES[locale])
        throw new AppError('template.not-found', { detail: `No ${type} template in ${locale}.` })
      if (Number(removed.numDeletedRows) > 0)
        await this.audit.record(trx, {
          tenantId: tenant.id,
          actor,
          action: 'template.reset',
          target: `${type}/${locale}`,
        })
    })
    if (DEFAULT_TEMPLATES[locale]) return this.get(tenant, type, locale)
    const fallback = resolveLocale(
      DEFAULT_TEMPLATE_LOCALES,
      locale,
      await this.defaultLocale(this.db, tenant),
    )
    return this.get(tenant, type, fallback)
  }

  /**
   * The template rendered with sample values: the saved one, or `draft` (validated the same way
   * as on save) to see a change before saving it.
   */
  async preview(
    tenant: TenantRow,
    typeName: string,
    localeTag: string,
    draft?: EmailTemplate,
  ): Promise<RenderedEmail> {
    const { type, locale } = this.address(typeName, localeTag)
    const template = draft ?? (await this.get(tenant, type, locale))
    if (draft) refuseProblems(validateTemplate(type, draft))
    return renderTemplate(this.compile(type, template), {
      ...sampleValues(type),
      'tenant-domain': tenant.domain,
    })
  }

  /** The tenant's locale for users without one: its setting, else English. */
  defaultLocale(db: Executor, tenant: TenantRow): Promise<string> {
    return this.storedDefaultLocale(db, tenant.id)
  }

  private async storedDefaultLocale(db: Executor, tenantId: string): Promise<string> {
    const value = await tenantSettingsRepository.get(db, tenantId, DEFAULT_LOCALE_SETTING)
    return typeof value === 'string' ? value : DEFAULT_LOCALE
  }

  async setDefaultLocale(tenant: TenantRow, localeTag: string, actor: Actor): Promise<string> {
    const locale = normalizeLocale(localeTag)
    if (!locale) throw invalidLocale(localeTag)
    await inTransaction(this.db, async (trx) => {
      await tenantSettingsRepository.set(trx, {
        tenantId: tenant.id,
        name: DEFAULT_LOCALE_SETTING,
        value: locale,
        now: this.clock.now(),
        actor: actor.name,
      })
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'tenant.updated',
        target: tenant.id,
        detail: { defaultLocale: locale },
      })
    })
    this.messageLocales.forget(tenant.id)
    return locale
  }

  /**
   * The template a message to this user is written with, and its locale: the user's locale,
   * then the tenant's default, then English, among the locales saved or shipped for the type.
   */
  async forMessage(
    db: Executor,
    tenant: TenantRow,
    type: TemplateType,
    userLocale: string | null | undefined,
  ): Promise<{ locale: string; compiled: CompiledTemplate }> {
    const { rows: saved } = await templatesOfType(db, { tenantId: tenant.id, type })
    const available = new Set([...DEFAULT_TEMPLATE_LOCALES, ...saved.map((row) => row.locale)])
    const locale = resolveLocale(available, userLocale, await this.messageLocales.get(tenant.id, db))
    const template = saved.find((row) => row.locale === locale) ?? DEFAULT_TEMPLATES[locale]?.[type]
    // resolveLocale answers `en` at worst, and `en` always ships.
    return { locale, compiled: this.compile(type, template ?? DEFAULT_TEMPLATES[DEFAULT_LOCALE]![type]) }
  }

  /**
   * The template a queued message is rendered with when it is delivered: the one saved for its
   * tenant, type and locale, else the shipped one of that locale, else English (a saved
   * template of a locale nothing ships may have been removed since the message was queued).
   * Undefined for a type this server does not know.
   */
  async forQueuedMessage(
    db: Executor,
    tenantId: string,
    typeName: string,
    locale: string,
  ): Promise<CompiledTemplate | undefined> {
    if (!isTemplateType(typeName)) return undefined
    const saved = await this.stored(db, tenantId, typeName, locale)
    const template =
      saved ?? DEFAULT_TEMPLATES[locale]?.[typeName] ?? DEFAULT_TEMPLATES[DEFAULT_LOCALE]![typeName]
    return this.compile(typeName, template)
  }

  /** Every template Rekey ships, compiled: each type in each shipped locale. */
  shipped(): CompiledTemplate[] {
    return Object.values(DEFAULT_TEMPLATES).flatMap((templates) =>
      TEMPLATE_TYPES.map((type) => this.compile(type, templates[type])),
    )
  }

  render(compiled: CompiledTemplate, values: TemplateValues): RenderedEmail {
    return renderTemplate(compiled, values)
  }

  private compile(type: TemplateType, template: EmailTemplate): CompiledTemplate {
    // The shipped templates are the same objects every time: found without building the key,
    // several kilobytes of text joined and hashed per message otherwise.
    const known = this.compiledByObject.get(template)
    if (known?.type === type) return known.compiled
    const key = `${type}\u0000${template.subject}\u0000${template.html}\u0000${template.text}`
    let compiled = this.compiled.get(key)
    if (!compiled) {
      compiled = compileTemplate(type, template)
      if (this.compiled.size >= COMPILED_CACHE_LIMIT) this.compiled.clear()
      this.compiled.set(key, compiled)
    }
    this.compiledByObject.set(template, { type, compiled })
    return compiled
  }

  private stored(db: Executor, tenantId: string, type: TemplateType, locale: string) {
    return db
      .selectFrom('email_templates')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('type', '=', type)
      .where('locale', '=', locale)
      .executeTakeFirst()
  }

  private address(typeName: string, localeTag: string): { type: TemplateType; locale: string } {
    if (!isTemplateType(typeName))
      throw new AppError('template.not-found', {
        detail: `Unknown template type ${JSON.stringify(typeName.slice(0, 64))}; the types are ${TEMPLATE_TYPES.join(', ')}.`,
      })
    const locale = normalizeLocale(localeTag)
    if (!locale) throw invalidLocale(localeTag)
    return { type: typeName, locale }
  }
}

function invalidLocale(tag: string): AppError {
  return new AppError('request.invalid', {
    detail: `${JSON.stringify(tag.slice(0, 64))} is not a locale tag such as en, fr or pt-BR.`,
    errors: [{ pointer: '/locale', message: 'a BCP 47 language tag such as en, fr or pt-BR' }],
  })
}

function refuseProblems(problems: TemplateProblem[]): void {
  if (problems.length === 0) return
  throw new AppError('template.invalid', {
    detail: problems
      .slice(0, 5)
      .map((problem) => problem.reason)
      .join('; '),
    errors: problems.slice(0, 100).map((problem) => ({
      pointer: `/${problem.field}`,
      message: problem.position
        ? `line ${problem.position.line}, column ${problem.position.column}: ${problem.reason}`
        : problem.reason,
    })),
  })
}

function viewOf(type: TemplateType, locale: string, row: EmailTemplatesTable): TemplateView {
  return {
    type,
    locale,
    subject: row.subject,
    html: row.html,
    text: row.text,
    customized: true,
    updatedAt: new Date(row.updated_at).toISOString(),
    updatedBy: row.updated_by,
  }
}
