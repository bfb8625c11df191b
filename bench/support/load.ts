import { HttpConnection } from './http-connection.ts'

export interface LoadResult {
  requests: number
  errors: number
  seconds: number
  perSecond: number
  p50Ms: number
  p99Ms: number
  /** CPU the load generator itself spent per answered request (it shares the machine). */
  clientCpuMsPerRequest?: number
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!
}

export function summarize(latencies: number[], errors: number, seconds: number): LoadResult {
  const sorted = [...latencies].sort((a, b) => a - b)
  return {
    requests: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
  }
}

/**
 * Closed-loop load: `concurrency` clients each send the next request when the previous one
 * answered, over keep-alive connections, for `seconds` after a warm-up. Bounded in time.
 */
export async function postLoad(options: {
  url: string
  concurrency: number
  seconds: number
  warmupSeconds: number
  body: (index: number) => string
  expectStatus: number
}): Promise<LoadResult> {
  const target = new URL(options.url)
  const latencies: number[] = []
  let errors = 0
  let counter = 0
  const warmupEnd = Date.now() + options.warmupSeconds * 1000
  const end = warmupEnd + options.seconds * 1000
  const client = async () => {
    let connection = await HttpConnection.open(target.hostname, Number(target.port))
    while (Date.now() < end) {
      const started = process.hrtime.bigint()
      const measuring = Date.now() >= warmupEnd
      try {
        const status = await connection.post(target.pathname, target.host, options.body(counter++))
        if (status !== options.expectStatus) errors++
        else if (measuring) latencies.push(Number(process.hrtime.bigint() - started) / 1e6)
      } catch {
        errors++
        connection.close()
        connection = await HttpConnection.open(target.hostname, Number(target.port))
      }
    }
    connection.close()
  }
  const cpuBefore = process.cpuUsage()
  await Promise.all(Array.from({ length: options.concurrency }, client))
  const cpu = process.cpuUsage(cpuBefore)
  const result = summarize(latencies, errors, options.seconds)
  const answered = counter - errors
  return { ...result, clientCpuMsPerRequest: answered > 0 ? (cpu.user + cpu.system) / 1000 / answered : 0 }
}
