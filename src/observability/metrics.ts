/**
 * Counters in the Prometheus text format (version 0.0.4). A handful of counters with a label
 * or two need no client library: names and help texts are fixed here, label values are
 * escaped, and nothing user-controlled becomes a metric name.
 */
type Labels = Readonly<Record<string, string>>

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')

function labelText(labels: Labels): string {
  const entries = Object.entries(labels)
  if (entries.length === 0) return ''
  return `{${entries.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(',')}}`
}

export class Counter {
  private readonly values = new Map<string, number>()

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels)
    this.values.set(key, (this.values.get(key) ?? 0) + by)
  }

  value(labels: Labels = {}): number {
    return this.values.get(labelText(labels)) ?? 0
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`]
    if (this.values.size === 0) lines.push(`${this.name} 0`)
    for (const [labels, value] of this.values) lines.push(`${this.name}${labels} ${value}`)
    return lines.join('\n')
  }
}

/** The process's metrics; each instance counts its own work (Prometheus sums instances). */
export class Metrics {
  readonly outboxQueued = new Counter('rekey_outbox_messages_queued_total', 'Messages written to the outbox.')
  readonly outboxSent = new Counter(
    'rekey_outbox_messages_sent_total',
    'Messages delivered, by transport (smtp or mailbox).',
  )
  readonly outboxRetried = new Counter(
    'rekey_outbox_messages_retried_total',
    'Delivery attempts that failed temporarily and were scheduled again.',
  )
  readonly outboxDead = new Counter(
    'rekey_outbox_messages_dead_total',
    'Messages given up: a permanent rejection or too many failed attempts.',
  )

  private all(): Counter[] {
    return [this.outboxQueued, this.outboxSent, this.outboxRetried, this.outboxDead]
  }

  render(): string {
    return `${this.all()
      .map((counter) => counter.render())
      .join('\n')}\n`
  }
}
