import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { insertRows } from '../../src/persistence/multi-row.ts'
import { storeKinds, type TestStore } from '../support/stores.ts'

// Bulk writes (bulk resets, their mail and audit) go through insertRows: on PostgreSQL as one
// array or one scalar per column, on SQLite as a VALUES list. Whatever the shape, the rows read
// back are the rows given.
for (const kind of storeKinds) {
  describe(`${kind.kind}: multi-row inserts`, { skip: kind.skip }, () => {
    let testStore: TestStore
    const columns = ['id', 'tenant_id', 'body', 'amount', 'note'] as const
    type Probe = { id: string; tenant_id: string; body: string | null; amount: number; note: string | null }

    before(async () => {
      testStore = await kind.open()
      const db = testStore.store.db
      await db.schema
        .createTable('multi_row_probe')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('tenant_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('body', 'text')
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('note', 'text')
        .execute()
      await db.schema
        .createTable('multi_row_plain')
        .addColumn('label', 'varchar(20)', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .execute()
    })
    after(async () => testStore?.dispose())

    const probe = (rows: readonly Probe[]) => rows.map((row) => ({ ...row, amount: Number(row.amount) }))
    const readAll = async (prefix: string) =>
      probe(
        (await testStore.store.db
          .selectFrom('multi_row_probe' as never)
          .selectAll()
          .where(sql.ref('id'), 'like', `${prefix}%`)
          .orderBy(sql.ref('id'))
          .execute()) as Probe[],
      )
    const insert = (rows: readonly Probe[], suffix?: string) =>
      insertRows<{ id: string }>(testStore.store.db, {
        table: 'multi_row_probe',
        columns,
        rows: rows.map((row) => columns.map((column) => row[column])),
        ...(suffix ? { suffix } : {}),
      })

    it('writes columns every row shares, columns left null, and columns that differ', async () => {
      const rows = Array.from({ length: 250 }, (_, index) => ({
        id: `shared-${String(index).padStart(4, '0')}`,
        tenant_id: 'tenant-a',
        body: `body ${index}`,
        amount: 1_800_000_000_000,
        note: null,
      }))
      assert.deepEqual(await insert(rows), [])
      assert.deepEqual(await readAll('shared-'), rows)
    })

    it('keeps text with separators, quotes, braces and backslashes whole, and nulls among values', async () => {
      const awkward = ['a\u001fb', '"quoted"', '{braces}', 'back\\slash', 'NULL', '', 'comma,separated']
      const rows = awkward.map((body, index) => ({
        id: `awkward-${index}`,
        tenant_id: index % 2 === 0 ? 'tenant-a' : 'tenant-b',
        body: index === 3 ? null : body,
        amount: index,
        note: index === 4 ? 'only one note' : null,
      }))
      await insert(rows)
      assert.deepEqual(await readAll('awkward-'), rows)
    })

    it('writes one row, and rows that are the same in every column', async () => {
      const one = { id: 'single-1', tenant_id: 'tenant-a', body: 'x', amount: 7, note: null }
      await insert([one])
      assert.deepEqual(await readAll('single-'), [one])
      await insertRows(testStore.store.db, {
        table: 'multi_row_plain',
        columns: ['label', 'amount'],
        rows: [
          ['same', 3],
          ['same', 3],
          ['same', 3],
        ],
      })
      const plain = await testStore.store.db
        .selectFrom('multi_row_plain' as never)
        .selectAll()
        .execute()
      assert.deepEqual(
        (plain as { label: string; amount: number }[]).map((row) => [row.label, Number(row.amount)]),
        [
          ['same', 3],
          ['same', 3],
          ['same', 3],
        ],
      )
    })

    it('returns what the suffix returns: only the rows a conflict did not stop', async () => {
      const rows = ['conflict-1', 'conflict-2', 'conflict-3'].map((id) => ({
        id,
        tenant_id: 'tenant-a',
        body: id,
        amount: 1,
        note: null,
      }))
      await insert(rows.slice(0, 1))
      const returned = await insert(rows, 'on conflict (id) do nothing returning id')
      assert.deepEqual(returned.map((row) => row.id).sort(), ['conflict-2', 'conflict-3'])
      assert.deepEqual(await readAll('conflict-'), rows)
    })
  })
}
