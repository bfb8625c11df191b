/**
 * The embedded store's driver runs a fixed statement at once when nobody holds the connection,
 * and otherwise queues it like any other: a read must never run inside another caller's open
 * transaction (it would see changes that may still roll back) nor between a transaction's
 * statements.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
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
})
