import type { Config } from '../../config/schema.ts'
import type { PasswordWriter } from '../../credentials/password-writer.ts'
import type { Clock } from '../../domain/clock.ts'
import type { Permission } from '../../domain/permissions.ts'
import { resetFlagValue } from '../../domain/reset-claims.ts'
import { displayUserName } from '../../domain/user-name.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Notifier } from '../../notifications/notifier.ts'
import type { Actor, AuditLog } from '../../observability/audit.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import { claimsRepository } from '../../persistence/repositories/claims.ts'
import {
  pendingResetsRepository,
  resetCodesRepository,
  type StoredLink,
} from '../../persistence/repositories/reset-codes.ts'
import { type SessionRow, sessionsRepository } from '../../persistence/repositories/sessions.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { type UserRow, usersRepository } from '../../persistence/repositories/users.ts'
import type { ResetMode } from '../../persistence/tables.ts'
import { normalizeOtp, presentedLink, sameHmac, secretHmac } from '../../security/one-time-secrets.ts'
import type { SealedBox } from '../../security/sealed-box.ts'
import {
  EMAIL_CLAIM,
  FORCED_RESET_CLAIM,
  LOCALE_CLAIM,
  ONE_TIME_PASSWORD_CLAIM,
  PENDING_MODE_CLAIM,
  type ResetPolicy,
  type ResetPolicySource,
} from './reset-policy.ts'
import { type AccountAfterReset, BatchTrigger, recipientValues } from './trigger-batch.ts'

export interface TriggerOptions {
  /** Overrides the tenant's mode for this request. */
  mode?: ResetMode | undefined
  actor: Actor
  /** The channel that asked: `admin-api`, `cli`, `scim`, `claims`, `bulk`, `soap`. */
  channel: string
  /** See ClaimWriteOptions.expectedVersion. */
  expectedVersion?: number | undefined
  /** See BatchTriggerOptions.claimsAtVersion. */
  claimsAtVersion?: Readonly<Record<string, string>> | undefined
}

/** Who writes claims and through which interface; `permissions` absent: the CLI (all powers). */
export interface ClaimWriteOptions {
  actor: Actor
  channel: string
  permissions?: ReadonlySet<Permission> | undefined
  /**
   * A reset this write starts locks the account only while the user is still at this version
   * (BatchTriggerOptions.expectedVersion); otherwise UserVersionMoved is thrown.
   */
  expectedVersion?: number | undefined
  /**
   * With `expectedVersion`: the user's claims as read at that version, which a reset this write
   * starts addresses its message from (BatchTriggerOptions.claimsAtVersion). Set aside when the
   * write stores other claims too.
   */
  claimsAtVersion?: Readonly<Record<string, string>> | undefined
  /**
   * The caller's transaction has already updated the user's row, moving its version, with the
   * account as this write leaves it: a reset's lock lifted if the write cancels the reset. The
   * row is held until the transaction ends, so a cancel takes it no second time, ends the
   * pending reset in the statement that finds it, and leaves the account fields alone.
   */
  accountWritten?: boolean | undefined
}

/** The user's version moved since the caller read it (ClaimWriteOptions.expectedVersion). */
export class UserVersionMoved extends Error {}

/**
 * What a claim write did to the user's reset. A reset started or cancelled also says what it
 * left, so a caller can show the user without reading it again: the claims the reset's state
 * reads as (`resetClaims`, null for one removed) and the account fields the reset's statement
 * wrote (undefined when it wrote none: a cancel of a reset whose lock an administrator's had
 * replaced).
 */
export type ClaimWriteOutcome =
  | { reset: 'unchanged' }
  | {
      reset: 'started' | 'cancelled'
      resetClaims: Readonly<Record<string, string | null>>
      account: AccountAfterReset | undefined
    }

/**
 * Whether a write did nothing but start or cancel a reset: the one claim it wrote was the flag,
 * and nothing else about the user changed. Such a write is audited by the reset's own event
 * (`user.reset-forced`, `user.reset-cancelled`), which names the actor and channel too: a
 * `user.updated` row beside it would say the same.
 */
export function onlyTheReset(
  outcome: { reset: ClaimWriteOutcome['reset'] } | undefined,
  claimsWritten: number,
  otherChanges: boolean,
): boolean {
  return outcome !== undefined && outcome.reset !== 'unchanged' && claimsWritten === 1 && !otherChanges
}

export interface TriggerResult {
  userId: string
  mode: ResetMode
  expiresAt: string
  /** Sessions ended by the trigger. */
  sessionsRevoked: number
  /** The queued message, for the email modes. */
  messageId: string | null
}

