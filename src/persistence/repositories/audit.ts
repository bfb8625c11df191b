import type { Executor } from '../executor.ts'
import { fixedQuery } from '../fixed-query.ts'

export interface AuditRecord {
  tenantId: string | null
  occurredAt: number
  actor: string
  action: string
  target: string | null
  outcome: 'success' | 'failure'
  detail: Record<string, unknown>
}

export interface AuditQuery {
  tenantId: string
  limit: number
  action?: string | undefined
  actor?: string | undefined
  target?: string | undefined
  before?: number | undefined
}

type AuditRow = Omit<AuditRecord, 'detail'> & { detail: string }

const insertEvent = fixedQuery<AuditRow, never>((db, p) =>
  db.insertInto('audit_events').values({
    tenant_id: p('tenantId'),
    occurred_at: p('occurredAt'),
    actor: p('actor'),
    action: p('action'),
    target: p('target'),
    outcome: p('outcome'),
    detail: p('detail'),
  }),
)

export const auditRepository = {
  async insert(db: Executor, record: AuditRecord): Promise<void> {
    await insertEvent(db, { ...record, detail: JSON.stringify(record.detail) })
  },
  list(db: Executor, query: AuditQuery) {
    let select = db.selectFrom('audit_events').selectAll().where('tenant_id', '=', query.tenantId)
    if (query.action) select = select.where('action', '=', query.action)
    if (query.actor) select = select.where('actor', '=', query.actor)
    if (query.target) select = select.where('target', '=', query.target)
    if (query.before !== undefined) select = select.where('occurred_at', '<', query.before)
    return select.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute()
  },
}
