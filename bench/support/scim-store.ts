// Direct access to the server's store for the `scim` scenario: seeding many users fast, and
// the raw statements of a SCIM request, run from the benchmark process as the bound. SQLite
// through better-sqlite3 on the server's database file (WAL: the server may run meanwhile),
// PostgreSQL through pg in the server's schema.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import pg from 'pg'
import { comparisonKey } from '../../src/domain/comparison-key.ts'
import {
  FORCED_RESET_CLAIM,
  PENDING_MODE_CLAIM,
  RESET_LOCK_REASON,
} from '../../src/flows/forced-reset/reset-policy.ts'
import { timeOrderedId } from '../../src/security/time-ordered-id.ts'
import { registerCleanup } from './cleanup.ts'

export const CLAIM = {
  email: 'http://wso2.org/claims/emailaddress',
  workEmail: 'http://wso2.org/claims/emails.work',
  givenName: 'http://wso2.org/claims/givenname',
  familyName: 'http://wso2.org/claims/lastname',
} as const

/** `user000001` … */
export const userName = (index: number) => `user${String(index + 1).padStart(6, '0')}`

/** Who the benchmark's token acts as, in the audit trail and the pending reset. */
const ACTOR = 'token:bench'
/** The tenant's reset mode under the server's defaults. */
const RESET_MODE = 'email-link'
/** A day: the default lifetime of a reset link. */
const LINK_LIFETIME_MS = 24 * 60 * 60 * 1000
/**
 * What the built-in mailbox keeps of a reset message delivered in the trigger's transaction
 * (decision 0027): its values and the id of the shipped template's snapshot, sealed (decision
 * 0028), about this long.
 */
const SEALED_BODY_LENGTH = 528
const MAILBOX_RESPONSE = 'delivered to the built-in mailbox'

/**
 * The raw work of one request, without HTTP, authentication, parsing or rendering: the
 * statements the server needs for the same answer, prepared once.
 */
export interface RawStore {
  /** A user by name, with its claims, password change time and roles. True when found. */
  lookup(name: string): Promise<boolean>
  /**
   * What setting `forcePasswordReset` must store, in one transaction: to true, a forced reset
   * (lock, pending record, claims, sessions and tokens revoked, a new code, its message
   * delivered to the built-in mailbox with its attempt, an audit event); to false, its cancellation (unlock, pending record and codes removed,
   * claims cleared, an audit event). True when the user was there. `email`: the user's address
   * as the request read it before its transaction, which the server's reset addresses its
   * message from at the version its update checks.
   */
  forceReset(userId: string, force: boolean, email: string): Promise<boolean>
  /** A page of `count` users from `offset` (default or user-name order), its total and the rest. */
  page(offset: number, count: number, sortedByName: boolean): Promise<boolean>
  /**
   * Between rounds, unmeasured: the store as a quiet server leaves it. On SQLite every frame
   * of the WAL is copied back and the next write starts the WAL over (the file is kept, as the
   * server keeps it). The bound writes from a process without the server's checkpoint thread
   * and its restarts of the WAL; left alone, a round of the bound's writes handed the server's
   * next round a WAL of hundreds of megabytes, and a look-up searched the index of every frame
   * of it.
   */
  settle(): Promise<void>
  close(): Promise<void>
}

const USER_COLUMNS = [
  'id',
  'tenant_id',
  'store_domain',
  'username',
  'username_key',
  'status',
  'lock_reason',
  'created_at',
  'updated_at',
  'version',
]
const CLAIM_COLUMNS = ['user_id', 'tenant_id', 'claim_uri', 'value', 'value_key']

function seedRows(tenantId: string, first: number, count: number, createdAt: number) {
  const users: unknown[] = []
  const claims: unknown[] = []
  const ids: string[] = []
  for (let index = first; index < first + count; index++) {
    // Ids as the server makes them (UserService.create): time-ordered, from the creation time.
    const id = timeOrderedId(createdAt + index)
    const name = userName(index)
    const number = name.slice(4)
    ids.push(id)
    // Distinct creation times: the default order (created, id) is the seeding order.
    users.push(
      id,
      tenantId,
      'PRIMARY',
      name,
      comparisonKey(name),
      'active',
      null,
      createdAt + index,
      createdAt + index,
      1,
    )
    const email = `${name}@example.com`
    for (const [uri, value] of [
      [CLAIM.email, email],
      [CLAIM.workEmail, email],
      [CLAIM.givenName, `Given${number}`],
      [CLAIM.familyName, `Family${number}`],
    ] as const)
      claims.push(id, tenantId, uri, value, comparisonKey(value))
  }
  return { users, claims, ids }
}