/**
 * Forced password resets: the trigger, which in one transaction locks the account for reset
 * (the old password stops working at once), ends its sessions, replaces any earlier code with
 * a new link token or one-time password (stored as a keyed HMAC; an offline code also sealed so
 * administrators can read it back), queues the email and audits; and the cancel, which undoes
 * all of that. Every interface (admin API, CLI, SCIM, claims, bulk, SOAP) ends here.
 */
export class ForcedResetService {
  constructor(
    private readonly db: Executor,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly notifier: Notifier,
    private readonly secretKey: Buffer,
    private readonly offlineCodes: SealedBox,
    private readonly passwords: PasswordWriter,
    private readonly policies: ResetPolicySource,
  ) {}

  /** A session opened with a one-time password lasts long enough to choose a password, no longer. */
  readonly restrictedSessionMs = 15 * 60_000

  /** `db`: the caller's open transaction, if any (on SQLite a read outside it would wait for it). */
  policy(tenant: TenantRow, db: Executor = this.db): Promise<ResetPolicy> {
    return this.policies.resetPolicy(tenant, db)
  }

  async revealsPending(tenant: TenantRow): Promise<boolean> {
    return (await this.policy(tenant)).loginRevealsPending
  }

  async trigger(tenant: TenantRow, user: UserRow, options: TriggerOptions, db: Executor = this.db) {
    return inTransaction(db, async (trx) => (await this.triggerIn(trx, tenant, user, options)).result)
  }

  async cancel(
    tenant: TenantRow,
    user: UserRow,
    options: Omit<TriggerOptions, 'mode'>,
    db: Executor = this.db,
  ): Promise<boolean> {
    return inTransaction(db, async (trx) => (await this.cancelIn(trx, tenant, user, options)).wasPending)
  }

  /**
   * Claim changes from any interface (SCIM, admin API, SOAP), with the forced-reset claim's
   * meaning: "true" starts a reset in the tenant's mode (a new code replacing any earlier one),
   * "false" or removal cancels a pending one. The claims the server maintains are refused, so
   * no client can plant a one-time password or fake a pending state.
   */
  async writeClaimsIn(
    trx: Executor,
    tenant: TenantRow,
    user: UserRow,
    changes: Readonly<Record<string, string | null>>,
    options: ClaimWriteOptions,
  ): Promise<ClaimWriteOutcome> {
    const { [FORCED_RESET_CLAIM]: requested, ...others } = changes
    const cancels = requested !== undefined && (requested === null || resetFlagValue(requested) === false)
    // With the user's row held, the pending reset is ended at once (a write refused below rolls
    // that back with the rest); otherwise only looked at, as the row must be taken first.
    const pending =
      cancels &&
      (options.accountWritten
        ? await pendingResetsRepository.clear(trx, user.id)
        : (await pendingResetsRepository.find(trx, user.id)) !== undefined)
    // "false" or removal with no reset pending changes nothing: a profile write that carries the
    // flag back as it found it needs no reset power and must not touch the reset state.
    const flag = cancels && !pending ? undefined : requested
    // Threat: a help-desk role that may edit profiles (users:write) forcing resets, which lock
    // accounts and send mail, without having been given that power.
    if (flag !== undefined && options.permissions && !options.permissions.has('reset:force'))
      throw new AppError('auth.forbidden', {
        detail: `Writing ${FORCED_RESET_CLAIM} needs the reset:force permission.`,
      })
    const readOnly = Object.keys(others).filter((uri) => SERVER_MAINTAINED_CLAIMS.has(uri))
    if (readOnly.length > 0)
      throw new AppError('claim.read-only', {
        detail: `${readOnly.join(', ')} ${readOnly.length === 1 ? 'is' : 'are'} maintained by the server.`,
        errors: readOnly.map((uri) => ({ pointer: `/claims/${uri}`, message: 'read-only' })),
      })
    // A no-op flag is still stored as written ("false", or removed), so the profile reads back as sent.
    const stored =
      requested !== undefined && flag === undefined ? { ...others, [FORCED_RESET_CLAIM]: requested } : others
    if (Object.keys(stored).length > 0) await claimsRepository.apply(trx, tenant.id, user.id, stored)
    if (flag === undefined) return { reset: 'unchanged' }
    const wanted = flag === null ? false : resetFlagValue(flag)
    if (wanted === undefined)
      throw new AppError('request.invalid', {
        detail: `${FORCED_RESET_CLAIM} must be "true" or "false".`,
        errors: [{ pointer: `/claims/${FORCED_RESET_CLAIM}`, message: 'must be "true" or "false"' }],
      })
    if (wanted) {
      // Claims applied above (a new email address, say) are what the trigger reads: the
      // caller's copy stands in for them only when this write stored none.
      const { claimsAtVersion, ...triggerOptions } = options
      const { result, account } = await this.triggerIn(trx, tenant, user, {
        ...triggerOptions,
        ...(Object.keys(stored).length === 0 ? { claimsAtVersion } : {}),
      })
      return { reset: 'started', resetClaims: pendingResetClaims(result.mode), account }
    }
    const cancelled = await this.cancelIn(trx, tenant, user, options, options.accountWritten === true)
    return cancelled.wasPending
      ? { reset: 'cancelled', resetClaims: resetClaimsCleared, account: cancelled.account }
      : { reset: 'unchanged' }
  }

