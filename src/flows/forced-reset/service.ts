import type { Config } from '../../config/schema.ts'
import { publicUrl } from '../../config/semantics.ts'
import type { PasswordWriter } from '../../credentials/password-writer.ts'
import type { Clock } from '../../domain/clock.ts'
import { DEFAULT_TENANT } from '../../domain/tenant.ts'
import { displayUserName } from '../../domain/user-name.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Notifier } from '../../notifications/notifier.ts'
import type { Actor, AuditLog } from '../../observability/audit.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import { claimsRepository } from '../../persistence/repositories/claims.ts'
import { pendingResetsRepository, resetCodesRepository } from '../../persistence/repositories/reset-codes.ts'
import type { SessionRow } from '../../persistence/repositories/sessions.ts'
import { sessionsRepository } from '../../persistence/repositories/sessions.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { type UserRow, usersRepository } from '../../persistence/repositories/users.ts'
import type { ResetMode } from '../../persistence/tables.ts'
import {
  generateOtp,
  newLinkToken,
  normalizeOtp,
  sameHmac,
  secretHmac,
} from '../../security/one-time-secrets.ts'
import type { SealedBox } from '../../security/sealed-box.ts'
import { newId } from '../../security/tokens.ts'
import {
  EMAIL_CLAIM,
  FORCED_RESET_CLAIM,
  GIVEN_NAME_CLAIM,
  LAST_NAME_CLAIM,
  LOCALE_CLAIM,
  RESET_LOCK_REASON,
  type ResetPolicy,
  resetPolicyOf,
} from './reset-policy.ts'

