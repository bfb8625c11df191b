import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import { AppError } from '../../../errors/app-error.ts'
import { formField } from '../../pages/kit.ts'
import { type ConsoleErrors, consoleErrorsOf, consoleFieldError } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm, consolePage } from '../route-schema.ts'

/** The create form's values as typed. Passwords are never among them: never echoed back. */
interface NewTenantInput {
  domain: string
  displayName: string
}

const fieldIds = {
  domain: 'tenant-domain',
  displayName: 'tenant-display-name',
  password: 'tenant-password',
  confirmation: 'tenant-password-confirmation',
} as const

/** Where a refusal of the tenant service belongs on the form. */
function fieldOfPointer(pointer: string): string | undefined {
  if (pointer === '/domain') return fieldIds.domain
  if (pointer === '/password') return fieldIds.password
  return undefined
}

/** Problems the form itself can tell before asking the service (which checks the rest). */
function formProblems(input: NewTenantInput, password: string, confirmation: string): ConsoleErrors {
  const errors: ConsoleErrors = { summary: [], fields: {} }
  const refuse = (field: string, text: string) => {
    errors.summary.push({ field, text })
    errors.fields[field] = text
  }
  if (input.domain === '') refuse(fieldIds.domain, 'Enter the domain of the new tenant.')
  if (input.displayName.length > 255)
    refuse(fieldIds.displayName, 'Display name must be at most 255 characters.')
  if (password === '') refuse(fieldIds.password, 'Enter a password for the new tenant’s administrator.')
  else if (password.length > 4096) refuse(fieldIds.password, 'Password must be at most 4096 characters.')
  else if (confirmation !== password)
    refuse(fieldIds.confirmation, 'The two passwords do not match. Type the same password twice.')
  return errors
}

/** `/tenants/new`: a tenant and its first administrator, in one step, as the admin API makes them. */
export function newTenantPage(container: Container, kit: ConsoleKit) {
  function render(
    request: FastifyRequest,
    reply: FastifyReply,
    input: NewTenantInput,
    errors?: ConsoleErrors,
    status = 200,
  ) {
    const error = (id: string) => errors?.fields[id]
    return kit.render(
      request,
      reply,
      'tenants-new',
      {
        title: 'New tenant',
        section: 'tenants',
        ...(errors ? { errors } : {}),
        fields: {
          domain: {
            id: fieldIds.domain,
            name: 'domain',
            label: 'Domain',
            value: input.domain,
            required: true,
            hint: 'Lower-case letters, digits, hyphens and dots, such as example.com. It becomes part of the tenant’s addresses (/t/example.com/…) and cannot be changed.',
            error: error(fieldIds.domain),
          },
          displayName: {
            id: fieldIds.displayName,
            name: 'displayName',
            label: 'Display name',
            value: input.displayName,
            optional: true,
            hint: 'How the tenant is named in lists. The domain when left empty.',
            error: error(fieldIds.displayName),
          },
          password: {
            id: fieldIds.password,
            name: 'adminPassword',
            label: 'Administrator password',
            type: 'password',
            required: true,
            autocomplete: 'new-password',
            hint: 'The new tenant’s administrator signs in as admin with this password.',
            error: error(fieldIds.password),
          },
          confirmation: {
            id: fieldIds.confirmation,
            name: 'adminPasswordConfirmation',
            label: 'Confirm the administrator password',
            type: 'password',
            required: true,
            autocomplete: 'new-password',
            error: error(fieldIds.confirmation),
          },
        },
      },
      status,
    )
  }

  return async (app: FastifyInstance) => {
    app.get(
      '/tenants/new',
      { schema: consolePage('Tenants: the form that creates one'), config: { permission: 'tenants:manage' } },
      async (request, reply) => render(request, reply, { domain: '', displayName: '' }),
    )

    app.post(
      '/tenants/new',
      {
        schema: consoleForm('Tenants: create one with its administrator'),
        config: { permission: 'tenants:manage' },
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { principal } = kit.context(request)
        const input: NewTenantInput = {
          domain: formField(request.body, 'domain', 253).trim(),
          displayName: formField(request.body, 'displayName', 255).trim(),
        }
        const password = formField(request.body, 'adminPassword', 4096)
        const confirmation = formField(request.body, 'adminPasswordConfirmation', 4096)
        const problems = formProblems(input, password, confirmation)
        if (problems.summary.length > 0) return render(request, reply, input, problems, 400)
        try {
          await container.tenants.createWithAdministrator(
            input.domain,
            input.displayName || undefined,
            password,
            principal.actor,
          )
        } catch (error) {
          if (!(error instanceof AppError) || error.status >= 500) throw error
          const errors =
            error.code === 'tenant.exists'
              ? consoleFieldError(fieldIds.domain, error.details.detail ?? error.title)
              : consoleErrorsOf(error, fieldOfPointer)
          return render(request, reply, input, errors, error.status)
        }
        return kit.redirect(request, reply, '/tenants', 'tenant-created')
      },
    )
  }
}
