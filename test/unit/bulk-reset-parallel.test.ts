import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.ts'
import { loadConfig } from '../../src/config/load.ts'
import { parallelBatchesFor } from '../../src/flows/bulk-reset/runner.ts'
import { tempDir } from '../support/config.ts'

describe('bulk reset batches side by side', () => {
  it('runs one batch at a time on the embedded store, whatever the setting', () => {
    assert.equal(parallelBatchesFor(false, { bulk_reset_parallel_batches: 8, pool_size: 10 }), 1)
  })

  it('runs the configured number on PostgreSQL, leaving a connection of the pool for requests', () => {
    const { config } = loadConfig({ env: {}, cwd: tempDir('rekey-parallel-') })
    assert.equal(config.storage.bulk_reset_parallel_batches, 2)
    assert.equal(parallelBatchesFor(true, config.storage), 2)
    assert.equal(parallelBatchesFor(true, { bulk_reset_parallel_batches: 8, pool_size: 4 }), 3)
    assert.equal(parallelBatchesFor(true, { bulk_reset_parallel_batches: 4, pool_size: 1 }), 1)
  })

  it('refuses a setting outside 1-32 at start, naming the key', () => {
    for (const value of ['0', '33', 'two']) {
      assert.throws(
        () =>
          loadConfig({
            env: { REKEY_STORAGE_BULK_RESET_PARALLEL_BATCHES: value },
            cwd: tempDir('rekey-parallel-'),
          }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.problems.some((problem) => problem.key === 'storage.bulk_reset_parallel_batches'),
        value,
      )
    }
  })
})
