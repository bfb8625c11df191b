import type { Config } from '../../config/schema.ts'
import type { Clock } from '../../domain/clock.ts'
import {
  checkPolicyDefinition,
  type PasswordPolicy,
  resolvePasswordPolicy,
} from '../../domain/password-policy/index.ts'
import { AppError } from '../../errors/app-error.ts'
import type { ResetPolicy } from '../../flows/forced-reset/reset-policy.ts'
import type { Actor, AuditLog } from '../../observability/audit.ts'
import { type Executor, inTransaction } from '../../persistence/executor.ts'
import { tenantSettingsRepository } from '../../persistence/repositories/tenant-settings.ts'
import type { TenantRow } from '../../persistence/repositories/tenants.ts'
import { CachedSetting, SETTING_CACHE_MS } from './cached-setting.ts'
import { serverPasswordPolicy } from './defaults.ts'
import {
  checkResetChanges,
  mergeResetSettings,
  type ResetPolicySettings,
  serverResetSettings,
  toResetPolicy,
} from './reset-policy-settings.ts'
import {
  checkSelfServiceSettings,
  mergeSelfServiceSettings,
  type SelfServicePolicy,
  type SelfServiceSettings,
  serverSelfServiceSettings,
  toSelfServicePolicy,
} from './selfservice-settings.ts'

const RESET_POLICY = 'reset-policy'
const PASSWORD_POLICY = 'password-policy'
const SELFSERVICE_POLICY = 'selfservice-policy'

export interface PolicyView<T> {
  /** What applies in the tenant now. */
  effective: T
  /** The keys the tenant set itself; the others follow the server's configuration. */
  overrides: Partial<T>
}

/**
 * Each tenant's forced-reset policy and password policy: the server's configuration, overlaid
 * with what the tenant's administrators changed (stored in tenant_settings). Reads are cached
 * briefly because every sign-in, reset and bulk batch asks.
 */
export class TenantPolicyService {
  private readonly resetCache: CachedSetting<ResetPolicySettings>
  private readonly passwordCache: CachedSetting<PasswordPolicy>
  private readonly selfServiceCache: CachedSetting<SelfServiceSettings>

