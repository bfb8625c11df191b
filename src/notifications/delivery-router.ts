import type { Logger } from 'pino'
import type { Config } from '../config/schema.ts'
import type { Clock } from '../domain/clock.ts'
import type { Executor } from '../persistence/executor.ts'
import type { SealedBox } from '../security/sealed-box.ts'
import { SmtpTransport, smtpSettingsFromUrl } from './smtp/index.ts'

/** Where a tenant's mail goes: an SMTP relay, or the built-in mailbox when none is configured. */
export type Route = { kind: 'smtp'; transport: SmtpTransport } | { kind: 'mailbox' }

/** Tenant SMTP settings are re-read this often, so a change on another instance applies soon. */
const TENANT_SETTINGS_MS = 5_000

interface TenantRoute {
  route: Route
  /** `updated_at` of the settings the transport was built from (0: none saved). */
  version: number
  checkedAt: number
}

/**
 * Chooses each message's transport: the tenant's own relay when one is saved, else the server's
 * (`smtp.url`), else the mailbox. Transports are pooled connections, built once per settings
 * version and closed when replaced.
 */
export class DeliveryRouter {
  private serverRoute: Route | undefined
  private readonly tenants = new Map<string, TenantRoute>()

  constructor(
    private readonly db: Executor,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly smtpUrls: SealedBox,
    private readonly logger: Logger,
  ) {}

  /**
   * `db` reads the tenant's settings when they are not cached: a caller inside a transaction
   * passes it, since on the embedded store a read of the server's own would wait for that
   * transaction to end.
   */
  async routeFor(tenantId: string, db: Executor = this.db): Promise<Route> {
    const now = this.clock.now()
    const cached = this.tenants.get(tenantId)
    if (cached && now - cached.checkedAt < TENANT_SETTINGS_MS) return cached.route
    const row = await db
      .selectFrom('tenant_smtp_settings')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst()
    const version = row?.updated_at ?? 0
    if (cached && cached.version === version) {
      cached.checkedAt = now
      return cached.route
    }
    if (cached?.route.kind === 'smtp' && cached.route !== this.serverRoute)
      void cached.route.transport.close()
    let route: Route = this.server()
    if (row) {
      const url = this.smtpUrls.open(row.url_sealed, row.tenant_id)
      if (url === undefined) {
        // Sealed under another server secret: the tenant must save its settings again.
        this.logger.error({ tenantId }, 'tenant SMTP settings cannot be opened with this server key')
      } else {
        route = {
          kind: 'smtp',
          transport: new SmtpTransport(smtpSettingsFromUrl(url, { from: row.from_address })),
        }
      }
    }
    this.tenants.set(tenantId, { route, version, checkedAt: now })
    return route
  }

  /** Drops a tenant's cached route, so its next message (or test) reads its settings afresh. */
  forget(tenantId: string): void {
    const cached = this.tenants.get(tenantId)
    this.tenants.delete(tenantId)
    if (cached?.route.kind === 'smtp' && cached.route !== this.serverRoute)
      void cached.route.transport.close()
  }

  /** The server-wide route: `smtp.url`, or the mailbox. */
  server(): Route {
    if (!this.serverRoute) {
      this.serverRoute =
        this.config.smtp.url === ''
          ? { kind: 'mailbox' }
          : {
              kind: 'smtp',
              transport: new SmtpTransport(
                smtpSettingsFromUrl(this.config.smtp.url, { from: this.config.smtp.from }),
              ),
            }
    }
    return this.serverRoute
  }

  async close(): Promise<void> {
    const transports = new Set<SmtpTransport>()
    for (const { route } of this.tenants.values()) if (route.kind === 'smtp') transports.add(route.transport)
    if (this.serverRoute?.kind === 'smtp') transports.add(this.serverRoute.transport)
    this.tenants.clear()
    this.serverRoute = undefined
    await Promise.all([...transports].map((transport) => transport.close()))
  }
}
