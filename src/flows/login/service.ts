import type { ClientInfo, SessionService } from '../../admin/session-service.ts'
import type { Clock } from '../../domain/clock.ts'
import { type LoginCheck, runLoginChecks } from '../../domain/login-checks.ts'
import { isPermission, type Permission } from '../../domain/permissions.ts'
import { displayUserName } from '../../domain/user-name.ts'
import { AppError } from '../../errors/app-error.ts'
import type { AuditLog } from '../../observability/audit.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import { rolesRepository } from '../../persistence/repositories/roles.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import type { CredentialVerifier } from './credential-verifier.ts'

export interface LoginRequest {
  tenant: TenantRow
  username: string
  password: string
  client: ClientInfo
}

export interface LoginResult {
  sessionId: string
  token: string
  expiresAt: number
  user: { id: string; username: string; tenant: string }
  /** Set for a session opened with a one-time password: its only power is setting a new password. */
  requiredAction?: 'set-password'
}

/**
 * Sign-in with a one-time password of a pending forced reset, for the OTP modes. Kept behind
 * this interface so the login flow does not depend on how resets are stored.
 */
export interface OtpSignIn {
  tryOtpSignIn(tenant: TenantRow, userId: string, typed: string): Promise<'accepted' | 'invalid' | 'none'>
  /** Whether the tenant lets sign-in answers say that a reset is pending. */
  revealsPending(tenant: TenantRow): boolean
  /** Lifetime of the restricted session an accepted one-time password opens. */
  restrictedSessionMs: number
}

/** The reference server's numeric codes, for clients written against it. */
const legacyCodes = {
  'reset.pending': 17006,
  'reset.otp-accepted': 17007,
  'reset.otp-invalid': 17008,
} as const

/**
 * The one place a sign-in session is created, for every interface. Order: verify the password
 * (or spend the same time on a dummy), then run the ordered login checks, then open a session.
 */
export class LoginService {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly verifier: CredentialVerifier,
    private readonly sessions: SessionService,
    private readonly checks: readonly LoginCheck[],
    private readonly otpSignIn?: OtpSignIn,
  ) {}

  async login(request: LoginRequest): Promise<LoginResult> {
    const { tenant, username } = request
    const user = await this.verifier.verify(tenant, username, request.password)
    if (!user) {
      const restricted = await this.signInWithOtp(request)
      if (restricted) return restricted
      await this.recordFailure(tenant, username, null, 'bad-credentials')
      throw new AppError('auth.failed')
    }
    const granted = await rolesRepository.permissionsOfUser(this.db, user.id)
    const decision = runLoginChecks(this.checks, {
      tenantStatus: tenant.status,
      userStatus: user.status,
      lockReason: user.lock_reason,
      permissions: new Set(granted.filter(isPermission) as Permission[]),
      passwordChangedAt: user.changed_at ?? 0,
      now: this.clock.now(),
    })
    if (decision.kind === 'deny') {
      await this.recordFailure(tenant, username, user.id, `${decision.check}:${decision.reason}`)
      // The right old password of an account waiting for its forced reset: the reference
      // server's 17006. Only a caller who knew the password learns that a reset is pending.
      if (user.status === 'locked' && user.lock_reason === 'reset-pending')
        throw new AppError(decision.code, {
          reason: 'reset.pending',
          legacyCode: legacyCodes['reset.pending'],
        })
      throw new AppError(decision.code)
    }
    if (decision.kind === 'require-action') {
      // No check asks for an action yet; later capabilities turn this into a restricted session.
      await this.recordFailure(tenant, username, user.id, `${decision.check}:${decision.action}`)
      throw new AppError('auth.failed')
    }
    return this.openSession(request, user, { session: 'full' })
  }

  /** Creates the session and audits the sign-in, in one transaction. */
  private async openSession(
    request: LoginRequest,
    user: { id: string; store_domain: string; username: string },
    kind: { session: 'full' } | { session: 'password-reset'; ttlMs: number },
  ): Promise<LoginResult> {
    const { tenant } = request
    const displayName = displayUserName(user.store_domain, user.username)
    const restricted = kind.session === 'password-reset'
    const { token, row } = await inTransaction(this.db, async (trx) => {
      const created = await this.sessions.create(
        trx,
        tenant.id,
        user.id,
        request.client,
        restricted ? { purpose: 'password-reset', ttlMs: kind.ttlMs } : undefined,
      )
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor: { kind: 'user', id: user.id, name: displayName },
        action: 'login.succeeded',
        target: user.id,
        detail: {
          session: created.row.id,
          clientAddress: request.client.address,
          ...(restricted ? { restricted: 'set-password', reason: 'reset.otp-accepted' } : {}),
        },
      })
      return created
    })
    return {
      sessionId: row.id,
      token,
      expiresAt: row.expires_at,
      user: { id: user.id, username: displayName, tenant: tenant.domain },
      ...(restricted ? { requiredAction: 'set-password' as const } : {}),
    }
  }

  /**
   * The password did not verify; it may be the one-time password of a pending reset. Accepted,
   * it opens a restricted session; wrong, it counts against the code's attempts (the answer
   * says so only where the tenant allows it: otherwise it would tell anyone guessing that a
   * reset is pending).
   */
  private async signInWithOtp(request: LoginRequest): Promise<LoginResult | undefined> {
    if (!this.otpSignIn) return undefined
    const { tenant, username } = request
    const user = await this.verifier.findUser(tenant, username)
    if (user?.status !== 'locked' || user.lock_reason !== 'reset-pending') return undefined
    const outcome = await this.otpSignIn.tryOtpSignIn(tenant, user.id, request.password)
    if (outcome === 'invalid' && this.otpSignIn.revealsPending(tenant)) {
      await this.recordFailure(tenant, username, user.id, 'reset.otp-invalid')
      throw new AppError('auth.failed', {
        reason: 'reset.otp-invalid',
        legacyCode: legacyCodes['reset.otp-invalid'],
      })
    }
    if (outcome !== 'accepted') return undefined
    return this.openSession(request, user, {
      session: 'password-reset',
      ttlMs: this.otpSignIn.restrictedSessionMs,
    })
  }

  private async recordFailure(
    tenant: TenantRow,
    username: string,
    userId: string | null,
    reason: string,
  ): Promise<void> {
    await this.audit.record(this.db, {
      tenantId: tenant.id,
      actor: { kind: 'anonymous', id: null, name: username.slice(0, 255) },
      action: 'login.failed',
      target: userId,
      outcome: 'failure',
      detail: { reason },
    })
  }
}