/** `(?, ?, …), (?, ?, …), …` for a multi-row VALUES list. */
const placeholders = (columns: number, rows: number) => {
  const row = `(${Array.from({ length: columns }, () => '?').join(', ')})`
  return Array.from({ length: rows }, () => row).join(', ')
}

/** `?` placeholders as PostgreSQL's `$1, $2, …`. */
const numbered = (text: string) => {
  let next = 0
  return text.replace(/\?/g, () => `$${++next}`)
}

const inList = (count: number) => Array.from({ length: count }, () => '?').join(', ')

/** The statements of a request, as the server's queries read them (same shapes, same indexes). */
function statements(pageSize: number) {
  return {
    userByName: 'select * from users where tenant_id = ? and store_domain = ? and username_key = ? limit 1',
    claimsOf: (count: number) =>
      `select user_id, claim_uri, value from user_claims where user_id in (${inList(count)})`,
    changedAtOf: (count: number) =>
      `select user_id, changed_at from password_credentials where user_id in (${inList(count)})`,
    rolesOf: (count: number) =>
      `select user_roles.user_id, roles.id, roles.name from user_roles inner join roles on roles.id = user_roles.role_id where user_roles.user_id in (${inList(count)}) order by roles.name_key`,
    // One user's claims, pending reset, password time and roles in one statement, as the
    // server reads one user (src/scim/users/user-reader.ts).
    recordOfUser:
      "select 'pending' as part, user_id, null as a, mode as b, null as sort_key from pending_resets where user_id = ? union all select 'claim', user_id, claim_uri, value, null from user_claims where user_id = ? union all select 'password', user_id, null, cast(changed_at as text), null from password_credentials where user_id = ? union all select 'role', user_roles.user_id, roles.id, roles.name, roles.name_key from user_roles inner join roles on roles.id = user_roles.role_id where user_roles.user_id = ? order by sort_key",
    countUsers: 'select count(*) as total from users where tenant_id = ?',
    pageByCreation:
      'select * from users where tenant_id = ? order by created_at asc, id asc limit ? offset ?',
    // The (tenant_id, username_key, id) index in its own order: every seeded user is in PRIMARY,
    // where the user name's sort key is username_key.
    pageByName: 'select * from users where tenant_id = ? order by username_key asc, id asc limit ? offset ?',
    setStatus:
      'update users set version = version + 1, updated_at = ?, status = ?, lock_reason = ? where tenant_id = ? and id = ?',
    upsertClaims: (count: number) =>
      `insert into user_claims (user_id, tenant_id, claim_uri, value, value_key) values ${placeholders(5, count)} on conflict (user_id, claim_uri) do update set value = excluded.value, value_key = excluded.value_key`,
    deleteClaim: 'delete from user_claims where user_id = ? and claim_uri = ?',
    upsertPending:
      'insert into pending_resets (user_id, tenant_id, mode, requested_at, requested_by, reason) values (?, ?, ?, ?, ?, ?) on conflict (user_id) do update set mode = excluded.mode, requested_at = excluded.requested_at, requested_by = excluded.requested_by, reason = excluded.reason',
    deletePending: 'delete from pending_resets where user_id = ?',
    revokeSessions: 'update sessions set revoked_at = ? where revoked_at is null and user_id = ?',
    revokeTokens:
      'update api_tokens set revoked_at = ? where revoked_at is null and tenant_id = ? and created_by = ?',
    voidCodes: 'delete from reset_codes where used_at is null and user_id = ?',
    insertCode:
      'insert into reset_codes (id, tenant_id, user_id, kind, secret_hmac, sealed_secret, created_at, expires_at, used_at, attempts, max_attempts) values (?, ?, ?, ?, ?, null, ?, ?, null, 0, 1)',
    deliverMessage:
      "insert into outbox_messages (id, tenant_id, idempotency_key, type, locale, recipient, user_id, subject, body_sealed, status, transport, attempts, next_attempt_at, lease_owner, lease_expires_at, last_error, smtp_response, created_at, updated_at, sent_at) values (?, ?, ?, 'AdminForcedPasswordReset', 'en_US', ?, ?, 'Reset your password', ?, 'sent', 'mailbox', 1, ?, null, null, null, ?, ?, ?, ?) on conflict (tenant_id, idempotency_key) do nothing returning id",
    recordAttempt:
      "insert into outbox_attempts (message_id, attempted_at, worker, outcome, detail) values (?, ?, 'bench', 'mailbox', ?)",
    audit:
      "insert into audit_events (tenant_id, occurred_at, actor, action, target, outcome, detail) values (?, ?, ?, ?, ?, 'success', ?)",
    pageSize,
  }
}

