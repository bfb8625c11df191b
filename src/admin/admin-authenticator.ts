import type { Permission } from '../domain/permissions.ts'
import { isPermission } from '../domain/permissions.ts'
import { displayUserName } from '../domain/user-name.ts'
import { AppError } from '../errors/app-error.ts'
import type { CredentialVerifier } from '../flows/login/credential-verifier.ts'
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
    const cached = this.cache.lookup(tenant.id, username, password)
    let user = cached.userId ? await this.verifier.findUser(tenant, username) : undefined
    const stillValid =
      user && user.hash !== null && cached.fingerprint === BasicAuthCache.fingerprint(user.hash)
    if (!stillValid) {
      if (cached.userId) this.cache.forget(cached.key)
      user = await this.verifier.verify(tenant, username, password)
      if (!user) {
        await this.recordFailure(tenant, username, 'bad-credentials')
        throw new AppError('auth.failed')
      }
      // Re-read: verification may have upgraded the stored encoding.
      const fresh = await this.verifier.findUser(tenant, username)
      if (fresh?.hash) this.cache.remember(cached.key, user.id, BasicAuthCache.fingerprint(fresh.hash))
    }
    if (user?.status !== 'active' || tenant.status !== 'active') {
      await this.recordFailure(tenant, username, user ? `status:${user.status}` : 'unknown')
      throw new AppError('auth.failed')
    }
    const permissions = toPermissions(await rolesRepository.permissionsOfUser(this.db, user.id))
    return {
      tenantId: tenant.id,
      actor: { kind: 'user', id: user.id, name: displayUserName(user.store_domain, user.username) },
      permissions,
    }
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
      const session = await this.sessions.authenticate(tenant, value)
      const user = session ? await usersRepository.findById(this.db, tenant.id, session.user_id) : undefined
      if (!session || !user || user.status !== 'active') throw new AppError('auth.failed')
      const permissions = toPermissions(await rolesRepository.permissionsOfUser(this.db, user.id))
      return {
        tenantId: tenant.id,
        actor: { kind: 'user', id: user.id, name: displayUserName(user.store_domain, user.username) },
        permissions,
        sessionId: session.id,
      }
    }
    throw new AppError('auth.failed')
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
