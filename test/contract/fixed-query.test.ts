import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { migrateToLatest } from '../../src/persistence/database.ts'
import { inTransaction } from '../../src/persistence/executor.ts'
import { fixedQuery } from '../../src/persistence/fixed-query.ts'
import { storeKinds, type TestStore } from '../support/stores.ts'

const tenantByDomain = fixedQuery<{ domain: string }, { id: string; domain: string }>((db, p) =>
  db.selectFrom('tenants').select(['id', 'domain']).where('domain', '=', p('domain')),
)

const renameTenant = fixedQuery<{ id: string; displayName: string }, never>((db, p) =>
  db
    .updateTable('tenants')
    .set({ display_name: p('displayName') })
    .where('id', '=', p('id')),
)

for (const kind of storeKinds) {
  describe(`${kind.kind}: fixed queries`, { skip: kind.skip }, () => {
    let store: TestStore
    before(async () => {
      store = await kind.open()
      await migrateToLatest(store.store.db)
      const now = Date.now()
      await store.store.db
        .insertInto('tenants')
        .values(
          ['a.example', 'b.example'].map((domain, index) => ({
            id: `00000000-0000-4000-8000-00000000000${index}`,
            domain,
            display_name: domain,
            status: 'active',
            created_at: now,
            updated_at: now,
          })),
        )
        .execute()
    })
    after(async () => store?.dispose())

    it('binds each call its own values to the one compiled statement', async () => {
      const db = store.store.db
      assert.deepEqual((await tenantByDomain(db, { domain: 'a.example' })).rows, [
        { id: '00000000-0000-4000-8000-000000000000', domain: 'a.example' },
      ])
      assert.equal((await tenantByDomain(db, { domain: 'b.example' })).rows[0]?.domain, 'b.example')
      assert.deepEqual((await tenantByDomain(db, { domain: "x' or '1'='1" })).rows, [])
    })

    it('reports affected rows and runs inside a transaction that can roll back', async () => {
      const db = store.store.db
      const id = '00000000-0000-4000-8000-000000000001'
      await assert.rejects(
        inTransaction(db, async (trx) => {
          const { numAffectedRows } = await renameTenant(trx, { id, displayName: 'Renamed' })
          assert.equal(numAffectedRows, 1n)
          throw new Error('abandon')
        }),
        /abandon/,
      )
      const row = await db
        .selectFrom('tenants')
        .select('display_name')
        .where('id', '=', id)
        .executeTakeFirst()
      assert.equal(row?.display_name, 'b.example')
      assert.equal((await renameTenant(db, { id: 'missing', displayName: 'x' })).numAffectedRows, 0n)
    })

    it('refuses a query with a literal value, which would be frozen into every later call', async () => {
      const withLiteral = fixedQuery<{ domain: string }, { id: string }>((db, p) =>
        db
          .selectFrom('tenants')
          .select('id')
          .where('domain', '=', p('domain'))
          .where('status', '=', 'active'),
      )
      await assert.rejects(withLiteral(store.store.db, { domain: 'a.example' }), /literal/)
      const withRawLiteral = fixedQuery<{ domain: string }, { id: string }>((db, p) =>
        db.selectFrom('tenants').select('id').where('domain', '=', p('domain')).where(sql<boolean>`1 = 1`),
      )
      assert.equal((await withRawLiteral(store.store.db, { domain: 'a.example' })).rows.length, 1)
    })
  })
}
