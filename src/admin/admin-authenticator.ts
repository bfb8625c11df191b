import type { Permission } from '../domain/permissions.ts'
import { isPermission } from '../domain/permissions.ts'
import { displayUserName } from '../domain/user-name.ts'
import { AppError } from '../errors/app-error.ts'
import type { CredentialVerifier, LoginUser } from '../flows/login/credential-verifier.ts'
import type { Actor, AuditLog } from '../observability/audit.ts'
import type { Executor } from '../persistence/executor.ts'
import { rolesRepository } from '../persistence/repositories/roles.ts'
import type { TenantRow } from '../persistence/repositories/tenants.ts'
import { usersRepository } from '../persistence/repositories/users.ts'
import { BasicAuthCache } from '../security/basic-auth-cache.ts'
import type { SessionService } from './session-service.ts'
import type { TokenService } from './token-service.ts'

/** Who is calling an admin route, in which tenant, with which permissions. */
export interface Principal {
  tenantId: string
  actor: Actor
  permissions: ReadonlySet<Permission>
  /** Set when the caller authenticated with a session bearer value. */
  sessionId?: string
}

function toPermissions(values: readonly string[]): Set<Permission> {
  return new Set(values.filter(isPermission))
}

function decodeBasic(encoded: string): { username: string; password: string } | undefined {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return undefined
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

/**
 * Authenticates admin API callers: HTTP Basic with a tenant user's password, API tokens
 * (`rkt_…`) or sign-in sessions (`rks_…`) as bearer values. Credentials are only ever checked
 * against the tenant named by the URL, which is what keeps one tenant's administrator out of
 * another tenant.
 */
export class AdminAuthenticator {
  constructor(
    private readonly db: Executor,
    private readonly verifier: CredentialVerifier,
    private readonly cache: BasicAuthCache,
    private readonly tokens: TokenService,
    private readonly sessions: SessionService,
    private readonly audit: AuditLog,
  ) {}

  /** Basic verifications running now, by cache key (a keyed hash, never the password). */
  private readonly inFlight = new Map<string, Promise<LoginUser | undefined>>()

  async authenticate(tenant: TenantRow, authorization: string | undefined): Promise<Principal> {
    if (!authorization) throw new AppError('auth.required')
    const space = authorization.indexOf(' ')
    const scheme = authorization.slice(0, space).toLowerCase()
    const value = authorization.slice(space + 1).trim()
    if (space > 0 && scheme === 'basic') return this.basic(tenant, value)
    if (space > 0 && scheme === 'bearer') return this.bearer(tenant, value)
    throw new AppError('auth.required', { detail: 'Use HTTP Basic or a Bearer token.' })
  }

  private async basic(tenant: TenantRow, encoded: string): Promise<Principal> {
    const credentials = decodeBasic(encoded)
    if (!credentials) throw new AppError('auth.required', { detail: 'Malformed Basic credentials.' })
    const { username, password } = credentials
    const user = await this.verifyBasic(tenant, username, password)
    if (!user) {
      await this.recordFailure(tenant, username, 'bad-credentials')
      throw new AppError('auth.failed')
    }
    // A pending reset refuses the password whatever the status says (see findForLogin).
    if (user.status !== 'active' || tenant.status !== 'active' || user.pending_reset_mode !== null) {
      await this.recordFailure(
        tenant,
        username,
        user.pending_reset_mode !== null ? 'reset-pending' : `status:${user.status}`,
      )
      throw new AppError('auth.failed')
    }
    const permissions = toPermissions(await rolesRepository.permissionsOfUser(this.db, user.id))
    return {
      tenantId: tenant.id,
      actor: { kind: 'user', id: user.id, name: displayUserName(user.store_domain, user.username) },
      permissions,
    }
  }

  /**
   * The user the Basic credentials belong to, or undefined. A remembered verification is
   * accepted only while the stored hash is the one it was made against (a password changed on
   * any instance misses at once). Concurrent calls with the same credentials share one
   * verification: a burst sent in parallel costs one argon2 run, like a sequential one.
   */
  private async verifyBasic(
    tenant: TenantRow,
    username: string,
    password: string,
  ): Promise<LoginUser | undefined> {
    const cached = this.cache.lookup(tenant.id, username, password)
    if (cached.userId && cached.fingerprint) {
      const confirmed = await this.confirm(tenant, username, cached.userId, cached.fingerprint)
      if (confirmed) return confirmed
      this.cache.forget(cached.key)
    }
    const pending = this.inFlight.get(cached.key)
    if (pending) {
      const shared = await pending
      if (!shared?.hash) return undefined
      // The shared verification may have started before a password change: confirm it
      // against the stored hash as for a remembered one, else verify afresh.
      const confirmed = await this.confirm(
        tenant,
        username,
        shared.id,
        BasicAuthCache.fingerprint(shared.hash),
      )
      if (confirmed) return confirmed
    }
    const verification = this.verifier
      .verify(tenant, username, password)
      .then((user) => {
        // Remember the hash that was verified, never one re-read afterwards: that one may
        // belong to a password set during the verification.
        if (user?.hash) this.cache.remember(cached.key, user.id, BasicAuthCache.fingerprint(user.hash))
        return user
      })
      .finally(() => {
        if (this.inFlight.get(cached.key) === verification) this.inFlight.delete(cached.key)
      })
    this.inFlight.set(cached.key, verification)
    return verification
  }

  private async confirm(
    tenant: TenantRow,
    username: string,
    userId: string,
    fingerprint: string,
  ): Promise<LoginUser | undefined> {
    const user = await this.verifier.findUser(tenant, username)
    const matches = user?.hash && user.id === userId && BasicAuthCache.fingerprint(user.hash) === fingerprint
    return matches ? user : undefined
  }

  private async bearer(tenant: TenantRow, value: string): Promise<Principal> {
    if (tenant.status !== 'active') throw new AppError('auth.failed')
    if (value.startsWith('rkt_')) {
      const token = await this.tokens.authenticate(tenant, value)
      if (!token) throw new AppError('auth.failed')
      return {
        tenantId: tenant.id,
        actor: { kind: 'token', id: token.id, name: token.name },
        permissions: toPermissions(JSON.parse(token.scopes) as string[]),
      }
    }
    if (value.startsWith('rks_')) {
      const principal = await this.sessionPrincipal(tenant, value)
      if (!principal) throw new AppError('auth.failed')
      return principal
    }
    throw new AppError('auth.failed')
  }

  /**
   * The principal of a full sign-in session (a bearer value, or the console's cookie), or
   * undefined when the session is not live, its user is not active or the tenant is disabled.
   * Permissions are read on every call: a role taken away applies at the next request.
   */
  async sessionPrincipal(tenant: TenantRow, token: string): Promise<Principal | undefined> {
    if (tenant.status !== 'active') return undefined
    const session = await this.sessions.authenticate(tenant, token)
    const user = session ? await usersRepository.findById(this.db, tenant.id, session.user_id) : undefined
    if (!session || !user || user.status !== 'active') return undefined
    const permissions = toPermissions(await rolesRepository.permissionsOfUser(this.db, user.id))
    return {
      tenantId: tenant.id,
      actor: { kind: 'user', id: user.id, name: displayUserName(user.store_domain, user.username) },
      permissions,
      sessionId: session.id,
    }
  }

  private async recordFailure(tenant: TenantRow, username: string, reason: string): Promise<void> {
    await this.audit.record(this.db, {
      tenantId: tenant.id,
      actor: { kind: 'anonymous', id: null, name: username.slice(0, 255) },
      action: 'admin-auth.failed',
      outcome: 'failure',
      detail: { reason },
    })
  }
}
