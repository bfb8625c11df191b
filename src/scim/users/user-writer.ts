import { requireAnotherActiveAdministrator, requireWithinCallerPowers } from '../../admin/caller-powers.ts'
import type { UserService } from '../../admin/user-service.ts'
import type { PasswordWriter, PreparedPassword } from '../../credentials/password-writer.ts'
import {
  type AccountState,
  accountState,
  isLocked,
  isResetLocked,
  RESET_LOCK_REASON,
} from '../../domain/account-lock.ts'
import type { Clock } from '../../domain/clock.ts'
import type { Permission } from '../../domain/permissions.ts'
import { resetFlagValue } from '../../domain/reset-claims.ts'
import { parseUserName, userNameKey } from '../../domain/user-name.ts'
import { FORCED_RESET_CLAIM } from '../../flows/forced-reset/reset-policy.ts'
import {
  type ClaimWriteOutcome,
  type ForcedResetService,
  onlyTheReset,
  UserVersionMoved,
} from '../../flows/forced-reset/service.ts'
import type { Actor, AuditLog } from '../../observability/audit.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import { sessionsRepository } from '../../persistence/repositories/sessions.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { type UserRow, usersRepository } from '../../persistence/repositories/users.ts'
import { isUniqueViolation } from '../../persistence/store-errors.ts'
import { scimError } from '../errors.ts'
import { VersionConflict } from '../versioned-write.ts'
import type { UserInput } from './user-input.ts'
import { writableClaims } from './user-input.ts'
import { readUserRecord } from './user-reader.ts'
import type { UserRecord } from './user-record.ts'

type ClaimWriter = Pick<ForcedResetService, 'writeClaimsIn'>

/** Who writes through SCIM: the actor audited, and the permissions some attributes need. */
export interface ScimCaller {
  actor: Actor
  permissions: ReadonlySet<Permission>
}

/** The forced-reset flag's attribute, as clients name it. */
const ENTERPRISE_FORCE_PATH = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:forcePasswordReset'

/** The lock reason of an account locked through SCIM's `accountLocked`. */
export const SCIM_LOCK_REASON = 'admin'

type Status = UserRow['status']

function statusOf(
  input: UserInput,
  current: AccountState,
): {
  status: Status
  lockReason: string | null
} {
  const enabled = input.active ?? current.status !== 'disabled'
  const wasLocked = isLocked(current)
  const locked = input.accountLocked ?? wasLocked
  const lockReason = !locked ? null : wasLocked ? (current.lock_reason ?? SCIM_LOCK_REASON) : SCIM_LOCK_REASON
  return { status: accountState(enabled, lockReason).status, lockReason }
}

/** The flag written to cancel a reset (SCIM booleans arrive as text). */
const cancelsReset = (changes: Readonly<Record<string, string | null>>) => {
  const flag = changes[FORCED_RESET_CLAIM]
  return typeof flag === 'string' && resetFlagValue(flag) === false
}

/** Sets a claim, or removes it for null. */
function setClaim(claims: Record<string, string>, uri: string, value: string | null): void {
  if (value === null) delete claims[uri]
  else claims[uri] = value
}

/** The claim changes that turn `current` into the input's claims (null removes). */
function claimChanges(current: Record<string, string>, wanted: Record<string, string>) {
  const changes: Record<string, string | null> = {}
  for (const uri of writableClaims) {
    const next = wanted[uri]
    if (current[uri] !== next) changes[uri] = next ?? null
  }
  return changes
}

/**
 * SCIM writes of users. Each is one transaction; replacing a user first moves its version
 * with `where version = expected` (a write that only starts a reset has the trigger's own
 * update do it), so two concurrent writers of one user cannot both succeed on the same version
 * (the loser re-reads and re-applies, or gets 412 under If-Match).
 */
