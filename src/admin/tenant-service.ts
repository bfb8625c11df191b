import type { PasswordWriter } from '../credentials/password-writer.ts'
import type { Clock } from '../domain/clock.ts'
import { administratorPermissions } from '../domain/permissions.ts'
import { DEFAULT_TENANT, isValidTenantDomain, normalizeTenantDomain } from '../domain/tenant.ts'
import { isValidStoreDomain, PRIMARY_STORE } from '../domain/user-name.ts'
import { AppError } from '../errors/app-error.ts'
import type { Actor, AuditLog } from '../observability/audit.ts'
import { type Executor, inTransaction } from '../persistence/executor.ts'
import { rolesRepository } from '../persistence/repositories/roles.ts'
import { type TenantRow, tenantsRepository } from '../persistence/repositories/tenants.ts'
import { type UserStoreRow, userStoresRepository } from '../persistence/repositories/user-stores.ts'
import { usersRepository } from '../persistence/repositories/users.ts'
import { isUniqueViolation } from '../persistence/store-errors.ts'
import { newId } from '../security/tokens.ts'
import { ADMIN_ROLE, type RoleService } from './role-service.ts'
import type { UserService } from './user-service.ts'

const TENANT_CACHE_MS = 5_000

export interface TenantView {
  domain: string
  displayName: string
  status: 'active' | 'disabled'
  isDefault: boolean
  createdAt: string
}

export function toTenantView(row: TenantRow): TenantView {
  return {
    domain: row.domain,
    displayName: row.display_name,
    status: row.status,
    isDefault: row.domain === DEFAULT_TENANT,
    createdAt: new Date(row.created_at).toISOString(),
  }
}

export class TenantService {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly users: UserService,
    private readonly roles: RoleService,
    private readonly passwords: PasswordWriter,
  ) {}

  /**
   * Every tenant-scoped request resolves its tenant, so found tenants are remembered for a few
   * seconds. Status changes made here drop the entry at once; another instance's change is
   * seen within TENANT_CACHE_MS. Unknown domains are never cached.
   */
  private readonly cache = new Map<string, { row: TenantRow; expiresAt: number }>()

  async find(domain: string): Promise<TenantRow | undefined> {
    const key = normalizeTenantDomain(domain)
    const cached = this.cache.get(key)
    const now = this.clock.now()
    if (cached && cached.expiresAt > now) return cached.row
    const row = await tenantsRepository.findByDomain(this.db, key)
    if (row) this.cache.set(key, { row, expiresAt: now + TENANT_CACHE_MS })
    else this.cache.delete(key)
    return row
  }

  async require(domain: string): Promise<TenantRow> {
    const tenant = await this.find(domain)
    if (!tenant) throw new AppError('tenant.not-found', { detail: `Tenant ${domain} does not exist.` })
    return tenant
  }

  async list(): Promise<TenantView[]> {
    return (await tenantsRepository.list(this.db)).map(toTenantView)
  }

  /**
   * Creates the tenant with its PRIMARY user store and built-in `admin` role. The
   * administrator account is created separately (`ensureAdministrator`) because its password
   * is hashed outside the transaction.
   */
  async create(
    domainInput: string,
    displayName: string | undefined,
    actor: Actor,
    db: Executor = this.db,
  ): Promise<TenantRow> {
    const domain = normalizeTenantDomain(domainInput)
    if (!isValidTenantDomain(domain)) {
      throw new AppError('tenant.invalid-domain', {
        detail: 'A tenant domain is a DNS-style name: lower-case letters, digits, hyphens and dots.',
        errors: [{ pointer: '/domain', message: 'invalid tenant domain' }],
      })
    }
    const now = this.clock.now()
    const row: TenantRow = {
      id: newId(),
      domain,
      display_name: displayName ?? domain,
      status: 'active',
      created_at: now,
      updated_at: now,
    }
    try {
      await inTransaction(db, async (trx) => {
        await tenantsRepository.insert(trx, row)
        await userStoresRepository.insert(trx, {
          tenant_id: row.id,
          domain: PRIMARY_STORE,
          description: 'Built-in user store',
          created_at: now,
        })
        await this.roles.create(row, ADMIN_ROLE, administratorPermissions(domain === DEFAULT_TENANT), actor, {
          builtin: true,
          db: trx,
        })
        await this.audit.record(trx, { tenantId: row.id, actor, action: 'tenant.created', target: domain })
      })
    } catch (error) {
      if (isUniqueViolation(error))
        throw new AppError('tenant.exists', { detail: `Tenant ${domain} already exists.` })
      throw error
    }
    return row
  }

  /**
   * Creates a tenant and its `admin` account in one transaction: either both exist afterwards
   * or neither does. The password is checked and hashed before the transaction opens.
   */
  async createWithAdministrator(
    domain: string,
    displayName: string | undefined,
    adminPassword: string,
    actor: Actor,
  ): Promise<TenantRow> {
    const prepared = await this.passwords.prepare(adminPassword, { userName: 'admin' })
    return inTransaction(this.db, async (trx) => {
      const tenant = await this.create(domain, displayName, actor, trx)
      await this.users.create(tenant, { username: 'admin', prepared, roles: [ADMIN_ROLE] }, actor, trx)
      return tenant
    })
  }

  async setStatus(domain: string, status: 'active' | 'disabled', actor: Actor): Promise<TenantView> {
    const tenant = await this.require(domain)
    if (tenant.domain === DEFAULT_TENANT && status === 'disabled')
      throw new AppError('tenant.default-immutable')
    await inTransaction(this.db, async (trx) => {
      await tenantsRepository.update(trx, tenant.id, { status, updated_at: this.clock.now() })
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'tenant.updated',
        target: tenant.domain,
        detail: { status },
      })
    })
    this.cache.delete(tenant.domain)
    return toTenantView({ ...tenant, status })
  }

  async hasAdministrator(tenant: TenantRow): Promise<boolean> {
    const role = await rolesRepository.findByName(this.db, tenant.id, ADMIN_ROLE)
    return role !== undefined && (await usersRepository.countInRole(this.db, role.id)) > 0
  }

  /**
   * Creates `admin` in the `admin` role when the tenant has no administrator. If another
   * instance does the same at the same moment, one of them fails with `user.exists`.
   */
  async ensureAdministrator(tenant: TenantRow, password: string, actor: Actor): Promise<boolean> {
    if (await this.hasAdministrator(tenant)) return false
    await this.users.create(tenant, { username: 'admin', password, roles: [ADMIN_ROLE] }, actor)
    return true
  }

  async listUserStores(tenant: TenantRow): Promise<UserStoreRow[]> {
    return userStoresRepository.list(this.db, tenant.id)
  }

  async createUserStore(
    tenant: TenantRow,
    domainInput: string,
    description: string,
    actor: Actor,
  ): Promise<UserStoreRow> {
    const domain = domainInput.trim().toUpperCase()
    if (!isValidStoreDomain(domain)) {
      throw new AppError('userstore.invalid-name', {
        errors: [{ pointer: '/domain', message: 'letters, digits, "_", "." and "-"; at most 64' }],
      })
    }
    const row: UserStoreRow = { tenant_id: tenant.id, domain, description, created_at: this.clock.now() }
    try {
      await inTransaction(this.db, async (trx) => {
        await userStoresRepository.insert(trx, row)
        await this.audit.record(trx, {
          tenantId: tenant.id,
          actor,
          action: 'userstore.created',
          target: domain,
        })
      })
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('userstore.exists')
      throw error
    }
    return row
  }
}
