import type { ClientInfo, SessionService } from '../../admin/session-service.ts'
import { displayUserName } from '../../domain/user-name.ts'
import type { AuditLog } from '../../observability/audit.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import type { PromptDecision } from '../reset-prompt/decide.ts'

export interface LoginResult {
  sessionId: string
  token: string
  expiresAt: number
  user: { id: string; username: string; tenant: string }
  /**
   * Set for a restricted session. `set-password`: opened with a one-time password, its only
   * power is setting a new password. `reset-password-prompt`: the password was right but must
   * be replaced; the session can set a new password or, where `prompt.allowSkip`, skip.
   */
  requiredAction?: 'set-password' | 'reset-password-prompt'
  prompt?: PromptDecision
}

export interface SignInUser {
  id: string
  store_domain: string
  username: string
}

export type SessionKind =
  | { session: 'full'; detail?: Record<string, unknown> }
  | { session: 'password-reset'; ttlMs: number }
  | { session: 'reset-prompt'; ttlMs: number; prompt: PromptDecision }

/**
 * Opens a sign-in session and records `login.succeeded` in the same transaction: a session
 * exists exactly when its audit event does. The login flow and the reset-password prompt
 * (which trades its restricted session for a full one) both open sessions here.
 */
export class SignInSessions {
  constructor(
    private readonly db: Executor,
    private readonly audit: AuditLog,
    private readonly sessions: SessionService,
  ) {}

  open(tenant: TenantRow, client: ClientInfo, user: SignInUser, kind: SessionKind): Promise<LoginResult> {
    return inTransaction(this.db, (trx) => this.openIn(trx, tenant, client, user, kind))
  }

  async openIn(
    trx: Executor,
    tenant: TenantRow,
    client: ClientInfo,
    user: SignInUser,
    kind: SessionKind,
  ): Promise<LoginResult> {
    const displayName = displayUserName(user.store_domain, user.username)
    const restricted = kind.session === 'full' ? undefined : { purpose: kind.session, ttlMs: kind.ttlMs }
    const { row, token } = await this.sessions.create(trx, tenant.id, user.id, client, restricted)
    await this.audit.record(trx, {
      tenantId: tenant.id,
      actor: { kind: 'user', id: user.id, name: displayName },
      action: 'login.succeeded',
      target: user.id,
      detail: { session: row.id, clientAddress: client.address, ...auditDetail(kind) },
      client,
    })
    return {
      sessionId: row.id,
      token,
      expiresAt: row.expires_at,
      user: { id: user.id, username: displayName, tenant: tenant.domain },
      ...(kind.session === 'password-reset' ? { requiredAction: 'set-password' as const } : {}),
      ...(kind.session === 'reset-prompt'
        ? { requiredAction: 'reset-password-prompt' as const, prompt: kind.prompt }
        : {}),
    }
  }
}

function auditDetail(kind: SessionKind): Record<string, unknown> {
  switch (kind.session) {
    case 'full':
      return kind.detail ?? {}
    case 'password-reset':
      return { restricted: 'set-password', reason: 'reset.otp-accepted' }
    case 'reset-prompt':
      return { restricted: 'reset-password-prompt', reason: `reset-prompt.${kind.prompt.reason}` }
  }
}