  constructor(
    private readonly db: Executor,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {
    this.resetCache = new CachedSetting(clock, SETTING_CACHE_MS, async (tenantId, trx) =>
      mergeResetSettings(serverResetSettings(config), await this.overrideOf(tenantId, RESET_POLICY, trx)),
    )
    this.passwordCache = new CachedSetting(clock, SETTING_CACHE_MS, async (tenantId, trx) =>
      resolvePasswordPolicy({
        ...serverPasswordPolicy(config),
        ...pickKnown(await this.overrideOf(tenantId, PASSWORD_POLICY, trx), serverPasswordPolicy(config)),
      }),
    )
    this.selfServiceCache = new CachedSetting(clock, SETTING_CACHE_MS, async (tenantId, trx) =>
      mergeSelfServiceSettings(
        serverSelfServiceSettings(config),
        (await this.overrideOf(tenantId, SELFSERVICE_POLICY, trx)) ?? {},
      ),
    )
  }

  /** `db`: the caller's transaction, when it has one open. */
  async resetPolicy(tenant: TenantRow, db: Executor = this.db): Promise<ResetPolicy> {
    return toResetPolicy(await this.resetCache.get(tenant.id, db))
  }

  async passwordPolicy(tenant: TenantRow, db: Executor = this.db): Promise<PasswordPolicy> {
    return this.passwordCache.get(tenant.id, db)
  }

  async selfServicePolicy(tenant: TenantRow, db: Executor = this.db): Promise<SelfServicePolicy> {
    return toSelfServicePolicy(await this.selfServiceCache.get(tenant.id, db))
  }

  async viewSelfServicePolicy(tenant: TenantRow): Promise<PolicyView<SelfServiceSettings>> {
    const server = serverSelfServiceSettings(this.config)
    const overrides = pickKnown(await this.overrideOf(tenant.id, SELFSERVICE_POLICY), server)
    return { effective: mergeSelfServiceSettings(server, overrides), overrides }
  }

  /** Changes a tenant's stage pipeline or queryable attributes; the result is checked as a whole first. */
  async updateSelfServicePolicy(
    tenant: TenantRow,
    changes: { [K in keyof SelfServiceSettings]?: SelfServiceSettings[K] | null },
    actor: Actor,
  ): Promise<PolicyView<SelfServiceSettings>> {
    if (Object.keys(changes).length > 0) {
      const server = serverSelfServiceSettings(this.config)
      await this.store(tenant, SELFSERVICE_POLICY, actor, changes, (stored) => {
        const next = applyChanges(pickKnown(stored, server), changes)
        checkSelfServiceSettings(mergeSelfServiceSettings(server, next))
        return next
      })
      this.selfServiceCache.forget(tenant.id)
    }
    return this.viewSelfServicePolicy(tenant)
  }

  /** The configuration's policy, for the first account of a tenant not yet created. */
  serverPasswordPolicy(): PasswordPolicy {
    return serverPasswordPolicy(this.config)
  }

  async viewResetPolicy(tenant: TenantRow): Promise<PolicyView<ResetPolicySettings>> {
    const overrides = pickKnown(
      await this.overrideOf(tenant.id, RESET_POLICY),
      serverResetSettings(this.config),
    )
    return { effective: mergeResetSettings(serverResetSettings(this.config), overrides), overrides }
  }

  async viewPasswordPolicy(tenant: TenantRow): Promise<PolicyView<PasswordPolicy>> {
    const server = serverPasswordPolicy(this.config)
    const overrides = pickKnown(await this.overrideOf(tenant.id, PASSWORD_POLICY), server)
    return { effective: resolvePasswordPolicy({ ...server, ...overrides }), overrides }
  }

  /**
   * Changes some reset settings of a tenant; the ones not named keep their current value.
   * `null` for a key returns it to the server's value. Values outside the configuration's own
   * schema (type, bounds, the modes that exist) are refused as `policy.invalid` before anything
   * is stored.
   */
  async updateResetPolicy(
    tenant: TenantRow,
    changes: { [K in keyof ResetPolicySettings]?: ResetPolicySettings[K] | null },
    actor: Actor,
  ): Promise<PolicyView<ResetPolicySettings>> {
    if (Object.keys(changes).length > 0) {
      checkResetChanges(changes)
      const server = serverResetSettings(this.config)
      await this.store(tenant, RESET_POLICY, actor, changes, (stored) =>
        applyChanges(pickKnown(stored, server), changes),
      )
      this.resetCache.forget(tenant.id)
    }
    return this.viewResetPolicy(tenant)
  }

  /**
   * Changes some password-policy rules of a tenant. The resulting policy is checked as a whole
   * (ranges, minimum ≤ maximum, a pattern that is safe to run on every change) before anything
   * is stored.
   */
  async updatePasswordPolicy(
    tenant: TenantRow,
    changes: { [K in keyof PasswordPolicy]?: PasswordPolicy[K] | null },
    actor: Actor,
  ): Promise<PolicyView<PasswordPolicy>> {
    if (Object.keys(changes).length > 0) {
      const server = serverPasswordPolicy(this.config)
      await this.store(tenant, PASSWORD_POLICY, actor, changes, (stored) => {
        const next = applyChanges(pickKnown(stored, server), changes)
        const problems = checkPolicyDefinition(resolvePasswordPolicy({ ...server, ...next }))
        if (problems.length > 0)
          throw new AppError('policy.invalid', {
            detail: problems.map((problem) => `${problem.field} ${problem.message}`).join('; '),
            errors: problems.map((problem) => ({ pointer: `/${problem.field}`, message: problem.message })),
          })
        return next
      })
      this.passwordCache.forget(tenant.id)
    }
    return this.viewPasswordPolicy(tenant)
  }

  /**
   * Read, change and store a tenant's overrides in one transaction, the stored row locked on
   * PostgreSQL, so two administrators changing different keys at once both keep their change.
   */
  private async store(
    tenant: TenantRow,
    name: string,
    actor: Actor,
    changes: object,
    compute: (stored: Record<string, unknown> | undefined) => object,
  ): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      const overrides = compute(await this.overrideOf(tenant.id, name, trx, { forUpdate: true }))
      if (Object.keys(overrides).length === 0) await tenantSettingsRepository.remove(trx, tenant.id, name)
      else
        await tenantSettingsRepository.set(trx, {
          tenantId: tenant.id,
          name,
          value: overrides,
          now: this.clock.now(),
          actor: actor.name,
        })
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'tenant.policy-updated',
        target: name,
        detail: { changed: Object.keys(changes) },
      })
    })
  }

  private async overrideOf(
    tenantId: string,
    name: string,
    db: Executor = this.db,
    options: { forUpdate?: boolean } = {},
  ): Promise<Record<string, unknown> | undefined> {
    const stored = await tenantSettingsRepository.get(db, tenantId, name, options)
    return stored !== null && typeof stored === 'object' ? (stored as Record<string, unknown>) : undefined
  }
}

/** The stored keys that the known shape has, with the same type: a stale document cannot inject others. */
function pickKnown<T extends object>(stored: Record<string, unknown> | undefined, shape: T): Partial<T> {
  const picked: Partial<T> = {}
  if (!stored) return picked
  for (const key of Object.keys(shape) as Array<keyof T & string>) {
    const value = stored[key]
    const expected = shape[key]
    const sameType = typeof value === typeof expected || (expected === null && typeof value === 'string')
    if (value !== undefined && sameType) picked[key] = value as T[keyof T & string]
  }
  return picked
}

function applyChanges<T extends object>(
  current: Partial<T>,
  changes: { [K in keyof T]?: T[K] | null },
): Partial<T> {
  const next: Partial<T> = { ...current }
  for (const [key, value] of Object.entries(changes) as Array<[keyof T, T[keyof T] | null | undefined]>) {
    if (value === undefined) continue
    if (value === null) delete next[key]
    else next[key] = value
  }
  return next
}
