import type { ClientInfo, SessionService } from '../../admin/session-service.ts'
import { RESET_LOCK_REASON } from '../../domain/account-lock.ts'
import type { Clock } from '../../domain/clock.ts'
import { type LoginCheck, runLoginChecks } from '../../domain/login-checks.ts'
import { isPermission, type Permission } from '../../domain/permissions.ts'
import { AppError } from '../../errors/app-error.ts'
import type { AuditLog } from '../../observability/audit.ts'
import type { Executor } from '../../persistence/executor.ts'
import { rolesRepository } from '../../persistence/repositories/roles.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import type { PromptDecision } from '../reset-prompt/decide.ts'
import type { CredentialVerifier, LoginUser } from './credential-verifier.ts'
import { type LoginResult, SignInSessions } from './sign-in-session.ts'

export type { LoginResult } from './sign-in-session.ts'

export interface LoginRequest {
  tenant: TenantRow
  username: string
  password: string
  client: ClientInfo
  /**
   * Attributes of this sign-in given by the caller (the login API's `context`), read by the
   * reset-password prompt when its attribute source is `login-context`.
   */
  context?: Readonly<Record<string, string>>
}

/**
 * The reset-password prompt: after a correct password and every login check, whether the user
 * must choose a new password first. Kept behind this interface so the login flow does not
 * depend on where the attribute or the password policy come from.
 */
export interface ResetPromptGate {
  decide(
    tenant: TenantRow,
    user: Pick<LoginUser, 'id' | 'changed_at'>,
    context: Readonly<Record<string, string>>,
  ): Promise<PromptDecision | undefined>
  /** Lifetime of the restricted session the prompt opens. */
  promptSessionMs: number
}

/**
 * Sign-in with a one-time password of a pending forced reset, for the OTP modes. Kept behind
 * this interface so the login flow does not depend on how resets are stored.
 */
export interface OtpSignIn {
  tryOtpSignIn(tenant: TenantRow, userId: string, typed: string): Promise<'accepted' | 'invalid' | 'none'>
  /** Whether the tenant lets sign-in answers say that a reset is pending. */
  revealsPending(tenant: TenantRow): Promise<boolean>
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
 * (or spend the same time on a dummy), then run the ordered login checks, then ask the
 * reset-password prompt, then open a session (restricted to the prompt when it asks).
 */
export class LoginService {
  private readonly signIns: SignInSessions

  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly verifier: CredentialVerifier,
    sessions: SessionService,
    private readonly checks: readonly LoginCheck[],
    private readonly otpSignIn?: OtpSignIn,
    private readonly resetPrompt?: ResetPromptGate,
  ) {
    this.signIns = new SignInSessions(db, audit, sessions)
  }

  async login(request: LoginRequest): Promise<LoginResult> {
    const { tenant, username } = request
    const user = await this.verifier.verify(tenant, username, request.password)
    if (!user) {
      const restricted = await this.signInWithOtp(request)
      if (restricted) return restricted
      await this.recordFailure(request, null, 'bad-credentials')
      throw new AppError('auth.failed')
    }
    const granted = await rolesRepository.permissionsOfUser(this.db, user.id)
    const decision = runLoginChecks(this.checks, {
      tenantStatus: tenant.status,
      userStatus: user.status,
      lockReason: user.lock_reason,
      resetPending: user.pending_reset_mode !== null,
      permissions: new Set(granted.filter(isPermission) as Permission[]),
      passwordChangedAt: user.changed_at ?? 0,
      now: this.clock.now(),
    })
    if (decision.kind === 'deny') {
      await this.recordFailure(request, user.id, `${decision.check}:${decision.reason}`)
      // The right old password of an account waiting for its forced reset: the reference
      // server's 17006. Only a caller who knew the password learns that a reset is pending.
      if (awaitsItsReset(user))
        throw new AppError(decision.code, {
          reason: 'reset.pending',
          legacyCode: legacyCodes['reset.pending'],
        })
      throw new AppError(decision.code)
    }
    if (decision.kind === 'require-action') {
      // No ordered check asks for an action; the reset-password prompt below is the one that does.
      await this.recordFailure(request, user.id, `${decision.check}:${decision.action}`)
      throw new AppError('auth.failed')
    }
    const prompt = await this.resetPrompt?.decide(tenant, user, request.context ?? {})
    if (prompt && this.resetPrompt)
      return this.signIns.open(tenant, request.client, user, {
        session: 'reset-prompt',
        ttlMs: this.resetPrompt.promptSessionMs,
        prompt,
      })
    return this.signIns.open(tenant, request.client, user, { session: 'full' })
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
    if (!user || !awaitsItsReset(user)) return undefined
    const outcome = await this.otpSignIn.tryOtpSignIn(tenant, user.id, request.password)
    if (outcome === 'invalid') {
      // The audit log always tells a wrong one-time password from a wrong password; the
      // answer tells it only where the tenant allows.
      await this.recordFailure(request, user.id, 'reset.otp-invalid')
      if (await this.otpSignIn.revealsPending(tenant))
        throw new AppError('auth.failed', {
          reason: 'reset.otp-invalid',
          legacyCode: legacyCodes['reset.otp-invalid'],
        })
      throw new AppError('auth.failed')
    }
    if (outcome !== 'accepted') return undefined
    return this.signIns.open(tenant, request.client, user, {
      session: 'password-reset',
      ttlMs: this.otpSignIn.restrictedSessionMs,
    })
  }

  private async recordFailure(request: LoginRequest, userId: string | null, reason: string): Promise<void> {
    await this.audit.record(this.db, {
      tenantId: request.tenant.id,
      actor: { kind: 'anonymous', id: null, name: request.username.slice(0, 255) },
      action: 'login.failed',
      target: userId,
      outcome: 'failure',
      detail: { reason },
      client: request.client,
    })
  }
}

/**
 * Waiting for its forced reset and for nothing else: a reset is pending and the account is
 * either active or locked by that reset alone. Only then may a one-time password open the way to
 * a new password, and only then does the right old password learn that a reset is pending; a
 * disabled account, or one an administrator locked, stays shut.
 */
function awaitsItsReset(user: LoginUser): boolean {
  return (
    user.pending_reset_mode !== null &&
    (user.status === 'active' || (user.status === 'locked' && user.lock_reason === RESET_LOCK_REASON))
  )
}
