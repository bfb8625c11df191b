import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { migrateToLatest, openStore } from '../../src/persistence/database.ts'
import { inTransaction } from '../../src/persistence/executor.ts'
import { auditRepository } from '../../src/persistence/repositories/audit.ts'
import { removeTestDirs, testConfig } from '../support/config.ts'

describe('SQLite background checkpoints', () => {
  it('copy the WAL into the database file from a worker, not from committing requests', async () => {
    const config = testConfig()
    const store = openStore(config, { backgroundCheckpoints: true })
    const file = join(config.storage.data_dir, 'rekey.db')
    try {
      await migrateToLatest(store.db)
      const sizeAfterMigrations = statSync(file).size
      // Well past the 1000 pages at which SQLite would checkpoint on commit by itself.
      await store.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 1500; i++) {
          await auditRepository.insert(trx, {
            tenantId: null,
            occurredAt: i,
            actor: 'test',
            action: 'user.created',
            target: null,
            outcome: 'success',
            detail: { padding: 'x'.repeat(3500) },
          })
        }
      })
      // With automatic checkpoints off, the commit left its pages in the WAL only.
      assert.equal(statSync(file).size, sizeAfterMigrations)
      // Waits for the whole copy, not its first pages: on a loaded machine the file grows in steps.
      const copied = () => statSync(file).size > sizeAfterMigrations + 1500 * 3500
      const deadline = Date.now() + 30_000
      while (!copied() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
      assert.ok(copied(), 'the worker checkpointed the WAL')
    } finally {
      await store.close()
      removeTestDirs(config)
    }
  })
})

describe("the server's WAL under concurrent writers", () => {
  it('starts over once copied while transactions follow one another without a gap', async () => {
    const config = testConfig()
    const store = openStore(config, { backgroundCheckpoints: { intervalMs: 20, restartFrames: 50 } })
    try {
      await migrateToLatest(store.db)
      let transactions = 0
      const until = Date.now() + 2000
      // Eight writers, as under load: the group commit starts the next batch as one ends.
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (Date.now() < until) {
            await inTransaction(store.db, (trx) =>
              auditRepository.insert(trx, {
                tenantId: null,
                occurredAt: Date.now(),
                actor: 'test',
                action: 'user.created',
                target: null,
                outcome: 'success',
                detail: { padding: 'x'.repeat(3000) },
              }),
            )
            transactions++
          }
        }),
      )
      const { rows } = await sql<{ log: number }>`pragma wal_checkpoint(PASSIVE)`.execute(store.db)
      assert.ok(transactions > 200, `only ${transactions} transactions`)
      assert.ok(
        rows[0]!.log < transactions / 4,
        `${rows[0]!.log} frames in the WAL after ${transactions} transactions`,
      )
    } finally {
      await store.close()
      removeTestDirs(config)
    }
  })
})
