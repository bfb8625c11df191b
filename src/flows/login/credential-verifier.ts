import type { Clock } from '../../domain/clock.ts'
import { parseUserName, userNameKey } from '../../domain/user-name.ts'
import type { Executor } from '../../persistence/executor.ts'
import { credentialsRepository } from '../../persistence/repositories/credentials.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { usersRepository } from '../../persistence/repositories/users.ts'
import type { PasswordHasher } from '../../security/password-hasher.ts'

export type LoginUser = NonNullable<Awaited<ReturnType<typeof usersRepository.findForLogin>>>

/**
 * Checks a user name and password in a tenant. Unknown users, users without a password and
 * malformed names all cost one dummy verification, so timing does not reveal which part was
 * wrong. A correct password stored with old parameters or an imported format is re-encoded
 * with the current argon2id parameters (same password: `changed_at` is kept).
 */
export class CredentialVerifier {
  constructor(
    private readonly db: Executor,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
  ) {}

  async findUser(tenant: TenantRow, userName: string): Promise<LoginUser | undefined> {
    const parsed = parseUserName(userName)
    if (!parsed) return undefined
    return usersRepository.findForLogin(this.db, tenant.id, parsed.storeDomain, userNameKey(parsed.name))
  }

  async verify(tenant: TenantRow, userName: string, password: string): Promise<LoginUser | undefined> {
    const user = await this.findUser(tenant, userName)
    if (!user || user.hash === null) {
      await this.hasher.verifyDummy(password)
      return undefined
    }
    const result = await this.hasher.verify(user.hash, password)
    if (!result.ok) return undefined
    if (result.needsRehash) {
      // The returned `hash` is the one this password is now known to match: the new encoding
      // if it was stored, else the verified one (never a hash read later, which may belong
      // to a password set meanwhile).
      const upgraded = await this.upgrade(user.id, user.hash, password)
      if (upgraded) return { ...user, hash: upgraded }
    }
    return user
  }

  private async upgrade(userId: string, oldHash: string, password: string): Promise<string | undefined> {
    const newHash = await this.hasher.hash(password)
    const replaced = await credentialsRepository.replaceEncoding(
      this.db,
      userId,
      oldHash,
      newHash,
      this.clock.now(),
    )
    return replaced ? newHash : undefined
  }
}
