import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import {
  openStoredBody,
  sealRendered,
  sealSnapshotted,
  sealValues,
} from '../../src/notifications/outbox/stored-body.ts'
import { SealedBox } from '../../src/security/sealed-box.ts'

const box = new SealedBox(randomBytes(32), 'outbox-body')
const id = '0193a5f0-0000-7000-8000-000000000001'

describe('stored message bodies', () => {
  it('opens sealed values and rendered bodies as what they are', () => {
    const values = { 'user-name': 'Robin', otp: 'ABCD2345' }
    assert.deepEqual(openStoredBody(box, id, sealValues(box, id, values)), { kind: 'values', values })
    const body = { html: '<p>Hi</p>', text: 'Hi' }
    assert.deepEqual(openStoredBody(box, id, sealRendered(box, id, body)), { kind: 'rendered', body })
    const snapshot = 'a'.repeat(64)
    assert.deepEqual(openStoredBody(box, id, sealSnapshotted(box, id, values, snapshot)), {
      kind: 'snapshot',
      values,
      snapshot,
    })
  })

  it('refuses another message id, another key, and sealed text of neither shape', () => {
    const sealed = sealValues(box, id, { otp: 'ABCD2345' })
    assert.equal(openStoredBody(box, `${id}x`, sealed), undefined)
    assert.equal(openStoredBody(new SealedBox(randomBytes(32), 'outbox-body'), id, sealed), undefined)
    for (const plain of [
      'not json',
      'null',
      '[]',
      '{"values":[1]}',
      '{"values":{"otp":1}}',
      '{"html":"x"}',
      '{"snapshot":"x"}',
    ])
      assert.equal(openStoredBody(box, id, box.seal(plain, id)), undefined, plain)
  })
})
