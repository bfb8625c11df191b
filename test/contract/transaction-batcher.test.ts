import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { migrateToLatest } from '../../src/persistence/database.ts'
import { inTransaction } from '../../src/persistence/executor.ts'
import { sqliteKind, type TestStore } from '../support/stores.ts'

const tenantRow = (index: number) => ({
  id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
  domain: `t${index}.example`,
  display_name: `t${index}`,
  status: 'active' as const,
  created_at: 1,
  updated_at: 1,
})

describe('sqlite: group commit of concurrent transactions', () => {
  let store: TestStore
  before(async () => {
    store = await sqliteKind.open()
    await migrateToLatest(store.store.db)
  })
  after(async () => store?.dispose())

  const domains = async () =>
    (await store.store.db.selectFrom('tenants').select('domain').orderBy('domain').execute()).map(
      (row) => row.domain,
    )

  it('commits every work of a batch, and a failing work alone rolls back', async () => {
    const db = store.store.db
    const works = Array.from({ length: 20 }, (_, index) =>
      inTransaction(db, async (trx) => {
        await trx.insertInto('tenants').values(tenantRow(index)).execute()
        // A second statement after an await: the batch interleaves nothing between them.
        await trx
          .updateTable('tenants')
          .set({ display_name: `tenant ${index}` })
          .where('id', '=', tenantRow(index).id)
          .execute()
        if (index % 5 === 3) throw new Error(`work ${index} refuses`)
        return index
      }),
    )
    const settled = await Promise.allSettled(works)
    settled.forEach((outcome, index) => {
      if (index % 5 === 3) assert.equal(outcome.status, 'rejected', `work ${index}`)
      else assert.deepEqual(outcome, { status: 'fulfilled', value: index })
    })
    const expected = Array.from({ length: 20 }, (_, index) => index)
      .filter((index) => index % 5 !== 3)
      .map((index) => `t${index}.example`)
      .sort()
    assert.deepEqual(await domains(), expected)
    const renamed = await db
      .selectFrom('tenants')
      .select('display_name')
      .where('domain', '=', 't7.example')
      .execute()
    assert.deepEqual(renamed, [{ display_name: 'tenant 7' }])
  })

  it('a statement error inside one work (a unique violation) leaves the others committed', async () => {
    const db = store.store.db
    const before = await domains()
    const results = await Promise.allSettled([
      inTransaction(db, (trx) => trx.insertInto('tenants').values(tenantRow(100)).execute()),
      inTransaction(db, (trx) =>
        trx
          .insertInto('tenants')
          .values({ ...tenantRow(101), domain: 't0.example' })
          .execute(),
      ),
      inTransaction(db, (trx) => trx.insertInto('tenants').values(tenantRow(102)).execute()),
    ])
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    )
    assert.deepEqual(await domains(), [...before, 't100.example', 't102.example'].sort())
  })

  it('a commit that fails fails every work of its batch, and none of their changes stay', async () => {
    const db = store.store.db
    const before = await domains()
    await inTransaction(db, (trx) => trx.insertInto('tenants').values(tenantRow(200)).execute())
    // Queued in one turn of the event loop, these run in one batch, whose commit fails on a
    // deferred foreign key check that only COMMIT performs.
    const batch = [
      inTransaction(db, (trx) => trx.insertInto('tenants').values(tenantRow(201)).execute()),
      inTransaction(db, async (trx) => {
        await sql`pragma defer_foreign_keys = on`.execute(trx)
        await trx
          .insertInto('user_stores')
          .values({ tenant_id: 'no-such-tenant', domain: 'X', description: 'orphan', created_at: 1 })
          .execute()
      }),
      inTransaction(db, (trx) => trx.insertInto('tenants').values(tenantRow(202)).execute()),
    ]
    const settled = await Promise.allSettled(batch)
    assert.deepEqual(
      settled.map((outcome) => outcome.status),
      ['rejected', 'rejected', 'rejected'],
    )
    assert.deepEqual(await domains(), [...before, 't200.example'].sort())
  })
})
