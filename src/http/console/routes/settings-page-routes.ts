import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { PolicyView } from '../../../admin/policies/tenant-policy-service.ts'
import type { Permission } from '../../../domain/permissions.ts'
import type { Actor } from '../../../observability/audit.ts'
import type { TenantRow } from '../../../persistence/repositories/tenants.ts'
import type { ConsoleErrors } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm, consolePage } from '../route-schema.ts'
import { changedSettings, clearedOverrides, type FieldRef, settingsErrorsOf } from './settings-forms.ts'

/** A change to a tenant's settings: a value is the tenant's own, `null` follows the server again. */
export type SettingsChanges<T> = { [K in keyof T]?: T[K] | null }

/**
 * A settings page whose values override the server configuration per tenant, as its routes
 * need it: how the tenant's settings are read and changed, how the form is read and shown.
 */
export interface OverridableSettingsPage<T extends object, Values> {
  /** The page's console path; returning to the server configuration posts to `{path}/defaults`. */
  path: string
  /** Needed to see the page as well as to post its forms: the settings are configuration. */
  permission: Permission
  /** The route summaries of the page, of its form that saves and of the one that returns to the defaults. */
  summaries: { page: string; save: string; defaults: string }
  /** The `?done=` notices after a save and after a return to the server configuration. */
  notices: { saved: string; defaults: string }
  view(tenant: TenantRow): Promise<PolicyView<T>>
  update(tenant: TenantRow, changes: SettingsChanges<T>, actor: Actor): Promise<unknown>
  /** What the form shows for the settings in force. */
  valuesOf(settings: T): Values
  /** What the form shows again when refused (as typed), and the settings it submits. */
  readForm(body: unknown): { values: Values; submitted: Partial<T> }
  /** Whether a submitted value is the one in force (by default: the same value). */
  sameValue?: (key: keyof T, current: unknown, submitted: unknown) => boolean
  /** The form field a use case's pointer names. */
  fieldOf(pointer: string): FieldRef | undefined
  render(
    request: FastifyRequest,
    reply: FastifyReply,
    view: PolicyView<T>,
    values: Values,
    errors?: ConsoleErrors,
    status?: number,
  ): FastifyReply
}

/**
 * Registers a settings page and its two forms. The page shows the settings in force; "save"
 * writes only the settings whose value differs from the one in force (a value left as shown
 * keeps following the server configuration), a refusal shows the form again as typed;
 * "defaults" clears every override of the tenant. Both forms answer a post that would change
 * nothing with the `settings-unchanged` notice, and write no audit event for it.
 */
export function registerSettingsPage<T extends object, Values>(
  app: FastifyInstance,
  kit: ConsoleKit,
  page: OverridableSettingsPage<T, Values>,
): void {
  const config = { permission: page.permission }

  app.get(page.path, { schema: consolePage(page.summaries.page), config }, async (request, reply) => {
    const view = await page.view(kit.context(request).tenant)
    return page.render(request, reply, view, page.valuesOf(view.effective))
  })

  app.post(page.path, { schema: consoleForm(page.summaries.save), config }, async (request, reply) => {
    if (!kit.acceptsForm(request, reply)) return reply
    const { tenant, principal } = kit.context(request)
    const view = await page.view(tenant)
    const { values, submitted } = page.readForm(request.body)
    const changes = changedSettings(view.effective, submitted, page.sameValue)
    if (Object.keys(changes).length === 0)
      return kit.redirect(request, reply, page.path, 'settings-unchanged')
    try {
      await page.update(tenant, changes, principal.actor)
    } catch (error) {
      const errors = settingsErrorsOf(error, page.fieldOf)
      return page.render(request, reply, view, values, errors, (error as { status: number }).status)
    }
    return kit.redirect(request, reply, page.path, page.notices.saved)
  })

  app.post(
    `${page.path}/defaults`,
    { schema: consoleForm(page.summaries.defaults), config },
    async (request, reply) => {
      if (!kit.acceptsForm(request, reply)) return reply
      const { tenant, principal } = kit.context(request)
      const view = await page.view(tenant)
      const cleared = clearedOverrides(view.overrides)
      if (Object.keys(cleared).length === 0)
        return kit.redirect(request, reply, page.path, 'settings-unchanged')
      await page.update(tenant, cleared, principal.actor)
      return kit.redirect(request, reply, page.path, page.notices.defaults)
    },
  )
}
