import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { BasicAuthCache } from '../../src/security/basic-auth-cache.ts'
import { ManualClock } from '../support/harness.ts'

describe('BasicAuthCache', () => {
  it('remembers a verified credential until its time-to-live ends', () => {
    const clock = new ManualClock()
    const cache = new BasicAuthCache(clock, 60_000, 10, randomBytes(32))
    const first = cache.lookup('tenant', 'alice', 'pw')
    assert.equal(first.userId, undefined)
    cache.remember(first.key, 'user-1', 'fp')
    assert.deepEqual(cache.lookup('tenant', 'alice', 'pw'), {
      key: first.key,
      userId: 'user-1',
      fingerprint: 'fp',
    })
    clock.advance(60_000)
    assert.equal(cache.lookup('tenant', 'alice', 'pw').userId, undefined)
  })

  it('keys on tenant, user name and password together', () => {
    const cache = new BasicAuthCache(new ManualClock(), 60_000, 10, randomBytes(32))
    const { key } = cache.lookup('tenant', 'alice', 'pw')
    cache.remember(key, 'user-1', 'fp')
    assert.equal(cache.lookup('tenant', 'alice', 'pw2').userId, undefined)
    assert.equal(cache.lookup('other', 'alice', 'pw').userId, undefined)
    assert.equal(cache.lookup('tenant', 'bob', 'pw').userId, undefined)
  })

  it('never holds the password itself', () => {
    const cache = new BasicAuthCache(new ManualClock(), 60_000, 10, randomBytes(32))
    const { key } = cache.lookup('tenant', 'alice', 'hunter2-secret')
    assert.ok(!key.includes('hunter2'))
    cache.remember(key, 'user-1', 'fp')
    assert.ok(
      !JSON.stringify([...(cache as unknown as { entries: Map<string, unknown> }).entries]).includes(
        'hunter2',
      ),
    )
  })

  it('drops a user on invalidation and bounds its size', () => {
    const cache = new BasicAuthCache(new ManualClock(), 60_000, 2, randomBytes(32))
    for (const name of ['a', 'b', 'c'])
      cache.remember(cache.lookup('t', name, 'pw').key, `user-${name}`, 'fp')
    assert.equal(cache.size, 2)
    assert.equal(cache.lookup('t', 'a', 'pw').userId, undefined)
    cache.invalidateUser('user-b')
    assert.equal(cache.lookup('t', 'b', 'pw').userId, undefined)
    assert.equal(cache.lookup('t', 'c', 'pw').userId, 'user-c')
  })

  it('is disabled by a zero time-to-live', () => {
    const cache = new BasicAuthCache(new ManualClock(), 0, 10, randomBytes(32))
    cache.remember(cache.lookup('t', 'a', 'pw').key, 'user-a', 'fp')
    assert.equal(cache.size, 0)
  })
})