/** One statement of a raw write, and what the store answered. */
type Step = [text: string, params: unknown[]]
interface Answer {
  rows: Array<Record<string, unknown>>
  changes: number
}

/**
 * The store's share of a `forcePasswordReset` PATCH as a sequence of statements, driven by
 * each store's runner (synchronously on SQLite, awaited on PostgreSQL). The statements are
 * the trigger's and the cancellation's (src/flows/forced-reset), on the same indexes, one of
 * each: the user's status and version in one update, one audit event. Secrets are random
 * bytes of the stored length; computing them is not the store's work.
 */
function* forcedResetWork(
  text: ReturnType<typeof statements>,
  tenantId: string,
  userId: string,
  force: boolean,
  email: string,
): Generator<Step, boolean, Answer> {
  const now = Date.now()
  const moved = yield [
    text.setStatus,
    force ? [now, 'locked', RESET_LOCK_REASON, tenantId, userId] : [now, 'active', null, tenantId, userId],
  ]
  if (moved.changes !== 1) return false
  if (!force) {
    yield [text.deletePending, [userId]]
    const voided = yield [text.voidCodes, [userId]]
    yield [text.upsertClaims(1), [userId, tenantId, FORCED_RESET_CLAIM, 'false', comparisonKey('false')]]
    yield [text.deleteClaim, [userId, PENDING_MODE_CLAIM]]
    yield [
      text.audit,
      [tenantId, now, ACTOR, 'user.reset-cancelled', userId, JSON.stringify({ codesVoided: voided.changes })],
    ]
    return true
  }
  // The flag and the mode are read from the pending reset: no claim rows (decision 0022).
  yield [text.upsertPending, [userId, tenantId, RESET_MODE, now, ACTOR, 'scim']]
  yield [text.revokeSessions, [now, userId]]
  yield [text.revokeTokens, [now, tenantId, userId]]
  yield [text.voidCodes, [userId]]
  const codeId = timeOrderedId(now)
  yield [
    text.insertCode,
    [codeId, tenantId, userId, 'link', randomBytes(32).toString('hex'), now, now + LINK_LIFETIME_MS],
  ]
  const messageId = timeOrderedId(now)
  yield [
    text.deliverMessage,
    [
      messageId,
      tenantId,
      `forced-reset:${codeId}`,
      email,
      userId,
      randomBytes(SEALED_BODY_LENGTH / 2).toString('hex'),
      now,
      MAILBOX_RESPONSE,
      now,
      now,
      now,
    ],
  ]
  yield [text.recordAttempt, [messageId, now, MAILBOX_RESPONSE]]
  yield [
    text.audit,
    [
      tenantId,
      now,
      ACTOR,
      'user.reset-forced',
      userId,
      JSON.stringify({ mode: RESET_MODE, channel: 'scim' }),
    ],
  ]
  return true
}

export interface Seeded {
  tenantId: string
  /** User ids in the order of their names (`ids[i]` is `userName(i)`). */
  ids: string[]
}

const SQLITE_BATCH = 500

/** Seeds `count` users into the SQLite store in `dataDir` (created and migrated, server stopped). */
export function seedSqlite(dataDir: string, count: number): Seeded {
  const db = new SqliteDatabase(join(dataDir, 'rekey.db'))
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    // The claims' value indexes are written all over: keep them in memory while loading.
    db.pragma('cache_size = -262144')
    const tenant = db.prepare("select id from tenants where domain = 'carbon.super'").get() as
      | { id: string }
      | undefined
    if (!tenant) throw new Error('the store has no default tenant')
    const insertUsers = db.prepare(
      `insert into users (${USER_COLUMNS.join(', ')}) values ${placeholders(USER_COLUMNS.length, SQLITE_BATCH)}`,
    )
    const insertClaims = db.prepare(
      `insert into user_claims (${CLAIM_COLUMNS.join(', ')}) values ${placeholders(CLAIM_COLUMNS.length, SQLITE_BATCH * 4)}`,
    )
    const createdAt = Date.now() - count
    const ids: string[] = []
    if (count % SQLITE_BATCH !== 0) throw new Error(`seed a multiple of ${SQLITE_BATCH} users`)
    // One transaction: every commit in WAL mode may checkpoint, and checkpoints write and sync.
    db.transaction(() => {
      for (let first = 0; first < count; first += SQLITE_BATCH) {
        const rows = seedRows(tenant.id, first, SQLITE_BATCH, createdAt)
        insertUsers.run(rows.users)
        insertClaims.run(rows.claims)
        ids.push(...rows.ids)
      }
    })()
    // The server starts on a checkpointed database, as after a quiet restart.
    db.pragma('wal_checkpoint(TRUNCATE)')
    return { tenantId: tenant.id, ids }
  } finally {
    db.close()
  }
}

