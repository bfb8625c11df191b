import type { Clock } from '../domain/clock.ts'
import {
  checkNewPassword,
  type PasswordPolicy,
  type PreviousPasswordMatcher,
} from '../domain/password-policy/index.ts'
import type { PolicyViolation } from '../domain/password-policy.ts'
import { AppError } from '../errors/app-error.ts'
import type { Actor, AuditLog } from '../observability/audit.ts'
import type { Executor } from '../persistence/executor.ts'
import { credentialsRepository } from '../persistence/repositories/credentials.ts'
import { passwordHistoryRepository } from '../persistence/repositories/password-history.ts'
import { sessionsRepository } from '../persistence/repositories/sessions.ts'
import type { TenantRow } from '../persistence/repositories/tenants.ts'
import { usersRepository } from '../persistence/repositories/users.ts'
import type { BasicAuthCache } from '../security/basic-auth-cache.ts'
import { isSupportedImportedHash } from '../security/imported-hashes.ts'
import { isArgon2id, type PasswordHasher } from '../security/password-hasher.ts'

const preparedBrand: unique symbol = Symbol('PreparedPassword')

/**
 * A password that passed policy and is hashed, or an imported hash that was recognised. Only
 * the writer makes one, so no code path can store an unchecked or unhashed password.
 */
export interface PreparedPassword {
  readonly [preparedBrand]: true
  readonly hash: string
  readonly source: 'set' | 'imported'
}

export interface PasswordWrite {
  tenantId: string
  userId: string
  actor: Actor
  /** Why: `created`, `admin-set`, `self-service`, `forced-reset`, … (audited). */
  reason: string
  /** A session to keep (the user's own, when it changes its own password). */
  keepSessionId?: string
  /** New accounts have nothing to revoke or audit separately. */
  isNewUser?: boolean
}

export type PasswordWrittenHook = (db: Executor, write: PasswordWrite) => Promise<void>

/** Whose password is being chosen: the policy is the tenant's, and some rules need the user. */
export interface PasswordSubject {
  /** Absent for the first account of a tenant being created: the server's policy applies. */
  tenant?: TenantRow | undefined
  /** Absent for an account being created: it has no history yet. */
  userId?: string | undefined
  /** As the user signs in (`alice` or `PARTNERS/alice`), for the not-the-user-name rule. */
  userName: string
}

/** Where the writer reads a tenant's password policy (the tenant policy service). */
export interface PasswordPolicySource {
  passwordPolicy(tenant: TenantRow): Promise<PasswordPolicy>
  serverPasswordPolicy(): PasswordPolicy
}

/** The answer to a password the policy refuses: every failed rule, for a form to show at once. */
export function weakPasswordError(violations: readonly PolicyViolation[]): AppError {
  return new AppError('password.weak', {
    detail: `The password ${violations.map((violation) => violation.message).join(' and ')}.`,
    errors: violations.map((violation) => ({
      pointer: '/password',
      message: violation.message,
      rule: violation.rule,
    })),
  })
}

/**
 * The one place a password is written. It hashes (in `prepare`), stores the credential with
 * `changed_at`, revokes the user's sessions, drops cached Basic verifications and audits.
 * Later capabilities (history, reset flags, one-time codes, notifications) register hooks
 * that run in the same transaction.
 */
export class PasswordWriter {
  private readonly hooks: PasswordWrittenHook[] = []

  constructor(
    private readonly db: Executor,
    private readonly hasher: PasswordHasher,
    private readonly policies: PasswordPolicySource,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly basicAuthCache: BasicAuthCache,
  ) {}

  onPasswordWritten(hook: PasswordWrittenHook): void {
    this.hooks.push(hook)
  }

  /**
   * Checks the tenant's password policy (the history last: it costs a hash verification per
   * entry) and hashes. Done before a transaction opens so no lock is held while hashing.
   */
  async prepare(password: string, subject: PasswordSubject): Promise<PreparedPassword> {
    const policy = subject.tenant
      ? await this.policies.passwordPolicy(subject.tenant)
      : this.policies.serverPasswordPolicy()
    const violations = await checkNewPassword(
      password,
      { userName: subject.userName, policy },
      subject.userId ? await this.previousPasswords(subject.userId, policy.historyCount) : [],
    )
    if (violations.length > 0) throw weakPasswordError(violations)
    return { [preparedBrand]: true, hash: await this.hasher.hash(password), source: 'set' }
  }

  /** The current password first, then the replaced ones, newest first. */
  private async previousPasswords(userId: string, count: number): Promise<PreviousPasswordMatcher[]> {
    if (count <= 0) return []
    const [current, earlier] = await Promise.all([
      credentialsRepository.find(this.db, userId),
      passwordHistoryRepository.recent(this.db, userId, count),
    ])
    const hashes = current ? [current.hash, ...earlier] : earlier
    return hashes.map((hash) => async (candidate) => (await this.hasher.verify(hash, candidate)).ok)
  }

  /** Accepts an existing hash from another product; it is upgraded to argon2id at the next sign-in. */
  prepareImported(encodedHash: string): PreparedPassword {
    if (!isArgon2id(encodedHash) && !isSupportedImportedHash(encodedHash)) {
      throw new AppError('password.unsupported-hash', {
        detail:
          'Supported: $argon2id$, bcrypt ($2a$/$2b$/$2y$), $pbkdf2-sha256$, pbkdf2_sha256$ and {SSHA256}.',
        errors: [{ pointer: '/passwordHash', message: 'unsupported hash format' }],
      })
    }
    return { [preparedBrand]: true, hash: encodedHash, source: 'imported' }
  }

  async write(db: Executor, prepared: PreparedPassword, write: PasswordWrite): Promise<void> {
    const now = this.clock.now()
    if (!write.isNewUser) {
      // The user's row first, as the forced-reset trigger takes it: with one lock order a
      // password write beside a trigger waits on PostgreSQL instead of deadlocking. Its version
      // moves, as the user's password time does (SCIM's passwordLastChanged, and its ETag).
      await usersRepository.touch(db, write.tenantId, write.userId, now)
      const previous = await credentialsRepository.find(db, write.userId)
      if (previous)
        await passwordHistoryRepository.remember(db, {
          tenantId: write.tenantId,
          userId: write.userId,
          hash: previous.hash,
          replacedAt: now,
        })
    }
    await credentialsRepository.upsert(db, {
      user_id: write.userId,
      tenant_id: write.tenantId,
      hash: prepared.hash,
      changed_at: now,
      updated_at: now,
    })
    this.basicAuthCache.invalidateUser(write.userId)
    if (write.isNewUser) return
    // Threat: a session opened with the old password (possibly by whoever learnt it) outliving
    // the change. Every other session of the user ends now.
    const revoked = await sessionsRepository.revokeAllForUser(db, write.userId, now, write.keepSessionId)
    for (const hook of this.hooks) await hook(db, write)
    await this.audit.record(db, {
      tenantId: write.tenantId,
      actor: write.actor,
      action: 'password.updated',
      target: write.userId,
      detail: { reason: write.reason, source: prepared.source, sessionsRevoked: revoked },
    })
  }
}
