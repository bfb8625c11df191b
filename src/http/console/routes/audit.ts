import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import type { ConsoleErrors } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consolePage } from '../route-schema.ts'
import { AUDIT_EXPORT_MAX, type AuditExportFormat, sendAuditExport } from './audit-export.ts'
import {
  type AuditFilterInput,
  auditActionOptions,
  auditFieldId,
  auditPageSizes,
  auditQueryOf,
  auditQuerystring,
  auditSearch,
  parseAuditFilters,
} from './audit-filters.ts'
import { type AuditRow, auditRow } from './audit-rows.ts'

/** What the audit page shows below the form: one page of events and the links around it. */
interface AuditResults {
  rows: AuditRow[]
  /** The newest events again, when this page is not the first. */
  newest: string | null
  /** The page after this one, when there are older events. */
  older: string | null
  exportCsv: string
  exportJson: string
}

/** The filter form's fields for the shared field part, with the values and errors given. */
function filterFields(input: AuditFilterInput, errors: ConsoleErrors) {
  const field = (name: keyof AuditFilterInput) => ({
    id: auditFieldId(name),
    name,
    value: input[name],
    error: errors.fields[auditFieldId(name)],
  })
  return {
    actor: {
      ...field('actor'),
      label: 'Actor',
      hint: 'A name (admin), or one actor as shown below (user:admin, anonymous:admin).',
    },
    target: { ...field('target'), label: 'Target', hint: 'A user name or id, a role name, a tenant…' },
    action: {
      ...field('action'),
      label: 'Action',
      type: 'select',
      options: auditActionOptions(input.action),
    },
    outcome: {
      ...field('outcome'),
      label: 'Outcome',
      type: 'select',
      options: [
        { value: '', label: 'Any outcome' },
        { value: 'success', label: 'Success' },
        { value: 'failure', label: 'Failure' },
      ],
    },
    from: {
      ...field('from'),
      label: 'From (UTC)',
      type: 'datetime-local',
      step: 1,
      hint: 'At or after this time.',
    },
    to: { ...field('to'), label: 'To (UTC)', type: 'datetime-local', step: 1, hint: 'Before this time.' },
    size: {
      ...field('size'),
      value: input.size || '50',
      label: 'Events per page',
      type: 'select',
      options: auditPageSizes.map((size) => ({ value: String(size), label: String(size) })),
      narrow: true,
    },
  }
}

/** The console's audit log: filter, page through and export one tenant's events. */
export function auditPages(container: Container, kit: ConsoleKit) {
  function render(
    request: FastifyRequest,
    reply: FastifyReply,
    input: AuditFilterInput,
    errors: ConsoleErrors | undefined,
    results: AuditResults | null,
    status = 200,
  ) {
    const isFiltered = Object.entries(input).some(([name, value]) => name !== 'size' && value !== '')
    return kit.render(
      request,
      reply,
      'audit',
      {
        title: 'Audit log',
        section: 'audit',
        ...(errors ? { errors } : {}),
        fields: filterFields(input, errors ?? { summary: [], fields: {} }),
        isFiltered,
        results,
        exportMax: AUDIT_EXPORT_MAX.toLocaleString('en'),
      },
      status,
    )
  }

  return async (app: FastifyInstance) => {
    app.get(
      '/audit',
      {
        schema: consolePage('Audit log: filter and page through events', { querystring: auditQuerystring }),
        config: { permission: 'audit:read' },
      },
      async (request, reply) => {
        const { tenant, root } = kit.context(request)
        const parsed = parseAuditFilters(request.query)
        if (!parsed.ok) return render(request, reply, parsed.input, parsed.errors, null, 400)
        const query = await auditQueryOf(container, tenant, parsed.filters)
        const page = await container.audit.page(container.store.db, {
          ...query,
          limit: parsed.size,
          ...(parsed.cursor ? { cursor: parsed.cursor } : {}),
        })
        const { size: _size, ...exportInput } = parsed.input
        const exportSearch = auditSearch({ ...exportInput, size: '' })
        return render(request, reply, parsed.input, undefined, {
          rows: page.events.map((event) => auditRow(event, `${root}/audit`)),
          newest: parsed.cursor ? `${root}/audit${auditSearch(parsed.input)}` : null,
          older: page.next ? `${root}/audit${auditSearch(parsed.input, { cursor: page.next })}` : null,
          exportCsv: `${root}/audit/export.csv${exportSearch}`,
          exportJson: `${root}/audit/export.json${exportSearch}`,
        })
      },
    )

    for (const format of ['csv', 'json'] as const satisfies readonly AuditExportFormat[])
      app.get(
        `/audit/export.${format}`,
        {
          schema: consolePage(`Audit log: export the filtered events as ${format.toUpperCase()}`, {
            querystring: auditQuerystring,
          }),
          config: { permission: 'audit:read' },
        },
        async (request, reply) => {
          const { tenant } = kit.context(request)
          const parsed = parseAuditFilters(request.query)
          if (!parsed.ok) return render(request, reply, parsed.input, parsed.errors, null, 400)
          const { size: _size, ...filters } = parsed.input
          return sendAuditExport(container, reply, {
            format,
            tenantDomain: tenant.domain,
            query: await auditQueryOf(container, tenant, parsed.filters),
            filters: Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== '')),
          })
        },
      )
  }
}
