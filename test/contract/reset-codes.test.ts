import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { cliActor } from '../../src/observability/audit.ts'
import { inTransaction } from '../../src/persistence/executor.ts'
import { resetCodesRepository } from '../../src/persistence/repositories/reset-codes.ts'
import {
  generateOtp,
  newLinkToken,
  normalizeOtp,
  presentedLink,
  sameHmac,
  secretHmac,
} from '../../src/security/one-time-secrets.ts'
import { timeOrderedId } from '../../src/security/time-ordered-id.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { storeKinds } from '../support/stores.ts'

const key = randomBytes(32)
const NOW = 1_800_000_000_000

for (const kind of storeKinds) {
  describe(`${kind.kind}: one-time reset secrets`, { skip: kind.skip }, () => {
    let h: Harness
    let alice: string
    let bob: string
    before(async () => {
      h = await openHarness(kind)
      alice = (await h.container.users.create(h.defaultTenant, { username: 'alice' }, cliActor)).id
      bob = (await h.container.users.create(h.defaultTenant, { username: 'bob' }, cliActor)).id
    })
    after(async () => h?.close())

    const issueOtp = async (
      userId: string,
      otp: string,
      overrides: { expiresAt?: number; maxAttempts?: number } = {},
    ) => {
      await inTransaction(h.container.store.db, async (trx) => {
        await resetCodesRepository.voidForUser(trx, userId)
        await resetCodesRepository.insert(trx, {
          id: randomUUID(),
          tenant_id: h.defaultTenant.id,
          user_id: userId,
          kind: 'otp',
          secret_hmac: secretHmac(key, 'otp', otp, userId),
          sealed_secret: null,
          created_at: NOW,
          expires_at: overrides.expiresAt ?? NOW + 3_600_000,
          used_at: null,
          attempts: 0,
          max_attempts: overrides.maxAttempts ?? 5,
        })
      })
    }
    const present = (userId: string, typed: string, now = NOW + 1000) =>
      inTransaction(h.container.store.db, (trx) =>
        resetCodesRepository.tryOtp(trx, {
          userId,
          now,
          matches: (stored) =>
            sameHmac(stored, secretHmac(key, 'otp', normalizeOtp(typed, 'upper-alnum'), userId)),
        }),
      )

    it('accepts the right one-time password once, as typed with spaces or in lower case', async () => {
      const otp = generateOtp(8, 'upper-alnum')
      await issueOtp(alice, otp)
      const typed = `${otp.slice(0, 4).toLowerCase()} ${otp.slice(4)}`
      assert.equal((await present(alice, typed)).outcome, 'accepted')
      assert.deepEqual(await present(alice, otp), { outcome: 'no-code' })
    })

    it('counts parallel wrong guesses atomically: no more tries than the limit, then the right code fails too', async () => {
      const otp = generateOtp(8, 'upper-alnum')
      await issueOtp(alice, otp, { maxAttempts: 5 })
      const guesses = await Promise.all(Array.from({ length: 20 }, () => present(alice, 'WRONG234')))
      assert.equal(guesses.filter((result) => result.outcome === 'invalid').length, 5)
      assert.equal(guesses.filter((result) => result.outcome === 'no-code').length, 15)
      assert.deepEqual(await present(alice, otp), { outcome: 'no-code' })
    })

    it('lets exactly one of many parallel right answers sign in', async () => {
      const otp = generateOtp(8, 'upper-alnum')
      await issueOtp(alice, otp, { maxAttempts: 20 })
      const answers = await Promise.all(Array.from({ length: 10 }, () => present(alice, otp)))
      assert.equal(answers.filter((result) => result.outcome === 'accepted').length, 1)
    })

    it("refuses an expired code, a replaced code, and another user's code", async () => {
      const old = generateOtp(8, 'upper-alnum')
      await issueOtp(alice, old, { expiresAt: NOW + 500 })
      assert.deepEqual(await present(alice, old, NOW + 500), { outcome: 'no-code' })
      await issueOtp(alice, old)
      const replacement = generateOtp(8, 'upper-alnum')
      await issueOtp(alice, replacement)
      assert.equal((await present(alice, old)).outcome, 'invalid')
      const bobs = generateOtp(8, 'upper-alnum')
      await issueOtp(bob, bobs)
      assert.equal((await present(alice, bobs)).outcome, 'invalid', "bob's code is not alice's")
      assert.equal((await present(alice, replacement)).outcome, 'accepted')
    })

    const storeLink = async (row: { id: string; kind: 'link' | 'link-v1'; hmac: string }) =>
      resetCodesRepository.insert(h.container.store.db, {
        id: row.id,
        tenant_id: h.defaultTenant.id,
        user_id: bob,
        kind: row.kind,
        secret_hmac: row.hmac,
        sealed_secret: null,
        created_at: NOW,
        expires_at: NOW + 60_000,
        used_at: null,
        attempts: 0,
        max_attempts: 1,
      })

    it('finds a link by its code and verifier; consumes it once under parallel use; finding does not consume; expiry holds', async () => {
      const codeId = timeOrderedId(NOW)
      const { token, verifier } = newLinkToken(codeId)
      const hmac = secretHmac(key, 'link', verifier, codeId)
      await storeLink({ id: codeId, kind: 'link', hmac })
      const presented = presentedLink(token)
      assert.deepEqual(presented, { codeId, verifier })
      const link = { codeId, hmac }
      const db = h.container.store.db
      assert.equal((await resetCodesRepository.findLiveLink(db, link, NOW + 1))?.user_id, bob)
      assert.equal(await resetCodesRepository.findLiveLink(db, link, NOW + 60_000), undefined, 'expired')
      // Threat: a guessed or altered verifier under a real code's id.
      const altered = { codeId, hmac: secretHmac(key, 'link', newLinkToken(codeId).verifier, codeId) }
      assert.equal(await resetCodesRepository.findLiveLink(db, altered, NOW + 1), undefined)
      assert.equal(await resetCodesRepository.consumeLink(db, altered, NOW + 1), undefined)
      // Threat: a real verifier moved to another code's id matches nothing (bound to its code).
      const otherId = timeOrderedId(NOW)
      await storeLink({ id: otherId, kind: 'link', hmac: secretHmac(key, 'link', 'another', otherId) })
      const moved = { codeId: otherId, hmac: secretHmac(key, 'link', verifier, otherId) }
      assert.equal(await resetCodesRepository.findLiveLink(db, moved, NOW + 1), undefined)
      const consumed = await Promise.all(
        Array.from({ length: 8 }, () =>
          inTransaction(db, (trx) => resetCodesRepository.consumeLink(trx, link, NOW + 2)),
        ),
      )
      assert.equal(consumed.filter((row) => row?.user_id === bob).length, 1)
      assert.equal(await resetCodesRepository.findLiveLink(db, link, NOW + 3), undefined)
    })

    it('a link of the first format (no selector) is still found by its HMAC, and consumed once', async () => {
      const token = randomBytes(32).toString('base64url')
      assert.deepEqual(presentedLink(token), { firstFormatToken: token })
      const firstFormatHmac = secretHmac(key, 'link', token)
      await storeLink({ id: randomUUID(), kind: 'link-v1', hmac: firstFormatHmac })
      const db = h.container.store.db
      const link = { hmac: firstFormatHmac }
      assert.equal((await resetCodesRepository.findLiveLink(db, link, NOW + 1))?.user_id, bob)
      assert.equal(await resetCodesRepository.findLiveLink(db, { hmac: 'f'.repeat(64) }, NOW), undefined)
      const consumed = await Promise.all(
        Array.from({ length: 4 }, () =>
          inTransaction(db, (trx) => resetCodesRepository.consumeLink(trx, link, NOW + 2)),
        ),
      )
      assert.equal(consumed.filter((row) => row?.user_id === bob).length, 1)
      assert.equal(await resetCodesRepository.findLiveLink(db, link, NOW + 3), undefined)
    })
  })
}

