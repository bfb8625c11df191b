import type { Clock } from '../domain/clock.ts'
import { AppError } from '../errors/app-error.ts'
import type { Actor, AuditLog } from '../observability/audit.ts'
import { type Executor, inTransaction } from '../persistence/executor.ts'
import { type SessionRow, sessionsRepository } from '../persistence/repositories/sessions.ts'
import type { TenantRow } from '../persistence/repositories/tenants.ts'
import type { SessionPurpose } from '../persistence/tables.ts'
import { hashBearerSecret, newBearerSecret, newId } from '../security/tokens.ts'

export interface SessionView {
  id: string
  createdAt: string
  expiresAt: string
  lastSeenAt: string
  clientAddress: string | null
  userAgent: string | null
}

export function toSessionView(row: SessionRow): SessionView {
  return {
    id: row.id,
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
    lastSeenAt: new Date(row.last_seen_at).toISOString(),
    clientAddress: row.client_address,
    userAgent: row.user_agent,
  }
}

export interface ClientInfo {
  address: string | null
  userAgent: string | null
}

/** Server-side sessions: a random bearer value for the client, its SHA-256 in the store. */
export class SessionService {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly ttlMs: number,
  ) {}

  async create(
    db: Executor,
    tenantId: string,
    userId: string,
    client: ClientInfo,
    restricted?: { purpose: SessionPurpose; ttlMs: number },
  ): Promise<{ token: string; row: SessionRow }> {
    const now = this.clock.now()
    const token = newBearerSecret('rks')
    const row: SessionRow = {
      id: newId(),
      tenant_id: tenantId,
      user_id: userId,
      token_hash: hashBearerSecret(token),
      created_at: now,
      expires_at: now + (restricted?.ttlMs ?? this.ttlMs),
      last_seen_at: now,
      revoked_at: null,
      client_address: client.address?.slice(0, 64) ?? null,
      user_agent: client.userAgent?.slice(0, 512) ?? null,
      purpose: restricted?.purpose ?? 'full',
    }
    await sessionsRepository.insert(db, row)
    return { token, row }
  }

  /**
   * The live session a bearer value opens, of the given purpose only: a restricted session
   * never passes where a full one is needed (threat: a one-time password, meant only to set a
   * new password, used as a full sign-in).
   */
  async authenticate(
    tenant: TenantRow,
    presented: string,
    purpose: SessionPurpose = 'full',
  ): Promise<SessionRow | undefined> {
    // A disabled tenant's sessions stop with its sign-ins, not when they expire.
    if (tenant.status !== 'active') return undefined
    const row = await sessionsRepository.findActiveByHash(
      this.db,
      hashBearerSecret(presented),
      this.clock.now(),
    )
    return row && row.tenant_id === tenant.id && row.purpose === purpose ? row : undefined
  }

  async listForUser(userId: string): Promise<SessionView[]> {
    return (await sessionsRepository.listActiveForUser(this.db, userId, this.clock.now())).map(toSessionView)
  }

  async revoke(tenant: TenantRow, session: SessionRow, actor: Actor): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await sessionsRepository.revoke(trx, session.id, this.clock.now())
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'session.revoked',
        target: session.user_id,
        detail: { session: session.id },
      })
    })
  }

  async revokeById(tenant: TenantRow, userId: string, sessionId: string, actor: Actor): Promise<void> {
    const sessions = await sessionsRepository.listActiveForUser(this.db, userId, this.clock.now())
    const session = sessions.find(
      (candidate) => candidate.id === sessionId && candidate.tenant_id === tenant.id,
    )
    if (!session) throw new AppError('session.not-found')
    await this.revoke(tenant, session, actor)
  }
}
