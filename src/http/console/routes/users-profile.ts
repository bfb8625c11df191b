import type { FastifyInstance } from 'fastify'
import type { Container } from '../../../container.ts'
import { formField } from '../../pages/kit.ts'
import { type ConsoleErrors, consoleFieldError, consoleFormError } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consoleForm, consolePage } from '../route-schema.ts'
import { MAX_CLAIM_VALUE, resetStateClaims, textField } from './users-form.ts'
import { claimRowsOf, profileErrors, profileRenderer } from './users-profile-view.ts'

/** `:id` of every user page: an id (or user name) of the console's tenant. */
export const userParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 512 } },
  required: ['id'],
}

/** The claims editor sends at most this many rows (the use case accepts 200 claims). */
const MAX_CLAIM_ROWS = 250

/** `/users/:id`: the profile, and the forms that edit it (claims, roles) or read its one-time password. */
export function userProfilePages(container: Container, kit: ConsoleKit) {
  const renderProfile = profileRenderer(container, kit)

  return async (app: FastifyInstance) => {
    app.get(
      '/users/:id',
      {
        schema: consolePage('Users: profile', { params: userParams }),
        config: { permission: 'users:read' },
      },
      async (request, reply) => renderProfile(request, reply, (request.params as { id: string }).id),
    )

    app.post(
      '/users/:id/claims',
      {
        schema: consoleForm("Users: change a user's claims", { params: userParams }),
        config: { permission: 'users:write' },
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const { id } = request.params as { id: string }
        const user = await container.users.get(tenant, id)
        const body = request.body
        // Rows are matched to the stored claims by the URI each row carries, not by position.
        const submitted: Record<string, string> = {}
        for (let index = 0; index < MAX_CLAIM_ROWS; index++) {
          const uri = textField(body, `uri-${index}`, 300)
          if (!uri) break
          submitted[uri] = formField(body, `claim-${index}`, MAX_CLAIM_VALUE)
        }
        const newClaim = {
          uri: textField(body, 'new-claim-uri', 300),
          value: formField(body, 'new-claim-value', MAX_CLAIM_VALUE),
        }
        const rowIds = new Map(claimRowsOf(user.claims).map((row) => [row.uri, row.id]))
        const refuse = (errors: ConsoleErrors, status: number) =>
          renderProfile(request, reply, user.id, { errors, status, claimValues: submitted, newClaim })

        if (newClaim.uri && !newClaim.value.trim())
          return refuse(consoleFieldError('new-claim-value', 'Enter a value for the new claim.'), 400)
        if (!newClaim.uri && newClaim.value.trim())
          return refuse(consoleFieldError('new-claim-uri', 'Enter the URI of the new claim.'), 400)
        if (newClaim.uri) {
          if (resetStateClaims.has(newClaim.uri))
            return refuse(
              consoleFieldError(
                'new-claim-uri',
                'This claim shows the password reset state; use the password reset actions instead.',
              ),
              400,
            )
          if (rowIds.has(newClaim.uri))
            return refuse(
              consoleFieldError('new-claim-uri', 'The user already has this claim; change it in its row.'),
              400,
            )
          submitted[newClaim.uri] = newClaim.value
          rowIds.set(newClaim.uri, 'new-claim-value')
        }

        // Only what differs is written: an empty value removes the claim, an unchanged one is left alone.
        const changes: Record<string, string | null> = {}
        for (const [uri, value] of Object.entries(submitted)) {
          // The reset-state claims are written by the reset actions only, never by this form.
          if (resetStateClaims.has(uri)) continue
          if (value.trim() === '') {
            if (user.claims[uri] !== undefined) changes[uri] = null
          } else if (value !== user.claims[uri]) changes[uri] = value
        }
        if (Object.keys(changes).length === 0)
          return kit.redirect(
            request,
            reply,
            `/users/${encodeURIComponent(user.id)}`,
            'user-claims-unchanged',
          )
        try {
          await container.users.update(tenant, user.id, { claims: changes }, principal.actor, {
            channel: 'console',
            permissions: principal.permissions,
          })
        } catch (error) {
          const { errors, status } = profileErrors(error, (uri) => rowIds.get(uri))
          return refuse(errors, status)
        }
        return kit.redirect(request, reply, `/users/${encodeURIComponent(user.id)}`, 'user-claims-saved')
      },
    )

    app.post(
      '/users/:id/roles/add',
      {
        schema: consoleForm('Users: add the user to a role', { params: userParams }),
        config: { permission: 'users:write' },
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const user = await container.users.require(tenant, (request.params as { id: string }).id)
        const role = textField(request.body, 'role', 255)
        if (!role)
          return renderProfile(request, reply, user.id, {
            errors: consoleFieldError('add-role', 'Choose a role.'),
            status: 400,
          })
        try {
          await container.roles.assign(tenant, role, [user.id], principal.actor)
        } catch (error) {
          const { errors, status } = profileErrors(error)
          return renderProfile(request, reply, user.id, {
            errors: consoleFieldError('add-role', errors.summary[0]?.text ?? 'The role cannot be added.'),
            status: status === 404 ? 400 : status,
          })
        }
        return kit.redirect(request, reply, `/users/${encodeURIComponent(user.id)}`, 'user-role-added')
      },
    )

    app.post(
      '/users/:id/roles/remove',
      {
        schema: consoleForm('Users: remove the user from a role', { params: userParams }),
        config: { permission: 'users:write' },
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const user = await container.users.require(tenant, (request.params as { id: string }).id)
        const role = textField(request.body, 'role', 255)
        try {
          await container.roles.unassign(tenant, role, user.id, principal.actor)
        } catch (error) {
          const { errors, status } = profileErrors(error)
          return renderProfile(request, reply, user.id, { errors, status })
        }
        return kit.redirect(request, reply, `/users/${encodeURIComponent(user.id)}`, 'user-role-removed')
      },
    )

    app.post(
      '/users/:id/one-time-password',
      {
        schema: consoleForm("Users: reveal the user's offline one-time password", { params: userParams }),
        config: { permission: 'reset:force' },
      },
      async (request, reply) => {
        if (!kit.acceptsForm(request, reply)) return reply
        const { tenant, principal } = kit.context(request)
        const user = await container.users.require(tenant, (request.params as { id: string }).id)
        // The read is audited by the use case: whoever holds the code can sign in as the user.
        const otp = await container.forcedResets.readOfflineOtp(tenant, user, principal.actor)
        // Shown in this answer only (not in a redirect's URL or a stored notice), and not cached (no-store).
        if (otp === undefined)
          return renderProfile(request, reply, user.id, {
            revealedOtp: null,
            status: 409,
            errors: consoleFormError(
              'There is no live offline one-time password: it expired, was used, or the reset was cancelled. Force a new reset to issue one.',
            ),
          })
        return renderProfile(request, reply, user.id, { revealedOtp: otp })
      },
    )
  }
}
