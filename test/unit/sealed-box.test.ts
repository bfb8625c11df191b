import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { SealedBox } from '../../src/security/sealed-box.ts'

describe('sealed box', () => {
  const secret = randomBytes(32)

  it('opens what it sealed, for the same context, and any text round-trips', () => {
    const box = new SealedBox(secret, 'outbox-body')
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string(), (plain, context) => {
        assert.equal(box.open(box.seal(plain, context), context), plain)
      }),
    )
  })

  it('never shows the plaintext and seals the same value differently each time', () => {
    const box = new SealedBox(secret, 'outbox-body')
    const first = box.seal('code K7Q2M9XD', 'id-1')
    assert.ok(!first.includes('K7Q2M9XD'))
    assert.notEqual(first, box.seal('code K7Q2M9XD', 'id-1'))
  })

  it('does not open for another context, purpose or secret, nor when altered', () => {
    const box = new SealedBox(secret, 'outbox-body')
    const sealed = box.seal('link https://x/reset?t=abc', 'message-1')
    assert.equal(box.open(sealed, 'message-2'), undefined, 'moved to another row')
    assert.equal(new SealedBox(secret, 'tenant-smtp-url').open(sealed, 'message-1'), undefined)
    assert.equal(new SealedBox(randomBytes(32), 'outbox-body').open(sealed, 'message-1'), undefined)
    const [version, iv, body] = sealed.split('.')
    // The second-to-last character always carries whole bits of the tag; it is replaced by
    // another one, never by itself.
    const replaced = body!.at(-2) === 'A' ? 'B' : 'A'
    const flipped = `${body!.slice(0, -2)}${replaced}${body!.slice(-1)}`
    assert.equal(box.open(`${version}.${iv}.${flipped}`, 'message-1'), undefined)
    for (const garbage of ['', 'v1', 'v1..', 'v2.a.b', 'v1.AAAA.AAAA', 'not sealed at all'])
      assert.equal(box.open(garbage, 'message-1'), undefined, garbage)
  })
})
