/**
 * On PostgreSQL the fixed queries and the set-based statements run as named prepared
 * statements (parsed once per connection); every other statement is parsed for each call.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { migrateToLatest } from '../../src/persistence/database.ts'
import { insertRows, runWithList } from '../../src/persistence/multi-row.ts'
import { usersRepository } from '../../src/persistence/repositories/users.ts'
import { newId } from '../../src/security/tokens.ts'
import { postgresKind, type TestStore } from '../support/stores.ts'

describe('postgres: prepared statements', { skip: postgresKind.skip }, () => {
  let testStore: TestStore
  before(async () => {
    testStore = await postgresKind.open()
    await migrateToLatest(testStore.store.db)
  })
  after(async () => testStore?.dispose())

  /** The statements this connection prepared by name. */
  const prepared = async (trx: Parameters<typeof usersRepository.findById>[0]) =>
    (
      await sql<{ name: string; statement: string }>`
        select name, statement from pg_prepared_statements order by name`.execute(trx)
    ).rows

  it('prepares a fixed query once per connection, by name, and answers as before', async () => {
    const { db } = testStore.store
    const id = newId()
    await db.transaction().execute(async (trx) => {
      const before = await prepared(trx)
      for (let round = 0; round < 3; round++)
        assert.equal(await usersRepository.findById(trx, newId(), id), undefined)
      const added = (await prepared(trx)).filter(
        (statement) => !before.some((known) => known.name === statement.name),
      )
      assert.equal(added.length, 1, 'one statement prepared, then reused')
      assert.match(added[0]!.name, /^rekey_\d+$/)
      assert.match(added[0]!.statement, /from "users"/)
    })
  })

  it('prepares nothing when the configuration turns prepared statements off (poolers in transaction mode)', async () => {
    const unprepared = await postgresKind.open({ REKEY_STORAGE_PREPARED_STATEMENTS: 'false' })
    try {
      await migrateToLatest(unprepared.store.db)
      await unprepared.store.db.transaction().execute(async (trx) => {
        assert.equal(await usersRepository.findById(trx, newId(), newId()), undefined)
        assert.deepEqual(await prepared(trx), [])
      })
    } finally {
      await unprepared.dispose()
    }
  })

  it('prepares a set-based statement once per shape, whatever the number of rows', async () => {
    const { db } = testStore.store
    await sql`create table multi_row_probe (id text primary key, n bigint not null)`.execute(db)
    await db.transaction().execute(async (trx) => {
      const before = await prepared(trx)
      const added = async () =>
        (await prepared(trx)).filter((statement) => !before.some((known) => known.name === statement.name))
      const insert = (rows: Array<[string, number]>) =>
        insertRows(trx, { table: 'multi_row_probe', columns: ['id', 'n'], rows })
      await insert([['a', 1]])
      await insert([['b', 2]])
      const remove = (ids: string[]) =>
        runWithList(trx, { text: 'delete from multi_row_probe where id in (:list)', list: ids })
      assert.equal((await remove(['a'])).changed, 1)
      assert.equal((await remove(['b', 'c', 'd'])).changed, 1)
      const named = await added()
      assert.equal(named.length, 2, 'one insert and one delete, each prepared once')
      assert.ok(named.some((statement) => /unnest/.test(statement.statement)))
      assert.ok(named.some((statement) => /= any\(\$1\)/.test(statement.statement)))
      assert.deepEqual(
        (await sql<{ n: number }>`select count(*)::int as n from multi_row_probe`.execute(trx)).rows,
        [{ n: 0 }],
      )
    })
  })

  it('leaves statements built per call unnamed', async () => {
    const { db } = testStore.store
    await db.transaction().execute(async (trx) => {
      const before = (await prepared(trx)).length
      await trx.selectFrom('users').select('id').where('username_key', '=', 'nobody').execute()
      await sql`select ${1}::int as one`.execute(trx)
      assert.equal((await prepared(trx)).length, before)
    })
  })
})
