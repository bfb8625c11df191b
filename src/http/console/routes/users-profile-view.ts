import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Container } from '../../../container.ts'
import { AppError } from '../../../errors/app-error.ts'
import { FORCED_RESET_CLAIM } from '../../../flows/forced-reset/reset-policy.ts'
import type { ConsoleErrors } from '../form-errors.ts'
import type { ConsoleKit } from '../kit.ts'
import { commonClaims, resetModes, resetStateClaims, userFormErrors } from './users-form.ts'
import { formatInstant, lockReasonText, resetBadge, resetModeLabel, statusBadges } from './users-status.ts'

/** What a re-rendered profile carries besides the user: a refusal, or a revealed one-time password. */
export interface ProfileExtras {
  errors?: ConsoleErrors | undefined
  status?: number
  /** Set after a reveal: the live offline one-time password, or null when none is live. */
  revealedOtp?: string | null
  /** A refused claims form's values, by claim URI, and its new-claim row. */
  claimValues?: Record<string, string>
  newClaim?: { uri: string; value: string }
  /** Other refused forms' values, by field id (never a password). */
  values?: Record<string, string>
}

/** A claims editor row: its form field and the claim it edits (sent back as a hidden field). */
export interface ClaimRow {
  index: number
  uri: string
  id: string
  label: string
  type: string
  value: string
}

/**
 * The editor's rows for a user's claims: the common claims first, by name, then every other
 * claim the user has, by URI. The reset-state claims are left out (see resetStateClaims).
 */
export function claimRowsOf(claims: Readonly<Record<string, string>>): ClaimRow[] {
  const others = Object.keys(claims)
    .filter((uri) => !resetStateClaims.has(uri) && !commonClaims.some((claim) => claim.uri === uri))
    .sort()
  return [
    ...commonClaims.map((claim) => ({ uri: claim.uri, label: claim.label, type: claim.type })),
    ...others.map((uri) => ({ uri, label: uri, type: 'text' })),
  ].map((row, index) => ({ ...row, index, id: `claim-${index}`, value: claims[row.uri] ?? '' }))
}

/** A use case's refusal of a profile form; `fieldOfClaim` places claim problems by their rows. */
export function profileErrors(
  error: unknown,
  fieldOfClaim: (uri: string) => string | undefined = () => undefined,
  fields: { password?: string } = {},
): { errors: ConsoleErrors; status: number } {
  // Faults are the error page's business; only refusals belong on the form.
  if (!(error instanceof AppError) || error.status >= 500) throw error
  return { errors: userFormErrors(error, { ...fields, fieldOfClaim }), status: error.status }
}

/**
 * Renders `/users/:id` for the tenant's user `idOrName` (a user of another tenant, or none, is
 * the 404 page). Each part shows only what the administrator's permissions let them act on.
 */
export function profileRenderer(container: Container, kit: ConsoleKit) {
  return async function renderProfile(
    request: FastifyRequest,
    reply: FastifyReply,
    idOrName: string,
    extras: ProfileExtras = {},
  ) {
    const { tenant, root, principal } = kit.context(request)
    const user = await container.users.get(tenant, idOrName)
    const canWrite = kit.can(request, 'users:write')
    const canForce = kit.can(request, 'reset:force')
    const [pendingResets, sessions, roles, policy] = await Promise.all([
      container.users.pendingResets(tenant, [user.id]),
      container.sessions.listForUser(user.id),
      canWrite ? container.roles.list(tenant) : Promise.resolve([]),
      canForce ? container.forcedResets.policy(tenant) : Promise.resolve(undefined),
    ])
    const pending = pendingResets.get(user.id)
    const userRoles = user.roles ?? []
    const claimRows = claimRowsOf(user.claims).map((row) => ({
      ...row,
      value: extras.claimValues?.[row.uri] ?? row.value,
      error: extras.errors?.fields[row.id],
    }))
    const values = extras.values ?? {}
    const href = `${root}/users/${encodeURIComponent(user.id)}`
    return kit.render(
      request,
      reply,
      'users-profile',
      {
        title: `User ${user.username}`,
        section: 'users',
        errors: extras.errors,
        user,
        href,
        badges: [...statusBadges(user), ...(pending ? [resetBadge(pending.mode)] : [])],
        facts: [
          { label: 'Id', value: user.id, field: 'user-id' },
          { label: 'User name', value: user.username, field: 'user-name' },
          { label: 'User store domain', value: user.storeDomain, field: 'user-store' },
          {
            label: 'Status',
            value:
              user.status === 'locked'
                ? `Locked ${lockReasonText(user.lockReason)}`
                : user.status === 'active'
                  ? 'Active'
                  : user.lockReason !== null
                    ? `Disabled, and locked ${lockReasonText(user.lockReason)}`
                    : 'Disabled',
            field: 'user-status',
          },
          { label: 'Created', value: formatInstant(user.createdAt), field: 'user-created' },
          {
            label: 'Password changed',
            value: user.passwordChangedAt ? formatInstant(user.passwordChangedAt) : 'never set',
            field: 'password-changed',
          },
        ],
        claimRows,
        newClaim: {
          uri: extras.newClaim?.uri ?? '',
          value: extras.newClaim?.value ?? '',
          uriError: extras.errors?.fields['new-claim-uri'],
          valueError: extras.errors?.fields['new-claim-value'],
        },
        roles: userRoles.map((name) => ({ name, href: `${root}/roles/${encodeURIComponent(name)}` })),
        // No role is preselected: a stray click must not grant one (the first is often admin).
        addableRoles: [
          { value: '', label: 'Choose a role' },
          ...roles
            .filter((role) => !userRoles.includes(role.name))
            .map((role) => ({ value: role.name, label: role.name })),
        ],
        reset: pending
          ? {
              mode: pending.mode,
              modeLabel: resetModeLabel(pending.mode),
              since: formatInstant(pending.requested_at),
              by: pending.requested_by,
              reason: pending.reason,
              isOffline: pending.mode === 'offline-otp',
            }
          : undefined,
        resetFlag: user.claims[FORCED_RESET_CLAIM] ?? null,
        revealed: extras.revealedOtp !== undefined,
        revealedOtp: extras.revealedOtp ?? null,
        resetModes: resetModes.map((mode) => ({
          value: mode.value,
          label: mode.value === policy?.mode ? `${mode.label} (this organisation's default)` : mode.label,
        })),
        defaultMode: values['reset-mode'] ?? policy?.mode ?? 'email-link',
        lockReason: values['lock-reason'] ?? '',
        sessions: sessions.map((session) => ({
          id: session.id,
          created: formatInstant(session.createdAt),
          lastSeen: formatInstant(session.lastSeenAt),
          expires: formatInstant(session.expiresAt),
          address: session.clientAddress ?? '',
          userAgent: session.userAgent ?? '',
          isCurrent: session.id === principal.sessionId,
        })),
      },
      extras.status ?? 200,
    )
  }
}

export type RenderProfile = ReturnType<typeof profileRenderer>
