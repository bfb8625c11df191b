import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { retryDelayMs } from '../../src/notifications/outbox/retry-delay.ts'

describe('outbox retry delay', () => {
  it('doubles from the base, between half and all of the ceiling', () => {
    for (const [attempt, ceiling] of [
      [1, 10_000],
      [2, 20_000],
      [3, 40_000],
      [5, 160_000],
    ] as const) {
      assert.equal(
        retryDelayMs(attempt, 10_000, 3_600_000, () => 0),
        ceiling / 2,
      )
      assert.equal(
        retryDelayMs(attempt, 10_000, 3_600_000, () => 1),
        ceiling,
      )
    }
  })

  it('is capped, also for absurd attempt counts', () => {
    assert.equal(
      retryDelayMs(20, 10_000, 1_800_000, () => 1),
      1_800_000,
    )
    assert.equal(
      retryDelayMs(10_000, 10_000, 1_800_000, () => 1),
      1_800_000,
    )
    assert.ok(Number.isFinite(retryDelayMs(Number.MAX_SAFE_INTEGER, 10_000, 1_800_000)))
  })

  it('spreads messages that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(3, 10_000, 3_600_000)))
    assert.ok(delays.size > 40)
    for (const delay of delays) assert.ok(delay >= 20_000 && delay <= 40_000)
  })
})