export class ScimUserWriter {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly users: UserService,
    private readonly passwords: PasswordWriter,
    private readonly claims: ClaimWriter,
  ) {}

  private async prepare(
    tenant: TenantRow,
    input: UserInput,
    userId?: string,
  ): Promise<PreparedPassword | undefined> {
    // Hashing happens before the transaction opens: no lock is held for the hash's 50 ms.
    return input.password === undefined
      ? undefined
      : this.passwords.prepare(input.password, { tenant, userId, userName: input.userName })
  }

  async create(tenant: TenantRow, input: UserInput, caller: ScimCaller): Promise<UserRecord> {
    const prepared = await this.prepare(tenant, input)
    const id = await inTransaction(this.db, async (trx) => {
      const view = await this.users.create(
        tenant,
        { username: input.userName, claims: input.claims, prepared },
        caller.actor,
        trx,
        { channel: 'scim', permissions: caller.permissions },
      )
      // On the account as created: a forcePasswordReset among the claims has locked it for the
      // reset already, and that lock stays under whatever the document asks (the flag asked
      // for it in the same breath).
      if (input.active === false || input.accountLocked === true) {
        const created = await usersRepository.findById(trx, tenant.id, view.id)
        if (created) {
          const asked = statusOf(input, created)
          const lockReason = isResetLocked(created) ? RESET_LOCK_REASON : asked.lockReason
          const status = accountState(asked.status !== 'disabled', lockReason).status
          if (status !== created.status || lockReason !== created.lock_reason)
            await trx
              .updateTable('users')
              .set({ status, lock_reason: lockReason })
              .where('tenant_id', '=', tenant.id)
              .where('id', '=', view.id)
              .execute()
        }
      }
      return view.id
    })
    return (await readUserRecord(this.db, tenant.id, id))!
  }

  /**
   * Makes the stored user what `input` describes. `expectedVersion` is the version the input
   * was computed from (PATCH) or the one If-Match demands (PUT); undefined: any version.
   */
  async replace(
    tenant: TenantRow,
    current: UserRecord,
    input: UserInput,
    caller: ScimCaller,
    expectedVersion: number | undefined,
  ): Promise<UserRecord> {
    const { actor } = caller
    // Permissions come from roles alone: a user in no group holds none beyond the caller's. A
    // role granted since `current` was read moved the user's version, so this write is refused
    // on it and recomputed from a fresh read, which checks again.
    if (current.groups.length > 0)
      await requireWithinCallerPowers(this.db, current.row.id, caller.permissions)
    const prepared = await this.prepare(tenant, input, current.row.id)
    const parsed = parseUserName(input.userName)
    if (!parsed)
      throw scimError.invalidValue(
        'userName is not a valid user name: 1-255 printable characters without "/", optionally DOMAIN/name.',
      )
    if (parsed.storeDomain !== current.row.store_domain)
      throw scimError.mutability('A user cannot move between user store domains.')
    const asked = statusOf(input, current.row)
    const renamed = parsed.name !== current.row.username
    const changes = claimChanges(current.claims, input.claims)
    // Threat: provisioning clients PUT whole profiles without the enterprise extension; an
    // absent forcePasswordReset must not cancel a reset an administrator forced (which would
    // make the leaked old password work again). Only an explicit false cancels.
    if (changes[FORCED_RESET_CLAIM] === null) delete changes[FORCED_RESET_CLAIM]
    // The flag reads from the pending reset (decision 0022): a reset waits as `current` shows it.
    const resetPendingAsRead = resetFlagValue(current.claims[FORCED_RESET_CLAIM] ?? '') === true
    // A reset forced under an administrator's lock still waits when that lock is lifted: its
    // own lock comes back (as under a disable), unless this write cancels the reset. Lifting
    // the reset's own lock is refused below.
    const resetWaits = !isResetLocked(current.row) && resetPendingAsRead && !cancelsReset(changes)
    const lockReason = asked.lockReason === null && resetWaits ? RESET_LOCK_REASON : asked.lockReason
    const status = accountState(asked.status !== 'disabled', lockReason).status
    // Threat: a caller allowed to edit profiles (users:write) but not to cancel resets lifting
    // a pending reset's lock, which makes the old password work again. Only completing the
    // reset, or cancelling it in the same write (which needs reset:force), unlocks.
    if (isResetLocked(current.row) && lockReason !== RESET_LOCK_REASON && !cancelsReset(changes))
      throw scimError.mutability(
        `The account is locked until its forced password reset is completed; cancel the reset (${ENTERPRISE_FORCE_PATH} false) to unlock it.`,
      )
    if (status !== 'active' && current.row.status === 'active')
      await requireAnotherActiveAdministrator(this.db, current.row.id)
    const unchanged =
      !renamed &&
      !prepared &&
      status === current.row.status &&
      lockReason === current.row.lock_reason &&
      Object.keys(changes).length === 0
    // Nothing to store: the version stays, so clients' ETags stay valid.
    if (unchanged) return current
    const now = this.clock.now()
    // Assigned in the transaction below (a cast: TypeScript would keep the initial value's narrowing).
    let written = { reset: 'unchanged' } as ClaimWriteOutcome
    const otherChanges =
      renamed ||
      prepared !== undefined ||
      status !== current.row.status ||
      lockReason !== current.row.lock_reason
    const version = expectedVersion ?? current.row.version
    // A write that only starts a reset (the common provisioning PATCH) leaves the version check
    // to the trigger's own update of the user, which moves the version anyway: one update of
    // the user's row instead of two.
    const onlyStartsAReset =
      !otherChanges &&
      Object.keys(changes).length === 1 &&
      resetFlagValue(changes[FORCED_RESET_CLAIM] ?? '') === true
    // A write that cancels the pending reset lifts the reset's lock in the update that moves the
    // version, as the cancel would (a disabled account stays disabled): one update of the
    // user's row instead of two. The pending reset is the one read: the update applies only at
    // that version, and every start or end of a reset moves it.
    const liftsResetLock = cancelsReset(changes) && lockReason === RESET_LOCK_REASON && resetPendingAsRead
    const account = liftsResetLock
      ? { status: accountState(status !== 'disabled', null).status, lockReason: null }
      : { status, lockReason }
    let lockKept = false
    try {
      await inTransaction(this.db, async (trx) => {
        const moved =
          onlyStartsAReset ||
          (await usersRepository.moveVersion(trx, {
            tenantId: tenant.id,
            id: current.row.id,
            expectedVersion: version,
            updatedAt: now,
            status: account.status,
            lockReason: account.lockReason,
            // A new name also moves the versions of the user's groups (their members' display).
            rename: renamed ? { username: parsed.name, username_key: userNameKey(parsed.name) } : undefined,
          }))
        if (!moved) throw new VersionConflict()
        // Threat: a disabled or locked account acting on through sessions opened before.
        const restricted = status !== 'active' && status !== current.row.status
        const revoked = restricted ? await sessionsRepository.revokeAllForUser(trx, current.row.id, now) : 0
        if (prepared) {
          await this.passwords.write(trx, prepared, {
            tenantId: tenant.id,
            userId: current.row.id,
            actor,
            reason: 'admin-set',
          })
        }
        // After the password: a forced-reset flag set in the same request starts the reset of
        // the account as it now is (a password set alongside does not complete it).
        if (Object.keys(changes).length > 0) {
          written = await this.claims
            .writeClaimsIn(trx, tenant, current.row, changes, {
              actor,
              channel: 'scim',
              permissions: caller.permissions,
              // The claims as read at that version: the trigger addresses its mail from them.
              ...(onlyStartsAReset
                ? { expectedVersion: version, claimsAtVersion: current.claims }
                : { accountWritten: true }),
            })
            .catch((error: unknown) => {
              throw error instanceof UserVersionMoved ? new VersionConflict() : error
            })
        }
        if (liftsResetLock && written.reset !== 'cancelled') {
          // No reset was pending behind the flag after all (a flag row an older store kept):
          // the write cancelled nothing, so the lock stays, as it did before this write.
          lockKept = await usersRepository.moveVersion(trx, {
            tenantId: tenant.id,
            id: current.row.id,
            expectedVersion: version + 1,
            updatedAt: now,
            status,
            lockReason,
            rename: undefined,
          })
          if (!lockKept) throw new VersionConflict()
        }
        if (onlyTheReset(written, Object.keys(changes).length, otherChanges)) return
        await this.audit.record(trx, {
          tenantId: tenant.id,
          actor,
          action: 'user.updated',
          target: current.row.id,
          detail: {
            via: 'scim',
            claims: Object.keys(changes),
            renamed,
            ...(status !== current.row.status ? { status, sessionsRevoked: revoked } : {}),
            // A lock set or lifted under a disabled account changes no status: say so anyway.
            ...(lockReason !== current.row.lock_reason ? { lockReason } : {}),
            passwordSet: prepared !== undefined,
          },
        })
      })
    } catch (error) {
      if (isUniqueViolation(error)) throw scimError.uniqueness(`User ${input.userName} already exists.`)
      throw error
    }
    // A new password's time is the password writer's, and a kept lock moved the version twice:
    // read the user back.
    if (prepared || lockKept) return (await readUserRecord(this.db, tenant.id, current.row.id))!
    // The write moved the version by exactly one from what `current` shows, so nobody else
    // changed the user in between, and held the row to the end: the stored state is `current`
    // with these changes, and a reset's own, as its statements wrote them.
    const claims = { ...current.claims }
    const reset = written.reset === 'unchanged' ? undefined : written
    for (const [uri, value] of Object.entries(changes)) {
      // The flag of a reset started or cancelled reads as the reset left it, not as sent.
      if (reset && uri === FORCED_RESET_CLAIM) continue
      setClaim(claims, uri, value)
    }
    if (reset) for (const [uri, value] of Object.entries(reset.resetClaims)) setClaim(claims, uri, value)
    return {
      row: {
        ...current.row,
        version: current.row.version + 1,
        updated_at: now,
        status: account.status,
        lock_reason: account.lockReason,
        ...(renamed ? { username: parsed.name, username_key: userNameKey(parsed.name) } : {}),
        ...reset?.account,
      },
      claims,
      passwordChangedAt: current.passwordChangedAt,
      groups: current.groups,
    }
  }
}
