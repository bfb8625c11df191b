import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import { PRIMARY_STORE } from '../../../domain/user-name.ts'
import { AppError } from '../../../errors/app-error.ts'
import { formField } from '../../pages/kit.ts'
import { type ConsoleErrors, consoleFieldError } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm, consolePage } from '../route-schema.ts'
import { commonClaims, formValues, MAX_CLAIM_VALUE, textField, userFormErrors } from './users-form.ts'

/** What the create form shows again after a refusal (never the password). */
interface CreateValues {
  username: string
  store: string
  claims: Record<string, string>
  roles: string[]
}

const emptyValues: CreateValues = { username: '', store: PRIMARY_STORE, claims: {}, roles: [] }

/** `/users/new`: a new user with an optional password, the common claims and roles. */
export function userCreatePages(container: Container, kit: ConsoleKit) {
  async function showForm(
    request: FastifyRequest,
    reply: FastifyReply,
    values: CreateValues,
    errors?: ConsoleErrors,
    status = 200,
  ) {
    const { tenant } = kit.context(request)
    const [stores, roles] = await Promise.all([
      container.tenants.listUserStores(tenant),
      container.roles.list(tenant),
    ])
    const storeDomains = [
      PRIMARY_STORE,
      ...stores.map((store) => store.domain).filter((domain) => domain !== PRIMARY_STORE),
    ]
    return kit.render(
      request,
      reply,
      'users-new',
      {
        title: 'Create a user',
        section: 'users',
        errors,
        values,
        // A user store choice only where there is one to make.
        stores:
          storeDomains.length > 1 ? storeDomains.map((domain) => ({ value: domain, label: domain })) : [],
        claimFields: commonClaims.map((claim) => ({
          id: claim.id,
          name: claim.id,
          label: claim.label,
          type: claim.type,
          value: values.claims[claim.uri] ?? '',
          optional: true,
          error: errors?.fields[claim.id],
        })),
        roles: roles.map((role, index) => ({
          id: `role-${index}`,
          name: 'roles',
          value: role.name,
          label: role.name,
          hint: role.permissions.length > 0 ? role.permissions.join(', ') : 'no permissions',
          checked: values.roles.includes(role.name),
        })),
      },
      status,
    )
  }

  return async (app: FastifyInstance) => {
    app.get(
      '/users/new',
      { schema: consolePage('Users: create form'), config: { permission: 'users:write' } },
      async (request, reply) => showForm(request, reply, emptyValues),
    )

    app.post(
      '/users/new',
      { schema: consoleForm('Users: create'), config: { permission: 'users:write' } },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const body = request.body
        const values: CreateValues = {
          username: textField(body, 'username', 320),
          store: textField(body, 'store', 64) || PRIMARY_STORE,
          claims: {},
          roles: formValues(body, 'roles'),
        }
        for (const claim of commonClaims) {
          const value = textField(body, claim.id, MAX_CLAIM_VALUE)
          if (value) values.claims[claim.uri] = value
        }
        const password = formField(body, 'password', 4096)
        if (!values.username)
          return showForm(request, reply, values, consoleFieldError('username', 'Enter a user name.'), 400)
        const username =
          values.store.toUpperCase() === PRIMARY_STORE
            ? values.username
            : `${values.store}/${values.username}`
        try {
          const created = await container.users.create(
            tenant,
            {
              username,
              password: password === '' ? undefined : password,
              claims: values.claims,
              roles: values.roles,
            },
            principal.actor,
            undefined,
            { channel: 'console', permissions: principal.permissions },
          )
          return kit.redirect(request, reply, `/users/${encodeURIComponent(created.id)}`, 'user-created')
        } catch (error) {
          if (!(error instanceof AppError) || error.status >= 500) throw error
          const errors =
            error.code === 'userstore.not-found'
              ? consoleFieldError(
                  username === values.username ? 'username' : 'store',
                  error.details.detail ?? error.title,
                )
              : userFormErrors(error, {
                  username: 'username',
                  password: 'password',
                  fieldOfClaim: (uri) => commonClaims.find((claim) => claim.uri === uri)?.id,
                })
          // A missing role or store named by the form is a refused form, not a missing page.
          return showForm(request, reply, values, errors, error.status === 404 ? 400 : error.status)
        }
      },
    )
  }
}
