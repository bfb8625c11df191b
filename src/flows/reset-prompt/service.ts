import type { ClientInfo } from '../../admin/session-service.ts'
import type { PasswordWrite, PasswordWriter } from '../../credentials/password-writer.ts'
import type { Clock } from '../../domain/clock.ts'
import { isPasswordExpired } from '../../domain/password-policy/index.ts'
import { displayUserName } from '../../domain/user-name.ts'
import { AppError } from '../../errors/app-error.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import { claimsRepository } from '../../persistence/repositories/claims.ts'
import { credentialsRepository } from '../../persistence/repositories/credentials.ts'
import { type SessionRow, sessionsRepository } from '../../persistence/repositories/sessions.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { type UserRow, usersRepository } from '../../persistence/repositories/users.ts'
import type { LoginResult, SignInSessions } from '../login/sign-in-session.ts'
import type { PromptDecision } from './decide.ts'
import type { PasswordPolicySource } from './gate.ts'
import type { ResetPromptSettings } from './settings.ts'
import { asPromptError, checkPromptPassword, type NewPasswordInput } from './validation.ts'

export interface PromptView {
  userName: string
  decision: PromptDecision
}

/**
 * The reset-password prompt after sign-in: its restricted session (purpose `reset-prompt`)
 * is traded, once, for a full session, either with a new password (through the one
 * password-write path: policy, history, other sessions ended, `password.updated`) or, where
 * allowed, by skipping. The session is revoked in the same transaction, so a replayed or
 * double-submitted form cannot open a second session.
 */
export class ResetPromptService {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly settings: ResetPromptSettings,
    private readonly policies: PasswordPolicySource,
    private readonly passwords: PasswordWriter,
    private readonly signIns: SignInSessions,
  ) {}

  /** What the prompt page shows for a live prompt session. */
  async view(tenant: TenantRow, session: SessionRow): Promise<PromptView> {
    const user = await this.userOf(tenant, session)
    return {
      userName: displayUserName(user.store_domain, user.username),
      decision: await this.decision(tenant, user),
    }
  }

  async complete(
    tenant: TenantRow,
    session: SessionRow,
    input: NewPasswordInput,
    client: ClientInfo,
  ): Promise<LoginResult> {
    checkPromptPassword(input, this.settings.pattern)
    const user = await this.userOf(tenant, session)
    const userName = displayUserName(user.store_domain, user.username)
    let prepared: Awaited<ReturnType<PasswordWriter['prepare']>>
    try {
      prepared = await this.passwords.prepare(input.newPassword, { tenant, userId: user.id, userName })
    } catch (error) {
      throw asPromptError(error)
    }
    return inTransaction(this.db, async (trx) => {
      await this.spend(trx, session)
      await this.passwords.write(trx, prepared, {
        tenantId: tenant.id,
        userId: user.id,
        actor: { kind: 'user', id: user.id, name: userName },
        reason: 'reset-prompt',
      })
      return this.signIns.openIn(trx, tenant, client, user, {
        session: 'full',
        detail: { after: 'reset-prompt' },
      })
    })
  }

  async skip(tenant: TenantRow, session: SessionRow, client: ClientInfo): Promise<LoginResult> {
    const user = await this.userOf(tenant, session)
    if (!(await this.decision(tenant, user)).allowSkip) throw new AppError('reset.prompt-not-skippable')
    return inTransaction(this.db, async (trx) => {
      await this.spend(trx, session)
      return this.signIns.openIn(trx, tenant, client, user, {
        session: 'full',
        detail: { promptSkipped: true },
      })
    })
  }

  /**
   * The `PasswordUpdated` listener: any new password, however it was set, answers the
   * attribute, so the next sign-in is not prompted again. Runs in the write's transaction.
   */
  async clearAttributeIn(trx: Executor, write: PasswordWrite): Promise<void> {
    if (!this.settings.enabled || this.settings.source !== 'claims') return
    await claimsRepository.apply(trx, write.tenantId, write.userId, { [this.settings.claimUri]: null })
  }

  /**
   * Recomputed from the stored facts rather than remembered from the sign-in: an expired
   * password can never be skipped; otherwise the configuration says.
   */
  private async decision(tenant: TenantRow, user: UserRow): Promise<PromptDecision> {
    const [credential, policy] = await Promise.all([
      credentialsRepository.find(this.db, user.id),
      this.policies.passwordPolicy(tenant),
    ])
    const expired = isPasswordExpired(credential?.changed_at ?? 0, this.clock.now(), policy)
    return expired
      ? { reason: 'password-expired', allowSkip: false }
      : { reason: 'attribute', allowSkip: this.settings.allowSkip }
  }

  private async userOf(tenant: TenantRow, session: SessionRow): Promise<UserRow> {
    const user = await usersRepository.findById(this.db, tenant.id, session.user_id)
    // Locked or disabled since the sign-in: the prompt session's power ends with the account's.
    if (user?.status !== 'active') throw new AppError('auth.required')
    return user
  }

  /** Revokes the prompt session; a session already spent (or revoked meanwhile) refuses. */
  private async spend(trx: Executor, session: SessionRow): Promise<void> {
    if (!(await sessionsRepository.revoke(trx, session.id, this.clock.now())))
      throw new AppError('auth.required')
  }
}
