import type { Clock } from '../domain/clock.ts'
import { isPermission, type Permission } from '../domain/permissions.ts'
import { AppError } from '../errors/app-error.ts'
import type { Actor, AuditLog } from '../observability/audit.ts'
import { type Executor, inTransaction } from '../persistence/executor.ts'
import { type ApiTokenRow, apiTokensRepository } from '../persistence/repositories/api-tokens.ts'
import type { TenantRow } from '../persistence/repositories/tenants.ts'
import { hashBearerSecret, newBearerSecret, newId } from '../security/tokens.ts'

export interface TokenView {
  id: string
  name: string
  scopes: string[]
  createdBy: string
  createdAt: string
  expiresAt: string | null
  lastUsedAt: string | null
  revoked: boolean
}

const iso = (value: number | null) => (value === null ? null : new Date(value).toISOString())

function toTokenView(row: ApiTokenRow): TokenView {
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as string[],
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: iso(row.expires_at),
    lastUsedAt: iso(row.last_used_at),
    revoked: row.revoked_at !== null,
  }
}

export interface CreateTokenInput {
  name: string
  scopes: string[]
  expiresInDays?: number | undefined
}

/** API tokens: scoped bearer secrets for machines. Only their SHA-256 is stored. */
export class TokenService {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

  /**
   * `grantable` is what the creator holds: a token never carries more than its creator
   * (threat: privilege escalation by minting a broader token).
   */
  async create(
    tenant: TenantRow,
    input: CreateTokenInput,
    actor: Actor,
    grantable: ReadonlySet<Permission>,
  ): Promise<{ token: string; view: TokenView }> {
    const unknown = input.scopes.filter((scope) => !isPermission(scope))
    if (unknown.length > 0)
      throw new AppError('role.unknown-permission', { detail: `Unknown scope: ${unknown.join(', ')}.` })
    const excess = input.scopes.filter((scope) => !grantable.has(scope as Permission))
    if (excess.length > 0)
      throw new AppError('token.scope-exceeds-grant', { detail: `Not grantable: ${excess.join(', ')}.` })
    if (input.name.trim() === '' || input.name.length > 255) {
      throw new AppError('request.invalid', { errors: [{ pointer: '/name', message: '1-255 characters' }] })
    }
    const now = this.clock.now()
    const token = newBearerSecret('rkt')
    const row: ApiTokenRow = {
      id: newId(),
      tenant_id: tenant.id,
      name: input.name.trim(),
      token_hash: hashBearerSecret(token),
      scopes: JSON.stringify([...new Set(input.scopes)].sort()),
      created_by: actor.name,
      created_at: now,
      expires_at: input.expiresInDays ? now + input.expiresInDays * 86_400_000 : null,
      last_used_at: null,
      revoked_at: null,
    }
    await inTransaction(this.db, async (trx) => {
      await apiTokensRepository.insert(trx, row)
      await this.audit.record(trx, {
        tenantId: tenant.id,
        actor,
        action: 'token.created',
        target: row.id,
        detail: { name: row.name, scopes: JSON.parse(row.scopes) },
      })
    })
    return { token, view: toTokenView(row) }
  }

  async list(tenant: TenantRow): Promise<TokenView[]> {
    return (await apiTokensRepository.list(this.db, tenant.id)).map(toTokenView)
  }

  async revoke(tenant: TenantRow, id: string, actor: Actor): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      if (!(await apiTokensRepository.findById(trx, tenant.id, id))) throw new AppError('token.not-found')
      await apiTokensRepository.revoke(trx, tenant.id, id, this.clock.now())
      await this.audit.record(trx, { tenantId: tenant.id, actor, action: 'token.revoked', target: id })
    })
  }

  /** The live token for a presented secret, in this tenant only. */
  async authenticate(tenant: TenantRow, presented: string): Promise<ApiTokenRow | undefined> {
    const row = await apiTokensRepository.findByHash(this.db, hashBearerSecret(presented))
    const now = this.clock.now()
    if (!row || row.tenant_id !== tenant.id || row.revoked_at !== null) return undefined
    if (row.expires_at !== null && row.expires_at <= now) return undefined
    // Last-use time is informational; coarse updates keep a hot token from writing per call.
    if (row.last_used_at === null || now - row.last_used_at > 60_000)
      await apiTokensRepository.touch(this.db, row.id, now)
    return row
  }
}
