import type { FastifyInstance } from 'fastify'
import type { Container } from '../../../container.ts'
import { formField } from '../../pages/kit.ts'
import { type ConsoleErrors, consoleFieldError, consoleFormError } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { consolePage } from '../route-schema.ts'
import { MAX_CLAIM_VALUE, resetStateClaims, textField } from './users-form.ts'
import { type ProfileOutcome, profileActions, userParams } from './users-profile-action.ts'
import { claimRowsOf, profileErrors, profileRenderer } from './users-profile-view.ts'

/** The claims editor sends at most this many rows (the use case accepts 200 claims). */
const MAX_CLAIM_ROWS = 250

/** `/users/:id`: the profile, and the forms that edit it (claims, roles) or read its one-time password. */
export function userProfilePages(container: Container, kit: ConsoleKit) {
  const renderProfile = profileRenderer(container, kit)

  return async (app: FastifyInstance) => {
    const action = profileActions(container, kit, app)

    app.get(
      '/users/:id',
      {
        schema: consolePage('Users: profile', { params: userParams }),
        config: { permission: 'users:read' },
      },
      async (request, reply) => renderProfile(request, reply, (request.params as { id: string }).id),
    )

    action('claims', 'users:write', "change a user's claims", async ({ tenant, principal }, user, body) => {
      // The stored claims, which the form is compared with (the other forms need the account only).
      const { claims } = await container.users.get(tenant, user.id)
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
      const rowIds = new Map(claimRowsOf(claims).map((row) => [row.uri, row.id]))
      const refuse = (errors: ConsoleErrors, status: number): ProfileOutcome => ({
        errors,
        status,
        claimValues: submitted,
        newClaim,
      })

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
          if (claims[uri] !== undefined) changes[uri] = null
        } else if (value !== claims[uri]) changes[uri] = value
      }
      if (Object.keys(changes).length === 0) return { done: 'user-claims-unchanged' }
      try {
        await container.users.update(tenant, user.id, { claims: changes }, principal.actor, {
          channel: 'console',
          permissions: principal.permissions,
        })
      } catch (error) {
        const { errors, status } = profileErrors(error, (uri) => rowIds.get(uri))
        return refuse(errors, status)
      }
      return { done: 'user-claims-saved' }
    })

    action(
      'roles/add',
      'users:write',
      'add the user to a role',
      async ({ tenant, principal }, user, body) => {
        const role = textField(body, 'role', 255)
        if (!role) return { errors: consoleFieldError('add-role', 'Choose a role.'), status: 400 }
        try {
          await container.roles.assign(tenant, role, [user.id], principal.actor, {
            caller: principal.permissions,
          })
        } catch (error) {
          const { errors, status } = profileErrors(error)
          return {
            errors: consoleFieldError('add-role', errors.summary[0]?.text ?? 'The role cannot be added.'),
            status: status === 404 ? 400 : status,
          }
        }
        return { done: 'user-role-added' }
      },
    )

    action(
      'roles/remove',
      'users:write',
      'remove the user from a role',
      async ({ tenant, principal }, user, body) => {
        const role = textField(body, 'role', 255)
        try {
          await container.roles.unassign(tenant, role, user.id, principal.actor, principal.permissions)
        } catch (error) {
          return profileErrors(error)
        }
        return { done: 'user-role-removed' }
      },
    )

    action(
      'one-time-password',
      'reset:force',
      "reveal the user's offline one-time password",
      async ({ tenant, principal }, user) => {
        // The read is audited by the use case: whoever holds the code can sign in as the user.
        const otp = await container.forcedResets.readOfflineOtp(tenant, user, principal.actor)
        // Shown in this answer only (not in a redirect's URL or a stored notice), and not cached (no-store).
        if (otp === undefined)
          return {
            revealedOtp: null,
            status: 409,
            errors: consoleFormError(
              'There is no live offline one-time password: it expired, was used, or the reset was cancelled. Force a new reset to issue one.',
            ),
          }
        return { revealedOtp: otp }
      },
    )
  }
}