describe('one-time secret generation', () => {
  it('draws only from the alphabet, at the asked length, and is not predictable', () => {
    for (const [characters, pattern] of [
      ['digits', /^[0-9]{12}$/],
      ['upper-alnum', /^[A-HJ-NP-Z2-9]{12}$/],
      ['alnum', /^[A-HJ-NP-Za-km-z2-9]{12}$/],
    ] as const) {
      const codes = new Set(Array.from({ length: 200 }, () => generateOtp(12, characters)))
      assert.equal(codes.size, 200)
      for (const code of codes) assert.match(code, pattern)
    }
    const codeId = timeOrderedId(NOW)
    const tokens = new Set(Array.from({ length: 200 }, () => newLinkToken(codeId).token))
    assert.equal(tokens.size, 200)
    for (const token of tokens) {
      assert.match(token, /^[A-Za-z0-9_-]{64}$/)
      assert.equal((presentedLink(token) as { codeId: string }).codeId, codeId)
    }
  })

  it('binds one-time passwords to their user in the stored form', () => {
    assert.notEqual(secretHmac(key, 'otp', 'ABCD2345', 'u1'), secretHmac(key, 'otp', 'ABCD2345', 'u2'))
    assert.notEqual(secretHmac(key, 'otp', 'ABCD2345'), secretHmac(key, 'link', 'ABCD2345'))
    assert.ok(!sameHmac(secretHmac(key, 'otp', 'A', 'u'), ''))
  })
})

describe('presented link tokens', () => {
  it('anything but a link of ours names nothing, and is not looked up', () => {
    const token = newLinkToken(timeOrderedId(NOW)).token
    for (const presented of [
      '',
      token.slice(1),
      `${token}A`,
      `${token.slice(0, -1)}.`,
      `${token.slice(0, 42)}=`,
      'x'.repeat(4096),
      '../../etc/passwd',
    ])
      assert.equal(presentedLink(presented), undefined, presented)
  })
})
