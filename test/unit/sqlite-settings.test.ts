import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { openStore } from '../../src/persistence/database.ts'
import { removeTestDirs, testConfig } from '../support/config.ts'

/** The value SQLite reports for a pragma on the store's own connection. */
async function pragma(env: Record<string, string>, name: 'mmap_size' | 'cache_size'): Promise<number> {
  const config = testConfig(env)
  const store = openStore(config)
  try {
    const { rows } = await sql<Record<string, number>>`${sql.raw(`pragma ${name}`)}`.execute(store.db)
    return Number(rows[0]?.[name])
  } finally {
    await store.close()
    removeTestDirs(config)
  }
}

describe('embedded store settings', () => {
  it('maps the database file by default, up to storage.sqlite_mmap_mib', async () => {
    assert.equal(await pragma({}, 'mmap_size'), 1024 * 1024 * 1024)
    assert.equal(await pragma({ REKEY_STORAGE_SQLITE_MMAP_MIB: '16' }, 'mmap_size'), 16 * 1024 * 1024)
  })

  it('reads through system calls only when the map is turned off', async () => {
    assert.equal(await pragma({ REKEY_STORAGE_SQLITE_MMAP_MIB: '0' }, 'mmap_size'), 0)
  })

  it('sizes the page cache in KiB from storage.sqlite_cache_mib, 8 MiB unless told', async () => {
    // Small by default: a commit after a page split walks the whole cache (decision 0029).
    assert.equal(await pragma({}, 'cache_size'), -8 * 1024)
    assert.equal(await pragma({ REKEY_STORAGE_SQLITE_CACHE_MIB: '64' }, 'cache_size'), -64 * 1024)
  })

  it('refuses a map larger than SQLite can make', () => {
    assert.throws(() => testConfig({ REKEY_STORAGE_SQLITE_MMAP_MIB: '4096' }), /sqlite_mmap_mib/)
  })
})
