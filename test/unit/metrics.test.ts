import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Counter, Metrics } from '../../src/observability/metrics.ts'

describe('metrics', () => {
  it('render counters in the Prometheus text format, zero before the first count', () => {
    const metrics = new Metrics()
    const text = metrics.render()
    assert.match(text, /^# HELP rekey_outbox_messages_queued_total /m)
    assert.match(text, /^# TYPE rekey_outbox_messages_dead_total counter$/m)
    assert.match(text, /^rekey_outbox_messages_sent_total 0$/m)
    metrics.outboxSent.inc({ transport: 'smtp' })
    metrics.outboxSent.inc({ transport: 'smtp' }, 2)
    metrics.outboxSent.inc({ transport: 'mailbox' })
    assert.match(metrics.render(), /^rekey_outbox_messages_sent_total\{transport="smtp"\} 3$/m)
    assert.equal(metrics.outboxSent.value({ transport: 'mailbox' }), 1)
  })

  it('escape label values, so none can forge a line', () => {
    const counter = new Counter('x_total', 'x')
    counter.inc({ type: 'a"b\\c\nx_total 99' })
    assert.equal(counter.render().split('\n').at(-1), 'x_total{type="a\\"b\\\\c\\nx_total 99"} 1')
  })
})
