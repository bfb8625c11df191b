import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import { AppError } from '../../../errors/app-error.ts'
import type { BulkResetPreview } from '../../../flows/bulk-reset/service.ts'
import { formField } from '../../pages/kit.ts'
import { type ConsoleErrors, consoleFieldError, consoleFormError } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm, consolePage } from '../route-schema.ts'
import {
  type BulkResetForm,
  bulkFields,
  bulkSelectionErrors,
  checkBulkResetForm,
  MAX_PASTED_NAMES,
  modeLabel,
  readBulkResetForm,
  resetModes,
} from './bulk-reset-form.ts'
import { jobModel, LISTED_FAILURES, RECENT_JOBS, REFRESH_SECONDS } from './bulk-reset-view.ts'

const JobParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['id'],
}

/** `?refresh=off`: the job's page without its automatic refresh (WCAG 2.2.1: a reload the reader can stop). */
const JobQuery = {
  type: 'object',
  properties: { refresh: { type: 'string', enum: ['off'] } },
}

type JobRequest = FastifyRequest<{ Params: { id: string }; Querystring: { refresh?: 'off' } }>

const section = 'bulk-reset'
const config = { permission: 'reset:force' } as const

/**
 * `/console/bulk-reset`: forcing many users to replace their passwords. A selection (a SCIM
 * filter or pasted user names) is first counted and sampled, then confirmed on a page that
 * says how many users it touches; the job's page follows its progress from the store, so it
 * survives reloads and shows the same whichever instance runs the job.
 */
