import assert from 'node:assert/strict'
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { describe, it } from 'node:test'
import bcrypt from 'bcryptjs'
import fc from 'fast-check'
import {
  detectImportedFormat,
  isSupportedImportedHash,
  verifyImportedHash,
} from '../../src/security/imported-hashes.ts'
import { PasswordHasher } from '../../src/security/password-hasher.ts'

const cheap = { memoryKib: 1024, iterations: 1, parallelism: 1 }

function adaptedBase64(buffer: Buffer): string {
  return buffer.toString('base64').replaceAll('+', '.').replace(/=+$/, '')
}

describe('PasswordHasher', () => {
  it('hashes with argon2id and the configured parameters', async () => {
    const hasher = new PasswordHasher({ memoryKib: 19_456, iterations: 2, parallelism: 1 })
    const encoded = await hasher.hash('correct horse battery staple')
    assert.match(encoded, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    assert.deepEqual(await hasher.verify(encoded, 'correct horse battery staple'), {
      ok: true,
      needsRehash: false,
    })
    assert.deepEqual(await hasher.verify(encoded, 'wrong'), { ok: false, needsRehash: false })
  })

  it('asks for a rehash when the parameters changed, only for the right password', async () => {
    const old = await new PasswordHasher(cheap).hash('s3cret-value')
    const current = new PasswordHasher({ ...cheap, iterations: 2 })
    assert.deepEqual(await current.verify(old, 's3cret-value'), { ok: true, needsRehash: true })
    assert.deepEqual(await current.verify(old, 'other'), { ok: false, needsRehash: false })
  })

  it('never accepts a malformed stored hash', async () => {
    const hasher = new PasswordHasher(cheap)
    for (const stored of ['', '$argon2id$garbage', 'plain-text', '$2b$10$short']) {
      assert.equal((await hasher.verify(stored, 'plain-text')).ok, false, stored)
    }
  })

  it('spends a real verification on the dummy path', async () => {
    const hasher = new PasswordHasher({ memoryKib: 19_456, iterations: 2, parallelism: 1 })
    await hasher.verifyDummy('warm-up')
    const started = process.hrtime.bigint()
    await hasher.verifyDummy('anything')
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6
    assert.ok(elapsedMs > 1, `dummy verification took ${elapsedMs} ms`)
  })

  it('round-trips arbitrary passwords', async () => {
    const hasher = new PasswordHasher(cheap)
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), async (password) => {
        const encoded = await hasher.hash(password)
        assert.equal((await hasher.verify(encoded, password)).ok, true)
        assert.equal((await hasher.verify(encoded, `${password}x`)).ok, false)
      }),
      { numRuns: 25 },
    )
  })
})

describe('imported hashes', () => {
  it('verifies bcrypt including the $2y$ prefix, and asks for an upgrade', async () => {
    const hash2b = bcrypt.hashSync('imported-pass', 4)
    const hash2y = hash2b.replace(/^\$2b\$/, '$2y$')
    const hasher = new PasswordHasher(cheap)
    for (const encoded of [hash2b, hash2y]) {
      assert.equal(detectImportedFormat(encoded), 'bcrypt')
      assert.deepEqual(await hasher.verify(encoded, 'imported-pass'), { ok: true, needsRehash: true })
      assert.equal((await hasher.verify(encoded, 'wrong')).ok, false)
    }
  })

  it('keeps bcrypt work off the event loop', async () => {
    const encoded = bcrypt.hashSync('imported-pass', 11)
    await verifyImportedHash(encoded, 'warm-up')
    const before = performance.eventLoopUtilization()
    assert.equal(await verifyImportedHash(encoded, 'imported-pass'), true)
    const busy = performance.eventLoopUtilization(before)
    assert.ok(
      busy.utilization < 0.3,
      `the event loop was busy ${(busy.utilization * 100).toFixed(0)}% of a bcrypt verification`,
    )
  })

  it('verifies PBKDF2-SHA256 in the $pbkdf2-sha256$ and pbkdf2_sha256$ forms', async () => {
    const salt = randomBytes(16)
    const digest = pbkdf2Sync('imported-pass', salt, 1000, 32, 'sha256')
    const phc = `$pbkdf2-sha256$1000$${adaptedBase64(salt)}$${adaptedBase64(digest)}`
    const textSalt = 'NaClNaCl'
    const django = `pbkdf2_sha256$1200$${textSalt}$${pbkdf2Sync('imported-pass', textSalt, 1200, 32, 'sha256').toString('base64')}`
    assert.equal(detectImportedFormat(phc), 'pbkdf2-sha256')
    assert.equal(detectImportedFormat(django), 'pbkdf2-sha256-django')
    for (const encoded of [phc, django]) {
      assert.equal(await verifyImportedHash(encoded, 'imported-pass'), true)
      assert.equal(await verifyImportedHash(encoded, 'imported-pasS'), false)
    }
  })

  it('verifies salted SHA-256 ({SSHA256})', async () => {
    const salt = randomBytes(8)
    const digest = createHash('sha256').update('imported-pass').update(salt).digest()
    const encoded = `{SSHA256}${Buffer.concat([digest, salt]).toString('base64')}`
    assert.equal(await verifyImportedHash(encoded, 'imported-pass'), true)
    assert.equal(await verifyImportedHash(encoded, 'nope'), false)
  })

  it('refuses unknown formats and absurd PBKDF2 work factors', () => {
    assert.equal(isSupportedImportedHash('{MD5}abc'), false)
    assert.equal(isSupportedImportedHash('$pbkdf2-sha256$999999999$c2FsdA$ZGlnZXN0'), false)
    assert.equal(isSupportedImportedHash('{SSHA256}c2hvcnQ='), false)
  })
})