  private async cancelIn(
    trx: Executor,
    tenant: TenantRow,
    user: UserRow,
    { actor, channel }: Omit<TriggerOptions, 'mode'>,
    /** The caller wrote the account and ended the pending reset (ClaimWriteOptions.accountWritten). */
    accountWritten = false,
  ): Promise<{ wasPending: boolean; account: AccountAfterReset | undefined }> {
    const now = this.clock.now()
    // The user's row first, as the trigger and every password write take it: one order, so a
    // cancel beside a trigger waits instead of deadlocking on PostgreSQL.
    if (!accountWritten) await usersRepository.lockRow(trx, user.tenant_id, user.id)
    const wasPending = accountWritten || (await pendingResetsRepository.clear(trx, user.id))
    const voided = await resetCodesRepository.voidForUser(trx, user.id)
    const account = accountWritten ? undefined : await this.endResetOfRow(trx, user, now, wasPending)
    await claimsRepository.apply(trx, tenant.id, user.id, resetClaimsCleared)
    if (wasPending)
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'user.reset-cancelled',
        target: user.id,
        detail: { channel, codesVoided: voided },
      })
    return { wasPending, account }
  }

  /**
   * What the page behind an emailed link shows before the user acts. Threat: mail scanners and
   * link previews follow links, so looking never spends the token; only `completeWithLink` does.
   */
  async inspectLink(
    tenant: TenantRow,
    token: string,
  ): Promise<{ userId: string; userName: string; expiresAt: number } | undefined> {
    const link = this.storedLink(token)
    return link && this.inspectStoredLink(tenant, link)
  }

  private async inspectStoredLink(
    tenant: TenantRow,
    link: StoredLink,
  ): Promise<{ userId: string; userName: string; expiresAt: number } | undefined> {
    const code = await resetCodesRepository.findLiveLink(this.db, link, this.clock.now())
    if (!code || code.tenant_id !== tenant.id) return undefined
    const user = await usersRepository.findById(this.db, tenant.id, code.user_id)
    // Threat: someone who left (the account disabled) setting a password that works the day
    // the account is enabled again. The link reads as invalid, like any link that cannot be used.
    if (!user || user.status === 'disabled') return undefined
    return {
      userId: user.id,
      userName: displayUserName(user.store_domain, user.username),
      expiresAt: code.expires_at,
    }
  }

  /**
   * The new password from an emailed link. The policy is checked first, so a weak password
   * leaves the link usable; then one transaction spends the link (a conditional update: two
   * parallel posts cannot both pass) and writes the password, which completes the reset.
   */
  async completeWithLink(tenant: TenantRow, token: string, newPassword: string): Promise<void> {
    const link = this.storedLink(token)
    const found = link && (await this.inspectStoredLink(tenant, link))
    if (!link || !found) throw new AppError('reset.link-invalid')
    const prepared = await this.passwords.prepare(newPassword, {
      tenant,
      userId: found.userId,
      userName: found.userName,
    })
    await inTransaction(this.db, async (trx) => {
      // The user's row first (one lock order with the trigger), and as it is now: an account
      // disabled since the page was shown cannot spend the link either.
      const holder = await usersRepository.findForUpdate(trx, tenant.id, found.userId)
      if (!holder || holder.status === 'disabled') throw new AppError('reset.link-invalid')
      const spent = await resetCodesRepository.consumeLink(trx, link, this.clock.now())
      if (!spent || spent.tenant_id !== tenant.id || spent.user_id !== found.userId)
        throw new AppError('reset.link-invalid')
      await this.passwords.write(trx, prepared, {
        tenantId: tenant.id,
        userId: found.userId,
        actor: { kind: 'user', id: found.userId, name: found.userName },
        reason: 'forced-reset',
      })
    })
  }

  /** Where a presented token's code is stored; undefined for what cannot be a link of ours. */
  private storedLink(token: string): StoredLink | undefined {
    const link = presentedLink(token)
    if (!link) return undefined
    return 'codeId' in link
      ? { codeId: link.codeId, hmac: secretHmac(this.secretKey, 'link', link.verifier, link.codeId) }
      : { hmac: secretHmac(this.secretKey, 'link', link.firstFormatToken) }
  }

  /**
   * Called by the password-write path in its transaction: a new password ends a pending
   * reset (flag, lock and codes), whoever set it.
   */
  async completeIn(trx: Executor, tenantId: string, userId: string): Promise<boolean> {
    // The pending row is the reset's source of truth (the lock, codes and claim come with it),
    // so a password write without a pending reset costs this one statement.
    if (!(await pendingResetsRepository.clear(trx, userId))) return false
    const user = await usersRepository.findById(trx, tenantId, userId)
    if (!user) return false
    await resetCodesRepository.voidForUser(trx, userId)
    // The password write moved the user's version already.
    await this.endResetOfRow(trx, user, this.clock.now(), false)
    await claimsRepository.apply(trx, tenantId, userId, resetClaimsCleared)
    const tenant = await trx.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst()
    if (tenant && (await this.policy(tenant, trx)).sendConfirmation)
      await this.queueConfirmation(trx, tenant, user)
    return true
  }

  /**
   * A one-time password typed at sign-in by a user with a pending reset in an OTP mode. The
   * attempt is counted before it is compared (see resetCodesRepository.tryOtp).
   */
  async tryOtpSignIn(
    tenant: TenantRow,
    userId: string,
    typed: string,
  ): Promise<'accepted' | 'invalid' | 'none'> {
    const pending = await pendingResetsRepository.find(this.db, userId)
    if (!pending || pending.tenant_id !== tenant.id || pending.mode === 'email-link') return 'none'
    const policy = await this.policy(tenant)
    const normalized = normalizeOtp(typed, policy.otpCharacters)
    const result = await inTransaction(this.db, (trx) =>
      resetCodesRepository.tryOtp(trx, {
        userId,
        now: this.clock.now(),
        matches: (stored) => sameHmac(stored, secretHmac(this.secretKey, 'otp', normalized, userId)),
      }),
    )
    if (result.outcome === 'accepted') return 'accepted'
    return result.outcome === 'invalid' ? 'invalid' : 'none'
  }

  /**
   * The new password of a user signed in with a one-time password, through the one
   * password-write path: policy, hash, every session ended (the restricted one too), and the
   * reset completed in the same transaction (flag, lock, codes; the confirmation queued).
   */
  async setNewPassword(tenant: TenantRow, session: SessionRow, newPassword: string): Promise<void> {
    const owner = await usersRepository.findById(this.db, tenant.id, session.user_id)
    if (!owner) throw new AppError('auth.required')
    const prepared = await this.passwords.prepare(newPassword, {
      tenant,
      userId: owner.id,
      userName: displayUserName(owner.store_domain, owner.username),
    })
    await inTransaction(this.db, async (trx) => {
      // Held, and read as it is now: the hash took a while, and meanwhile the reset may have been
      // cancelled or completed, the session ended, or the account disabled (threat: someone who
      // left choosing the password that works the day it is enabled again).
      const user = await usersRepository.findForUpdate(trx, tenant.id, session.user_id)
      const pending = await pendingResetsRepository.find(trx, session.user_id)
      const live = await sessionsRepository.isLive(trx, session.id, this.clock.now())
      if (!user || !pending || !live || user.status === 'disabled') throw new AppError('auth.required')
      await this.passwords.write(trx, prepared, {
        tenantId: tenant.id,
        userId: user.id,
        actor: { kind: 'user', id: user.id, name: displayUserName(user.store_domain, user.username) },
        reason: 'forced-reset',
      })
    })
  }

  /**
   * The live offline one-time password of a user, for administrators. Threat: whoever reads
   * the code can sign in as the user, so every read that returns one is audited here, whatever
   * the interface.
   */
  async readOfflineOtp(tenant: TenantRow, user: UserRow, actor: Actor): Promise<string | undefined> {
    const row = await resetCodesRepository.liveOfflineOtp(this.db, user.id, this.clock.now())
    if (!row?.sealed_secret || row.tenant_id !== tenant.id) return undefined
    const otp = this.offlineCodes.open(row.sealed_secret, row.id)
    if (otp !== undefined)
      await this.audit.record(this.db, {
        tenantId: tenant.id,
        actor,
        action: 'user.one-time-password-read',
        target: user.id,
      })
    return otp
  }

  private async triggerIn(
    trx: Executor,
    tenant: TenantRow,
    user: UserRow,
    options: TriggerOptions,
  ): Promise<{ result: TriggerResult; account: AccountAfterReset }> {
    const policy = await this.policy(tenant, trx)
    const mode = options.mode ?? policy.mode
    // One trigger implementation for one user and for bulk jobs: this is a batch of one.
    const { triggered, skipped, accounts } = await this.batch.run(trx, tenant, [user], {
      mode,
      policy,
      actor: options.actor,
      channel: options.channel,
      mailboxNow: true,
      expectedVersion: options.expectedVersion,
      claimsAtVersion: options.claimsAtVersion,
    })
    if (skipped[0]?.reason === 'user.changed') throw new UserVersionMoved()
    if (skipped[0]?.reason === 'user.not-found')
      throw new AppError('user.not-found', {
        detail: `User ${displayUserName(user.store_domain, user.username)} was deleted meanwhile.`,
      })
    const result = triggered[0]
    const account = accounts.get(user.id)
    if (skipped.length > 0 || !result || !account)
      throw new AppError('reset.no-email', {
        detail: `User ${displayUserName(user.store_domain, user.username)} has no email address for the ${mode} mode; add one or use offline-otp.`,
      })
    return { result, account }
  }

  private batchTrigger: BatchTrigger | undefined
  private get batch(): BatchTrigger {
    this.batchTrigger ??= new BatchTrigger({
      config: this.config,
      clock: this.clock,
      audit: this.audit,
      notifier: this.notifier,
      secretKey: this.secretKey,
      offlineCodes: this.offlineCodes,
    })
    return this.batchTrigger
  }

  /** `PasswordResetSuccess`: the owner learns of the change, in case it was not them. */
  /** The password-changed mail, for a password set by another flow (self-service reset). */
  async queuePasswordChanged(trx: Executor, tenant: TenantRow, userId: string): Promise<void> {
    const user = await usersRepository.findById(trx, tenant.id, userId)
    if (user) await this.queueConfirmation(trx, tenant, user)
  }

  /** True when a password written now completes a pending reset whose policy mails the confirmation. */
  async confirmsOnCompletion(trx: Executor, tenant: TenantRow, userId: string): Promise<boolean> {
    if (!(await pendingResetsRepository.find(trx, userId))) return false
    return (await this.policy(tenant, trx)).sendConfirmation
  }

  private async queueConfirmation(trx: Executor, tenant: TenantRow, user: UserRow): Promise<void> {
    const claims = await claimsRepository.forUser(trx, user.id)
    const email = claims[EMAIL_CLAIM]?.trim()
    if (!email) return
    await this.notifier.enqueue(trx, {
      tenant,
      type: 'PasswordResetSuccess',
      to: email,
      userId: user.id,
      userLocale: claims[LOCALE_CLAIM] ?? null,
      values: recipientValues(user, claims),
      idempotencyKey: `reset-completed:${user.id}:${this.clock.now()}`,
    })
  }

  /** Unlocks an account locked for reset; an account locked for another reason stays locked. */
  /**
   * The user's row at the end of a reset: the reset's lock lifted (a lock an administrator set
   * stays), and, when a pending reset ended, the version moved either way, since the flag and
   * mode the user reads as change with it. Returns the row's fields as written, if any.
   */
  private async endResetOfRow(trx: Executor, user: UserRow, now: number, pendingEnded: boolean) {
    const lifted = await usersRepository.liftResetLock(trx, user.tenant_id, user.id, now)
    if (lifted || !pendingEnded) return lifted
    return usersRepository.touch(trx, user.tenant_id, user.id, now)
  }
}

/** Claims only the server writes: the reset's live state, shown to administrators. */
const SERVER_MAINTAINED_CLAIMS: ReadonlySet<string> = new Set([ONE_TIME_PASSWORD_CLAIM, PENDING_MODE_CLAIM])

/**
 * A finished or cancelled reset leaves the flag at "false" (so `forcePasswordReset eq false`
 * finds users whose reset is over). While a reset is pending both claims are read from it
 * (decision 0022); the mode's claim row is removed for stores that kept one before that.
 */
const resetClaimsCleared = { [FORCED_RESET_CLAIM]: 'false', [PENDING_MODE_CLAIM]: null }

/** How a pending reset reads among the user's claims (claimsRepository: decision 0022). */
const pendingResetClaims = (mode: ResetMode) => ({ [FORCED_RESET_CLAIM]: 'true', [PENDING_MODE_CLAIM]: mode })