const POSTGRES_BATCH = 10_000

/** Column-wise arrays of row-wise values, for `insert … select * from unnest(…)`. */
function columnsOf(values: unknown[], width: number): unknown[][] {
  const columns = Array.from({ length: width }, () => [] as unknown[])
  for (let index = 0; index < values.length; index++) columns[index % width]!.push(values[index])
  return columns
}

/** Seeds `count` users into the PostgreSQL schema `databaseUrl` points at (migrated). */
export async function seedPostgres(databaseUrl: string, count: number): Promise<Seeded> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  // Interrupted mid-load, the connection goes first: its open transaction would hold the locks
  // that dropping the schema waits for.
  const disconnect = registerCleanup(() => client.end())
  try {
    const tenant = await client.query<{ id: string }>("select id from tenants where domain = 'carbon.super'")
    const tenantId = tenant.rows[0]?.id
    if (!tenantId) throw new Error('the store has no default tenant')
    // Multi-row inserts with one array parameter per column: ten thousand users (and their
    // forty thousand claims) per statement, where a VALUES list would need 100,000 parameters.
    const insertUsers = `insert into users (${USER_COLUMNS.join(', ')}) select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::int[])`
    const insertClaims = `insert into user_claims (${CLAIM_COLUMNS.join(', ')}) select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`
    if (count % POSTGRES_BATCH !== 0) throw new Error(`seed a multiple of ${POSTGRES_BATCH} users`)
    const createdAt = Date.now() - count
    const ids: string[] = []
    await client.query('begin')
    // A benchmark's own schema: losing the load to a crash only means seeding again.
    await client.query('set local synchronous_commit = off')
    // The rows are consistent by construction: skip the per-row foreign-key triggers, which
    // cost more than the inserts (superusers only; others seed with them, more slowly).
    await client.query('savepoint triggers')
    try {
      await client.query('set local session_replication_role = replica')
    } catch {
      await client.query('rollback to savepoint triggers')
    }
    // Secondary indexes are built once after the load, from their own definitions, which is
    // several times faster than maintaining them row by row (primary keys stay in place).
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `select i.indexname as name, i.indexdef as definition from pg_indexes i
        where i.schemaname = current_schema() and i.tablename in ('users', 'user_claims')
          and not exists (select 1 from pg_constraint c where c.conname = i.indexname and c.connamespace = current_schema()::regnamespace)`,
    )
    for (const index of indexes) await client.query(`drop index ${pg.escapeIdentifier(index.name)}`)
    for (let first = 0; first < count; first += POSTGRES_BATCH) {
      const rows = seedRows(tenantId, first, POSTGRES_BATCH, createdAt)
      await client.query(insertUsers, columnsOf(rows.users, USER_COLUMNS.length))
      await client.query(insertClaims, columnsOf(rows.claims, CLAIM_COLUMNS.length))
      ids.push(...rows.ids)
    }
    for (const index of indexes) await client.query(index.definition)
    await client.query('commit')
    // What autovacuum does soon after such a load (it may be off on a test server): planner
    // statistics and a visibility map, as a deployment's tables have them.
    await client.query('vacuum analyze users, user_claims')
    return { tenantId, ids }
  } finally {
    await disconnect()
  }
}

