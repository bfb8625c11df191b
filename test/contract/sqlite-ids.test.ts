/**
 * Migration 016: on SQLite, audit events and delivery attempts take plain rowids instead of
 * AUTOINCREMENT. Rows keep their ids, new ids follow the largest, and the way back restores
 * AUTOINCREMENT with the rows intact.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Kysely, Migrator, sql } from 'kysely'
import { migrationProvider } from '../../src/persistence/migrations/index.ts'
import type { Database } from '../../src/persistence/tables.ts'
import { sqliteKind, type TestStore } from '../support/stores.ts'

const BEFORE = '015-template-snapshots'
const MIGRATION = '016-sqlite-ids-without-autoincrement'

const migrator = (db: Kysely<Database>) =>
  new Migrator({
    db,
    provider: migrationProvider,
    migrationTableName: 'rekey_migrations',
    migrationLockTableName: 'rekey_migrations_lock',
  })

async function createStatement(db: Kysely<Database>, table: string): Promise<string> {
  const { rows } = await sql<{ sql: string }>`
    select sql from sqlite_master where type = 'table' and name = ${table}`.execute(db)
  return rows[0]!.sql
}

async function auditIds(db: Kysely<Database>): Promise<number[]> {
  const rows = await db.selectFrom('audit_events').select('id').orderBy('id').execute()
  return rows.map((row) => Number(row.id))
}

const event = (action: string) => ({
  tenant_id: null,
  occurred_at: Date.now(),
  actor: 'system',
  action,
  target: null,
  outcome: 'success' as const,
  detail: '{}',
  client_address: null,
})

describe('sqlite: audit and delivery-attempt ids without AUTOINCREMENT (migration 016)', () => {
  let store: TestStore
  let db: Kysely<Database>
  before(async () => {
    store = await sqliteKind.open()
    db = store.store.db
  })
  after(async () => store?.dispose())

  it('rows keep their ids, the next id follows the largest, and down restores AUTOINCREMENT', async () => {
    const { error } = await migrator(db).migrateTo(BEFORE)
    assert.equal(error, undefined)
    assert.match(await createStatement(db, 'audit_events'), /autoincrement/)
    await db
      .insertInto('audit_events')
      .values([event('one'), event('two'), event('three')])
      .execute()
    const ids = await auditIds(db)
    assert.equal(ids.length, 3)

    const up = await migrator(db).migrateTo(MIGRATION)
    assert.equal(up.error, undefined)
    for (const table of ['audit_events', 'outbox_attempts']) {
      const create = await createStatement(db, table)
      assert.doesNotMatch(create, /autoincrement/i, table)
      assert.match(create, /"id" integer primary key/, table)
    }
    // The indexes came back with the tables.
    const { rows: indexes } = await sql<{ name: string }>`
      select name from sqlite_master where type = 'index' and tbl_name = 'audit_events' order by name`.execute(
      db,
    )
    assert.deepEqual(
      indexes.map((index) => index.name),
      ['audit_by_tenant_action', 'audit_by_tenant_actor', 'audit_by_tenant_target', 'audit_by_tenant_time'],
    )
    assert.deepEqual(await auditIds(db), ids)
    await db.insertInto('audit_events').values(event('four')).execute()
    assert.deepEqual(await auditIds(db), [...ids, ids.at(-1)! + 1])

    const down = await migrator(db).migrateTo(BEFORE)
    assert.equal(down.error, undefined)
    assert.match(await createStatement(db, 'audit_events'), /"id" integer primary key autoincrement/)
    assert.equal((await auditIds(db)).length, 4)

    const again = await migrator(db).migrateToLatest()
    assert.equal(again.error, undefined)
    assert.doesNotMatch(await createStatement(db, 'audit_events'), /autoincrement/i)
  })
})
