/**
 * On PostgreSQL the fixed queries run as named prepared statements (planned once per
 * connection); every other statement is planned for its own values.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { migrateToLatest } from '../../src/persistence/database.ts'
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