/** The raw statements on SQLite, on the server's file, with the server's connection settings. */
export function sqliteRawStore(dataDir: string, tenantId: string, pageSize: number): RawStore {
  const db = new SqliteDatabase(join(dataDir, 'rekey.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  // The server's defaults: storage.sqlite_cache_mib and storage.sqlite_mmap_mib.
  db.pragma('cache_size = -8192')
  db.pragma(`mmap_size = ${1024 * 1024 * 1024}`)
  db.pragma('temp_store = MEMORY')
  // The server checkpoints from a worker thread (and that worker keeps running); so does this.
  db.pragma('wal_autocheckpoint = 0')
  const text = statements(pageSize)
  const one = {
    user: db.prepare(text.userByName),
    record: db.prepare(text.recordOfUser),
  }
  const many = {
    count: db.prepare(text.countUsers),
    byCreation: db.prepare(text.pageByCreation),
    byName: db.prepare(text.pageByName),
    claims: db.prepare(text.claimsOf(pageSize)),
    changedAt: db.prepare(text.changedAtOf(pageSize)),
    roles: db.prepare(text.rolesOf(pageSize)),
  }
  const prepared = new Map<string, SqliteDatabase.Statement>()
  const answer = ([sql, params]: Step): Answer => {
    let statement = prepared.get(sql)
    if (!statement) {
      statement = db.prepare(sql)
      prepared.set(sql, statement)
    }
    if (statement.reader) return { rows: statement.all(params) as Answer['rows'], changes: 0 }
    return { rows: [], changes: statement.run(params).changes }
  }
  const forceReset = db.transaction((userId: string, force: boolean, email: string) => {
    const work = forcedResetWork(text, tenantId, userId, force, email)
    let step = work.next()
    while (!step.done) step = work.next(answer(step.value))
    return step.value
  })
  return {
    async lookup(name) {
      const row = one.user.get(tenantId, 'PRIMARY', comparisonKey(name)) as { id: string } | undefined
      if (!row) return false
      one.record.all(row.id, row.id, row.id, row.id)
      return true
    },
    async forceReset(userId, force, email) {
      return forceReset(userId, force, email)
    },
    async page(offset, count, sortedByName) {
      if (count !== pageSize) throw new Error(`pages of ${pageSize} only`)
      many.count.get(tenantId)
      const rows = (sortedByName ? many.byName : many.byCreation).all(tenantId, count, offset) as Array<{
        id: string
      }>
      if (rows.length !== count) return false
      const ids = rows.map((row) => row.id)
      many.claims.all(ids)
      many.changedAt.all(ids)
      many.roles.all(ids)
      return true
    },
    async settle() {
      // RESTART waits (busy_timeout) for the server's checkpoint thread; should it still find
      // the WAL in use, it says so, and the round must not start on a WAL left as it was.
      for (let attempt = 0; attempt < 20; attempt++) {
        const [result] = db.pragma('wal_checkpoint(RESTART)') as Array<{ busy: number }>
        if (result?.busy === 0) return
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      throw new Error('the WAL could not be checkpointed between rounds')
    },
    async close() {
      db.close()
    },
  }
}

/**
 * The raw statements on PostgreSQL: a pool as large as the server's, unnamed statements as the
 * server sends them, the independent reads of a request in parallel as the server issues them.
 */
export function postgresRawStore(
  databaseUrl: string,
  tenantId: string,
  pageSize: number,
  poolSize: number,
): RawStore {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize })
  pool.on('error', () => {})
  const text = statements(pageSize)
  const sql = {
    user: numbered(text.userByName),
    record1: numbered(text.recordOfUser),
    count: numbered(text.countUsers),
    byCreation: numbered(text.pageByCreation),
    byName: numbered(text.pageByName),
    claims: numbered(text.claimsOf(pageSize)),
    changedAt: numbered(text.changedAtOf(pageSize)),
    roles: numbered(text.rolesOf(pageSize)),
  }
  const numberedTexts = new Map<string, string>()
  const numberedText = (sql: string) => {
    let numberedSql = numberedTexts.get(sql)
    if (numberedSql === undefined) {
      numberedSql = numbered(sql)
      numberedTexts.set(sql, numberedSql)
    }
    return numberedSql
  }
  return {
    async lookup(name) {
      const { rows } = await pool.query<{ id: string }>(sql.user, [tenantId, 'PRIMARY', comparisonKey(name)])
      const id = rows[0]?.id
      if (!id) return false
      await pool.query(sql.record1, [id, id, id, id])
      return true
    },
    async forceReset(userId, force, email) {
      const client = await pool.connect()
      try {
        await client.query('begin')
        const work = forcedResetWork(text, tenantId, userId, force, email)
        let step = work.next()
        while (!step.done) {
          const [sql, params] = step.value
          const result = await client.query(numberedText(sql), params)
          step = work.next({ rows: result.rows, changes: result.rowCount ?? 0 })
        }
        await client.query(step.value ? 'commit' : 'rollback')
        return step.value
      } catch (error) {
        await client.query('rollback').catch(() => {})
        throw error
      } finally {
        client.release()
      }
    },
    async page(offset, count, sortedByName) {
      if (count !== pageSize) throw new Error(`pages of ${pageSize} only`)
      const [, page] = await Promise.all([
        pool.query(sql.count, [tenantId]),
        pool.query<{ id: string }>(sortedByName ? sql.byName : sql.byCreation, [tenantId, count, offset]),
      ])
      if (page.rows.length !== count) return false
      const ids = page.rows.map((row) => row.id)
      await Promise.all([
        pool.query(sql.claims, ids),
        pool.query(sql.changedAt, ids),
        pool.query(sql.roles, ids),
      ])
      return true
    },
    // PostgreSQL's own checkpointer and autovacuum serve every client alike.
    async settle() {},
    close: () => pool.end(),
  }
}