export function bulkResetPages(container: Container, kit: ConsoleKit) {
  const { bulkResets, tenantPolicies } = container
  return async (app: FastifyInstance) => {
    /** The form (with what was typed, if anything) and the tenant's recent jobs below it. */
    async function showForm(
      request: FastifyRequest,
      reply: FastifyReply,
      form?: BulkResetForm,
      errors?: ConsoleErrors,
      status = 200,
    ) {
      const { tenant } = kit.context(request)
      const [policy, jobs] = await Promise.all([
        tenantPolicies.resetPolicy(tenant),
        bulkResets.list(tenant, { limit: RECENT_JOBS }),
      ])
      const typed = form ?? { filter: '', names: '', mode: '', reason: '' }
      return kit.render(
        request,
        reply,
        'bulk-reset-form',
        {
          title: 'Bulk force reset',
          section,
          errors,
          form: { ...typed, mode: typed.mode || policy.mode },
          fields: bulkFields,
          modes: resetModes.map((mode) => ({
            value: mode.value,
            label: mode.value === policy.mode ? `${mode.label} (this organisation’s setting)` : mode.label,
          })),
          modeHint: resetModes.map((mode) => `${mode.label}: ${mode.hint}.`).join(' '),
          maxNames: MAX_PASTED_NAMES.toLocaleString('en'),
          jobs: jobs.map(jobModel),
        },
        status,
      )
    }

    function showConfirmation(
      request: FastifyRequest,
      reply: FastifyReply,
      form: BulkResetForm,
      preview: BulkResetPreview,
      errors?: ConsoleErrors,
      status = 200,
    ) {
      return kit.render(
        request,
        reply,
        'bulk-reset-confirm',
        {
          title: 'Confirm the bulk force reset',
          section,
          errors,
          form: { ...form, mode: preview.mode },
          count: preview.count,
          mode: modeLabel(preview.mode),
          sample: preview.sample,
          withoutEmail: preview.withoutEmail,
        },
        status,
      )
    }

    app.get(
      '/bulk-reset',
      { schema: consolePage('Bulk force reset: the selection form and recent jobs'), config },
      (request, reply) => showForm(request, reply),
    )

    app.post(
      '/bulk-reset/preview',
      { schema: consoleForm('Bulk force reset: count and sample the selection (a dry run)'), config },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const form = readBulkResetForm(request.body)
        // "Change the selection" on the confirmation page: the form again, as it was.
        if (formField(request.body, 'edit', 8) !== '') return showForm(request, reply, form)
        const checked = checkBulkResetForm(form)
        if (!checked.ok) return showForm(request, reply, form, checked.errors, 400)
        let preview: BulkResetPreview
        try {
          preview = await bulkResets.preview(kit.context(request).tenant, checked.request)
        } catch (error) {
          return showForm(request, reply, form, bulkSelectionErrors(error, checked.names), 400)
        }
        if (preview.count === 0)
          return showForm(
            request,
            reply,
            form,
            consoleFieldError(bulkFields.filter, 'No user of this organisation matches the filter.'),
            400,
          )
        return showConfirmation(request, reply, form, preview)
      },
    )

    app.post(
      '/bulk-reset',
      { schema: consoleForm('Bulk force reset: start the confirmed job'), config },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const form = readBulkResetForm(request.body)
        const checked = checkBulkResetForm(form)
        if (!checked.ok) return showForm(request, reply, form, checked.errors, 400)
        try {
          // Threat: a filter that selects more users now than when it was confirmed (users
          // created or changed meanwhile). The count confirmed must still hold; otherwise the
          // administrator confirms the new count.
          const confirmed = Number(formField(request.body, 'count', 12))
          const preview = await bulkResets.preview(tenant, checked.request)
          if (preview.count === 0) throw new AppError('bulk-reset.no-match')
          if (preview.count !== confirmed)
            return showConfirmation(
              request,
              reply,
              form,
              preview,
              consoleFormError(
                `The selection changed since it was counted: it now selects ${preview.count} users. Check and confirm again.`,
              ),
              409,
            )
          const job = await bulkResets.create(tenant, checked.request, {
            actor: principal.actor,
            channel: 'console',
            reason: checked.reason,
          })
          return kit.redirect(request, reply, `/bulk-reset/jobs/${job.id}`, 'bulk-reset-started')
        } catch (error) {
          return showForm(request, reply, form, bulkSelectionErrors(error, checked.names), 400)
        }
      },
    )

    async function showJob(request: JobRequest, reply: FastifyReply, errors?: ConsoleErrors, status = 200) {
      const job = jobModel(
        await bulkResets.get(kit.context(request).tenant, request.params.id, { failures: LISTED_FAILURES }),
      )
      // Reloading every few seconds disturbs a screen reader and whoever reads slowly: the
      // page offers to stop it, and a stopped page is reloaded by hand.
      const follows = job.active && request.query?.refresh !== 'off'
      return kit.render(
        request,
        reply,
        'bulk-reset-job',
        {
          title: `Bulk reset job: ${job.status.label}`,
          section,
          errors,
          job,
          listedFailures: LISTED_FAILURES,
          follows,
          jobPath: `${kit.place(request).root}/bulk-reset/jobs/${job.id}`,
          refreshEvery: REFRESH_SECONDS,
          ...(follows ? { refreshSeconds: REFRESH_SECONDS } : {}),
        },
        status,
      )
    }

    app.get(
      '/bulk-reset/jobs/:id',
      {
        schema: consolePage('Bulk force reset: a job’s progress', {
          params: JobParams,
          querystring: JobQuery,
        }),
        config,
      },
      (request, reply) => showJob(request as JobRequest, reply),
    )

    app.post<{ Params: { id: string }; Querystring: { refresh?: 'off' } }>(
      '/bulk-reset/jobs/:id/cancel',
      { schema: consoleForm('Bulk force reset: cancel a job', { params: JobParams }), config },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        try {
          const job = await bulkResets.cancel(tenant, request.params.id, principal.actor)
          return kit.redirect(request, reply, `/bulk-reset/jobs/${job.id}`, 'bulk-reset-cancelled')
        } catch (error) {
          if (error instanceof AppError && error.code === 'bulk-reset.already-finished')
            return showJob(
              request,
              reply,
              consoleFormError('The job had already ended: there was nothing left to cancel.'),
              409,
            )
          throw error
        }
      },
    )
  }
}
