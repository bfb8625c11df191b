import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { loadSecretKey } from '../../src/security/secret-key.ts'
import { testConfig } from '../support/config.ts'

describe('server secret key', () => {
  it('is generated once into the data directory, owner-readable only, and reused', () => {
    const config = testConfig()
    const first = loadSecretKey(config)
    assert.equal(first.length, 32)
    assert.equal(statSync(join(config.storage.data_dir, 'secret.key')).mode & 0o777, 0o600)
    assert.deepEqual(loadSecretKey(config), first)
  })

  it('comes from configuration when given, so instances can share it', () => {
    const key = Buffer.alloc(32, 7).toString('base64')
    assert.deepEqual(loadSecretKey(testConfig({ REKEY_SECRET_KEY: key })), Buffer.alloc(32, 7))
  })
})
