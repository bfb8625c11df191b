import type { FastifyInstance } from 'fastify'
import type { Container } from '../../../container.ts'
import { AppError } from '../../../errors/app-error.ts'
import { RESET_LOCK_REASON } from '../../../flows/forced-reset/reset-policy.ts'
import { isUuid } from '../../../security/tokens.ts'
import { formField } from '../../pages/kit.ts'
import { consoleFieldError } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { isResetMode, textField } from './users-form.ts'
import { profileActions } from './users-profile-action.ts'
import { profileErrors } from './users-profile-view.ts'

/** Lock reasons are short codes, as the admin API takes them (`left-company`, `audit.2024`). */
const lockReasonPattern = /^[a-z0-9][a-z0-9_.-]{0,63}$/

/**
 * The profile's actions: force or cancel a reset, set a password, lock, unlock, end a session.
 * Each is a form post to its own route with its own permission (the console's hook refuses the
 * post without it, whatever the page showed); success redirects to the profile with a notice,
 * a refusal shows the profile again with the reason by the form's field.
 */
export function userActionRoutes(container: Container, kit: ConsoleKit) {
  const { users, forcedResets, sessions } = container

  return async (app: FastifyInstance) => {
    const action = profileActions(container, kit, app)

    action(
      'force-reset',
      'reset:force',
      'force a password reset',
      async ({ tenant, principal }, user, body) => {
        const mode = textField(body, 'mode', 32)
        // Empty: the organisation's mode, as the admin API does without one.
        if (mode !== '' && !isResetMode(mode))
          return { errors: consoleFieldError('reset-mode', 'Choose one of the reset modes.'), status: 400 }
        try {
          const result = await forcedResets.trigger(tenant, user, {
            mode: isResetMode(mode) ? mode : undefined,
            actor: principal.actor,
            channel: 'console',
          })
          return { done: result.mode === 'offline-otp' ? 'user-reset-forced-offline' : 'user-reset-forced' }
        } catch (error) {
          const { errors, status } = profileErrors(error)
          return {
            errors: consoleFieldError('reset-mode', errors.summary.map((item) => item.text).join(' ')),
            status,
            values: { 'reset-mode': mode },
          }
        }
      },
    )

    action(
      'cancel-reset',
      'reset:force',
      'cancel a pending password reset',
      async ({ tenant, principal }, user) => {
        const cancelled = await forcedResets.cancel(tenant, user, {
          actor: principal.actor,
          channel: 'console',
        })
        return { done: cancelled ? 'user-reset-cancelled' : 'user-reset-not-pending' }
      },
    )

    action('password', 'users:write', 'set the password', async ({ tenant, principal }, user, body) => {
      const password = formField(body, 'password', 4096)
      const confirmation = formField(body, 'confirmation', 4096)
      if (password === '')
        return { errors: consoleFieldError('new-password', 'Enter the new password.'), status: 400 }
      if (password !== confirmation)
        return {
          errors: consoleFieldError('new-password-confirm', 'The two passwords do not match.'),
          status: 400,
        }
      try {
        await users.setPassword(tenant, user.id, password, principal.actor, principal.permissions)
        return { done: 'user-password-set' }
      } catch (error) {
        return profileErrors(error, undefined, { password: 'new-password' })
      }
    })

    action('lock', 'users:write', 'lock the account', async ({ tenant, principal }, user, body) => {
      const reason = textField(body, 'reason', 64).toLowerCase() || 'admin'
      const values = { 'lock-reason': textField(body, 'reason', 64) }
      if (!lockReasonPattern.test(reason))
        return {
          errors: consoleFieldError(
            'lock-reason',
            'Use a short code of lower-case letters, digits, ".", "_" or "-" (at most 64), for example left-company.',
          ),
          status: 400,
          values,
        }
      // Threat: a lock that looks like a pending reset to the sign-in flow and to other administrators.
      if (reason === RESET_LOCK_REASON)
        return {
          errors: consoleFieldError('lock-reason', `${RESET_LOCK_REASON} is set by forced resets only.`),
          status: 400,
          values,
        }
      try {
        await users.lock(tenant, user.id, reason, principal.actor, principal.permissions)
        return { done: 'user-locked' }
      } catch (error) {
        // Refused (an administrator beyond this one's powers, the last active administrator):
        // said by the form, on the profile, not on an error page.
        const { errors, status } = profileErrors(error)
        return {
          errors: consoleFieldError('lock-reason', errors.summary.map((item) => item.text).join(' ')),
          status,
          values,
        }
      }
    })

    action('unlock', 'users:write', 'unlock the account', async ({ tenant, principal }, user) => {
      try {
        await users.unlock(tenant, user.id, principal.actor, principal.permissions)
        return { done: 'user-unlocked' }
      } catch (error) {
        return profileErrors(error)
      }
    })

    action('sessions/revoke', 'users:write', 'end one session', async ({ tenant, principal }, user, body) => {
      const sessionId = textField(body, 'session', 64)
      try {
        if (!isUuid(sessionId)) throw new AppError('session.not-found')
        await sessions.revokeById(tenant, user.id, sessionId.toLowerCase(), principal.actor)
        return { done: 'user-session-revoked' }
      } catch (error) {
        return profileErrors(error)
      }
    })
  }
}
