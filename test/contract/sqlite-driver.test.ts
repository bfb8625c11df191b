/**
 * The embedded store's driver runs a fixed statement at once when nobody holds the connection,
 * and otherwise queues it like any other: a read must never run inside another caller's open
 * transaction (it would see changes that may still roll back) nor between a transaction's
 * statements.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'
import SqliteDatabase from 'better-sqlite3'
import { cliActor } from '../../src/observability/audit.ts'
import { immediateRunnerOf, inTransaction } from '../../src/persistence/executor.ts'
import { usersRepository } from '../../src/persistence/repositories/users.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { sqliteKind } from '../support/stores.ts'

describe('sqlite: statements that skip the queue', () => {
  let h: Harness
  before(async () => {
    h = await openHarness(sqliteKind)
  })
  after(async () => h?.close())

  it('the store handle and the open transactions of the group commit have a runner; no other handle does', async () => {
    const { db } = h.container.store
    assert.ok(immediateRunnerOf(db))
    await db.transaction().execute(async (trx) => assert.equal(immediateRunnerOf(trx), undefined))
    const kept = await inTransaction(db, async (trx) => {
      assert.deepEqual(immediateRunnerOf(trx)?.('select 1 as one', [])?.rows, [{ one: 1 }])
      return trx
    })
    // Threat: a handle kept past its transaction must not write outside one.
    assert.equal(immediateRunnerOf(kept)?.('select 1 as one', []), undefined)
    assert.equal(
      immediateRunnerOf(
        db.withPlugin({ transformQuery: (a) => a.node, transformResult: async (a) => a.result }),
      ),
      undefined,
    )
  })

  it('a read while a transaction holds the connection waits for it, and never sees what it rolls back', async () => {
    const { db } = h.container.store
    const alice = await h.container.users.create(h.defaultTenant, { username: 'alice' }, cliActor)
    let changed!: () => void
    const hasChanged = new Promise<void>((resolve) => (changed = resolve))
    let finish!: () => void
    const finished = new Promise<void>((resolve) => (finish = resolve))
    const transaction = inTransaction(db, async (trx) => {
      await trx.updateTable('users').set({ username: 'renamed' }).where('id', '=', alice.id).execute()
      changed()
      await finished
      throw new Error('rolled back on purpose')
    })
    await hasChanged
    let settled = false
    const read = usersRepository.findById(db, h.defaultTenant.id, alice.id).then((row) => {
      settled = true
      return row
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(settled, false, 'the read waits while the transaction is open')
    finish()
    await assert.rejects(transaction, /rolled back on purpose/)
    assert.equal((await read)?.username, 'alice')
  })

  it('a read with the connection free answers from the committed state at once', async () => {
    const { db } = h.container.store
    const bob = await h.container.users.create(h.defaultTenant, { username: 'bob' }, cliActor)
    const runner = immediateRunnerOf(db)!
    const direct = runner('select username from users where id = ?', [bob.id])
    assert.deepEqual(direct?.rows, [{ username: 'bob' }])
    assert.equal((await usersRepository.findById(db, h.defaultTenant.id, bob.id))?.username, 'bob')
  })

  describe('reads that run at once share a read transaction until the turn ends', () => {
    // Another process writing the same file: the CLI while the server runs.
    let other: SqliteDatabase.Database
    let userId: string
    const renameElsewhere = (username: string) =>
      other.prepare('update users set username = ? where id = ?').run(username, userId)
    const nameRead = () =>
      immediateRunnerOf(h.container.store.db)!('select username from users where id = ?', [userId])?.rows
    before(async () => {
      other = new SqliteDatabase(join(h.config.storage.data_dir, 'rekey.db'))
      other.pragma('busy_timeout = 5000')
      userId = (await h.container.users.create(h.defaultTenant, { username: 'carol' }, cliActor)).id
    })
    after(() => other?.close())

    it("another connection's commit shows from the next turn, not between two reads of one turn", async () => {
      await nextTurn()
      assert.deepEqual(nameRead(), [{ username: 'carol' }])
      renameElsewhere('carol-2')
      assert.deepEqual(nameRead(), [{ username: 'carol' }], 'one turn, one snapshot')
      await nextTurn()
      assert.deepEqual(nameRead(), [{ username: 'carol-2' }])
    })

    it('a write ends the shared read: it runs on the latest state, and the reads after it see it', async () => {
      await nextTurn()
      assert.ok(nameRead())
      // Threat: a write inside a snapshot that another process has moved past fails
      // (SQLITE_BUSY_SNAPSHOT), and one that succeeded there would be committed only later.
      renameElsewhere('carol-3')
      const runner = immediateRunnerOf(h.container.store.db)!
      const written = runner("update users set username = username || '!' where id = ?", [userId])
      assert.equal(Number(written?.numAffectedRows), 1)
      assert.deepEqual(nameRead(), [{ username: 'carol-3!' }])
      assert.deepEqual(other.prepare('select username from users where id = ?').get(userId), {
        username: 'carol-3!',
      })
    })

    it('a transaction ends the shared read before it begins', async () => {
      await nextTurn()
      assert.ok(nameRead())
      renameElsewhere('carol-4')
      await inTransaction(h.container.store.db, (trx) =>
        trx.updateTable('users').set({ username: 'carol-5' }).where('id', '=', userId).execute(),
      )
      assert.deepEqual(nameRead(), [{ username: 'carol-5' }])
    })

    it('a shared read lets the other connection write, and is gone after the turn: the WAL copies back whole', async () => {
      await nextTurn()
      assert.ok(nameRead())
      renameElsewhere('carol-6')
      await nextTurn()
      const [checkpoint] = other.pragma('wal_checkpoint(PASSIVE)') as Array<{
        log: number
        checkpointed: number
      }>
      assert.equal(checkpoint?.checkpointed, checkpoint?.log, 'no reader holds an older snapshot')
      assert.deepEqual(nameRead(), [{ username: 'carol-6' }])
    })

    it('a request arriving ends the shared read: it reads what was committed before it', async () => {
      await nextTurn()
      assert.ok(nameRead())
      renameElsewhere('carol-7')
      h.container.store.refreshReads()
      assert.deepEqual(nameRead(), [{ username: 'carol-7' }])
      renameElsewhere('carol-8')
      // Through the application: its requests refresh the store's reads as they arrive.
      const runner = immediateRunnerOf(h.container.store.db)!
      assert.ok(runner('select 1 as one', []))
      const answer = await h.app.inject({ method: 'GET', url: '/healthz' })
      assert.equal(answer.statusCode, 200)
      assert.deepEqual(nameRead(), [{ username: 'carol-8' }])
    })

    it('a read that fails inside the shared read leaves it usable, and it still ends with the turn', async () => {
      await nextTurn()
      const runner = immediateRunnerOf(h.container.store.db)!
      assert.ok(nameRead())
      assert.throws(() => runner("select json_extract('not json', '$') as broken", []), /JSON/i)
      assert.deepEqual(nameRead()?.length, 1)
      renameElsewhere('carol-9')
      await nextTurn()
      assert.deepEqual(nameRead(), [{ username: 'carol-9' }])
    })
  })
})

describe('sqlite: a store closed while its reads share a transaction', () => {
  it('closes without waiting for the turn, and the end of the turn finds nothing to end', async () => {
    const h = await openHarness(sqliteKind)
    await nextTurn()
    assert.ok(immediateRunnerOf(h.container.store.db)!('select 1 as one', []))
    await h.close()
    // The end of the turn comes after the close: it must not throw (an uncaught exception).
    await nextTurn()
    await nextTurn()
  })
})