export interface TriggerOptions {
  /** Overrides the tenant's mode for this request. */
  mode?: ResetMode | undefined
  actor: Actor
  /** The channel that asked: `admin-api`, `cli`, `scim`, `claims`, `bulk`, `soap`. */
  channel: string
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
  ) {}

  /** A session opened with a one-time password lasts long enough to choose a password, no longer. */
  readonly restrictedSessionMs = 15 * 60_000

  policy(_tenant: TenantRow): ResetPolicy {
    return resetPolicyOf(this.config)
  }

  revealsPending(tenant: TenantRow): boolean {
    return this.policy(tenant).loginRevealsPending
  }

  async trigger(tenant: TenantRow, user: UserRow, options: TriggerOptions, db: Executor = this.db) {
    return inTransaction(db, (trx) => this.triggerIn(trx, tenant, user, options))
  }

  async cancel(tenant: TenantRow, user: UserRow, actor: Actor, db: Executor = this.db): Promise<boolean> {
    return inTransaction(db, async (trx) => {
      const now = this.clock.now()
      const wasPending = await pendingResetsRepository.clear(trx, user.id)
      const voided = await resetCodesRepository.voidForUser(trx, user.id)
      await this.unlockAfterReset(trx, user, now)
      await claimsRepository.apply(trx, tenant.id, user.id, { [FORCED_RESET_CLAIM]: null })
      if (wasPending)
        await this.audit.record(trx, {
          tenantId: tenant.id,
          actor,
          action: 'user.reset-cancelled',
          target: user.id,
          detail: { codesVoided: voided },
        })
      return wasPending
    })
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
    await this.unlockAfterReset(trx, user, this.clock.now())
    await claimsRepository.apply(trx, tenantId, userId, { [FORCED_RESET_CLAIM]: null })
    const tenant = await trx.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst()
    if (tenant && this.policy(tenant).sendConfirmation) await this.queueConfirmation(trx, tenant, user)
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
    const policy = this.policy(tenant)
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
    const prepared = await this.passwords.prepare(newPassword)
    await inTransaction(this.db, async (trx) => {
      const user = await usersRepository.findById(trx, tenant.id, session.user_id)
      const pending = await pendingResetsRepository.find(trx, session.user_id)
      // The reset may have been cancelled or completed meanwhile: the session's power is gone.
      if (!user || !pending) throw new AppError('auth.required')
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
  ): Promise<TriggerResult> {
    const policy = this.policy(tenant)
    const mode = options.mode ?? policy.mode
    const now = this.clock.now()
    const claims = await claimsRepository.forUser(trx, user.id)
    const email = claims[EMAIL_CLAIM]?.trim()
    if (mode !== 'offline-otp' && !email)
      throw new AppError('reset.no-email', {
        detail: `User ${displayUserName(user.store_domain, user.username)} has no email address for the ${mode} mode; add one or use offline-otp.`,
      })
    // Locked for reset: every sign-in path (login API, pages, HTTP Basic) refuses the old password.
    await usersRepository.update(trx, tenant.id, user.id, {
      status: 'locked',
      lock_reason: RESET_LOCK_REASON,
      updated_at: now,
    })
    await pendingResetsRepository.set(trx, {
      user_id: user.id,
      tenant_id: tenant.id,
      mode,
      requested_at: now,
      requested_by: options.actor.name,
      reason: options.channel,
    })
    await claimsRepository.apply(trx, tenant.id, user.id, { [FORCED_RESET_CLAIM]: 'true' })
    const sessionsRevoked = policy.revokeSessions
      ? await sessionsRepository.revokeAllForUser(trx, user.id, now)
      : 0
    // A new trigger replaces the previous code: an earlier email's link or code stops working.
    await resetCodesRepository.voidForUser(trx, user.id)
    const codeId = newId()
    const isLink = mode === 'email-link'
    const lifetime = isLink ? policy.linkLifetimeMs : policy.otpLifetimeMs
    const secret = isLink ? newLinkToken() : generateOtp(policy.otpLength, policy.otpCharacters)
    await resetCodesRepository.insert(trx, {
      id: codeId,
      tenant_id: tenant.id,
      user_id: user.id,
      kind: isLink ? 'link' : 'otp',
      secret_hmac: isLink
        ? secretHmac(this.secretKey, 'link', secret)
        : secretHmac(this.secretKey, 'otp', secret, user.id),
      sealed_secret: mode === 'offline-otp' ? this.offlineCodes.seal(secret, codeId) : null,
      created_at: now,
      expires_at: now + lifetime,
      used_at: null,
      attempts: 0,
      max_attempts: isLink ? 1 : policy.maxOtpAttempts,
    })
    let messageId: string | null = null
    if (mode !== 'offline-otp' && email) {
      const queued = await this.notifier.enqueue(trx, {
        tenant,
        type: isLink ? 'AdminForcedPasswordReset' : 'AdminForcedPasswordResetWithOTP',
        to: email,
        userId: user.id,
        userLocale: claims[LOCALE_CLAIM] ?? null,
        values: {
          ...recipientValues(user, claims),
          'expiry-minutes': String(Math.round(lifetime / 60_000)),
          ...(isLink ? { 'reset-link': this.resetLink(tenant, secret) } : { otp: secret }),
        },
        idempotencyKey: `forced-reset:${codeId}`,
      })
      messageId = queued.id
    }
    await this.audit.record(trx, {
      tenantId: tenant.id,
      actor: options.actor,
      action: 'user.reset-forced',
      target: user.id,
      detail: {
        mode,
        channel: options.channel,
        sessionsRevoked,
        expiresAt: new Date(now + lifetime).toISOString(),
      },
    })
    return {
      userId: user.id,
      mode,
      expiresAt: new Date(now + lifetime).toISOString(),
      sessionsRevoked,
      messageId,
    }
  }

  /** `PasswordResetSuccess`: the owner learns of the change, in case it was not them. */
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

  private resetLink(tenant: TenantRow, token: string): string {
    const prefix = tenant.domain === DEFAULT_TENANT ? '' : `/t/${tenant.domain}`
    return `${publicUrl(this.config)}${prefix}/reset-password?token=${encodeURIComponent(token)}`
  }

  /** Unlocks an account locked for reset; an account locked for another reason stays locked. */
  private async unlockAfterReset(trx: Executor, user: UserRow, now: number) {
    // Re-read: the caller's row may predate a lock set for another reason meanwhile.
    const current = await usersRepository.findById(trx, user.tenant_id, user.id)
    if (current?.status === 'locked' && current.lock_reason === RESET_LOCK_REASON)
      await usersRepository.update(trx, current.tenant_id, user.id, {
        status: 'active',
        lock_reason: null,
        updated_at: now,
      })
  }
}

/** The placeholders every message about a user fills from the user and its claims. */
function recipientValues(user: UserRow, claims: Record<string, string>) {
  return {
    'user-name': displayUserName(user.store_domain, user.username),
    'first-name': claims[GIVEN_NAME_CLAIM] ?? '',
    'last-name': claims[LAST_NAME_CLAIM] ?? '',
  }
}
