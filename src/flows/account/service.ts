import type { PasswordWriter } from '../../credentials/password-writer.ts'
import { displayUserName } from '../../domain/user-name.ts'
import { AppError } from '../../errors/app-error.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import { credentialsRepository } from '../../persistence/repositories/credentials.ts'
import type { SessionRow } from '../../persistence/repositories/sessions.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { type UserRow, usersRepository } from '../../persistence/repositories/users.ts'
import type { CredentialVerifier } from '../login/credential-verifier.ts'

export interface AccountSummary {
  userId: string
  /** As the user signs in: `alex`, or `PARTNERS/alex` for a secondary user store. */
  userName: string
  tenant: string
  /** When the current password was set (epoch milliseconds); null for an account without one. */
  passwordChangedAt: number | null
  sessionExpiresAt: number
}

export interface ChangePasswordInput {
  currentPassword: string
  newPassword: string
  /** The new password typed a second time; the pages always send it, API clients may not. */
  confirmation?: string | undefined
}

/**
 * What a signed-in user does with its own account: who am I, change my password, and confirm
 * the current password before changing anything else that proves who the user is.
 */
export class AccountService {
  constructor(
    private readonly db: Executor,
    private readonly verifier: CredentialVerifier,
    private readonly passwords: PasswordWriter,
  ) {}

  async summary(tenant: TenantRow, session: SessionRow): Promise<AccountSummary> {
    const user = await this.userOf(tenant, session)
    const credential = await credentialsRepository.find(this.db, user.id)
    return {
      userId: user.id,
      userName: displayUserName(user.store_domain, user.username),
      tenant: tenant.domain,
      passwordChangedAt: credential?.changed_at ?? null,
      sessionExpiresAt: session.expires_at,
    }
  }

  /**
   * Threat: a session left open on a shared machine used to take the account over. The current
   * password is asked for and verified (argon2, like a sign-in) before anything else; the new
   * one goes through the one password-write path (tenant policy and history, every other
   * session of the user ended) while the session that asked is kept.
   */
  async changePassword(tenant: TenantRow, session: SessionRow, input: ChangePasswordInput): Promise<void> {
    const user = await this.userOf(tenant, session)
    const userName = displayUserName(user.store_domain, user.username)
    await this.confirmCurrentPassword(tenant, user, input.currentPassword)
    if (input.newPassword === '')
      throw new AppError('password.required', {
        errors: [{ pointer: '/newPassword', message: 'is required' }],
      })
    if (input.confirmation !== undefined && input.confirmation !== input.newPassword)
      throw new AppError('password.mismatch', {
        errors: [{ pointer: '/confirmation', message: 'does not match the new password' }],
      })
    const prepared = await this.passwords.prepare(input.newPassword, { tenant, userId: user.id, userName })
    await inTransaction(this.db, (trx) =>
      this.passwords.write(trx, prepared, {
        tenantId: tenant.id,
        userId: user.id,
        actor: { kind: 'user', id: user.id, name: userName },
        reason: 'changed-by-user',
        keepSessionId: session.id,
      }),
    )
  }

  /**
   * Refuses (`password.current-incorrect`, pointer `/currentPassword`) unless `currentPassword`
   * is the user's password, verified like a sign-in (argon2). Threat: a session left open on a
   * shared machine lets a passer-by change what proves the account's owner (the password, the
   * security answers a self-service reset accepts instead of it); asking for the password
   * first keeps that to someone who knows it. Callers run it before any other costly work.
   */
  async confirmCurrentPassword(tenant: TenantRow, user: UserRow, currentPassword: string): Promise<void> {
    const verified =
      currentPassword === ''
        ? undefined
        : await this.verifier.verify(
            tenant,
            displayUserName(user.store_domain, user.username),
            currentPassword,
          )
    if (verified?.id !== user.id)
      throw new AppError('password.current-incorrect', {
        errors: [{ pointer: '/currentPassword', message: 'is not correct' }],
      })
  }

  private async userOf(tenant: TenantRow, session: SessionRow): Promise<UserRow> {
    const user = await usersRepository.findById(this.db, tenant.id, session.user_id)
    if (user?.status !== 'active') throw new AppError('auth.required')
    return user
  }
}
