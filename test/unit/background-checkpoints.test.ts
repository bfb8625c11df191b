import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { migrateToLatest, openStore } from '../../src/persistence/database.ts'
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
