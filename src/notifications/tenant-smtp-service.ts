import type { Clock } from '../domain/clock.ts'
import { AppError } from '../errors/app-error.ts'
import type { Actor, AuditLog } from '../observability/audit.ts'
import { type Executor, inTransaction } from '../persistence/executor.ts'
import type { TenantRow } from '../persistence/repositories/tenants.ts'
import type { SealedBox } from '../security/sealed-box.ts'
import {
  describeSmtpEndpoint,
  SmtpConfigError,
  type SmtpSettings,
  smtpSettingsFromUrl,
} from './smtp/index.ts'

/** What administrators see of a tenant's relay: where mail goes, never the URL or its password. */
export interface TenantSmtpView {
  configured: boolean
  /** `smtp://user@host:587 (starttls-required)`; null when none is saved or it cannot be opened. */
  endpoint: string | null
  from: string | null
  updatedAt: string | null
}

export interface TenantSmtpInput {
  /** May carry the relay password: it is sealed at rest and never shown again. */
  url: string
  from: string
}

const notConfigured: TenantSmtpView = { configured: false, endpoint: null, from: null, updatedAt: null }

/**
 * A tenant's own SMTP relay, used for its mail instead of the server's (`smtp.url`). The URL
 * is sealed with the tenant id as context, so a copy of the database does not reveal the
 * relay password and a sealed URL copied to another tenant's row does not open there.
 */
export class TenantSmtpService {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly smtpSecrets: SealedBox,
    /** `smtp.allow_tenant_relays`: threat, a tenant administrator probing the server's network. */
    private readonly allowTenantRelays: boolean,
    /** Told after a change, so this instance's delivery route follows at once. */
    private readonly onChange: (tenantId: string) => void = () => {},
  ) {}

  async get(tenant: TenantRow): Promise<TenantSmtpView> {
    const row = await this.db
      .selectFrom('tenant_smtp_settings')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirst()
    if (!row) return notConfigured
    return {
      configured: true,
      endpoint: this.endpointOf(tenant, row.url_sealed, row.from_address),
      from: row.from_address,
      updatedAt: new Date(row.updated_at).toISOString(),
    }
  }

  /** Validates, seals and stores the relay; refuses unusable settings with `smtp.invalid`. */
  async save(tenant: TenantRow, input: TenantSmtpInput, actor: Actor): Promise<TenantSmtpView> {
    if (!this.allowTenantRelays)
      throw new AppError('smtp.tenant-relays-disabled', {
        detail:
          'Tenant SMTP relays are turned off on this server (smtp.allow_tenant_relays); mail uses the server relay.',
      })
    const url = input.url.trim()
    const from = input.from.trim()
    const endpoint = describeSmtpEndpoint(checkedSettings(url, from))
    const updatedAt = await inTransaction(this.db, async (trx) => {
      const previous = await trx
        .selectFrom('tenant_smtp_settings')
        .select('updated_at')
        .where('tenant_id', '=', tenant.id)
        .executeTakeFirst()
      // Delivery routers on every instance rebuild a tenant's transport when `updated_at`
      // changes: a second save within the same millisecond must still move it.
      const now = Math.max(this.clock.now(), (previous?.updated_at ?? 0) + 1)
      const row = {
        url_sealed: this.smtpSecrets.seal(url, tenant.id),
        from_address: from,
        updated_at: now,
        updated_by: actor.name,
      }
      await trx
        .insertInto('tenant_smtp_settings')
        .values({ tenant_id: tenant.id, ...row })
        .onConflict((conflict) => conflict.column('tenant_id').doUpdateSet(row))
        .execute()
      // The endpoint names scheme, user, host and port only: the audit log is read more
      // widely than the settings are.
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'smtp.updated',
        target: tenant.id,
        detail: { endpoint },
      })
      return now
    })
    this.onChange(tenant.id)
    return { configured: true, endpoint, from, updatedAt: new Date(updatedAt).toISOString() }
  }

  /** Drops the tenant's relay, so its mail takes the server's route again; false when none was saved. */
  async remove(tenant: TenantRow, actor: Actor): Promise<boolean> {
    const removed = await inTransaction(this.db, async (trx) => {
      const deleted = await trx
        .deleteFrom('tenant_smtp_settings')
        .where('tenant_id', '=', tenant.id)
        .executeTakeFirst()
      if (Number(deleted.numDeletedRows) === 0) return false
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'smtp.updated',
        target: tenant.id,
        detail: { removed: true },
      })
      return true
    })
    this.onChange(tenant.id)
    return removed
  }

  private endpointOf(tenant: TenantRow, sealed: string, from: string): string | null {
    // Sealed under another server secret: the settings must be saved again.
    const url = this.smtpSecrets.open(sealed, tenant.id)
    if (url === undefined) return null
    try {
      return describeSmtpEndpoint(smtpSettingsFromUrl(url, { from }))
    } catch (error) {
      if (error instanceof SmtpConfigError) return null
      throw error
    }
  }
}

/**
 * The settings the URL and From address make, or `smtp.invalid` with the reason. The reason
 * comes from SmtpConfigError, which never repeats the URL or its password.
 */
function checkedSettings(url: string, from: string): SmtpSettings {
  let settings: SmtpSettings
  try {
    settings = smtpSettingsFromUrl(url, { from })
  } catch (error) {
    if (!(error instanceof SmtpConfigError)) throw error
    const field = error.message.startsWith('SMTP from') ? 'from' : 'url'
    throw new AppError('smtp.invalid', {
      detail: error.message,
      errors: [{ pointer: `/${field}`, message: error.message }],
    })
  }
  // Threat: a tenant administrator making the server read a file of its choosing from the
  // server's disk. A private CA belongs in the server's own `smtp.url`, set by its operator.
  if (settings.caFile !== undefined)
    throw new AppError('smtp.invalid', {
      detail:
        'SMTP URL option tls_ca_file is not accepted in tenant settings: it names a file on the server; ask the operator to configure the relay in smtp.url instead',
      errors: [{ pointer: '/url', message: 'tls_ca_file is not accepted in tenant settings' }],
    })
  return settings
}
