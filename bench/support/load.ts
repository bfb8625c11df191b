import { HttpConnection } from './http-connection.ts'

export interface LoadResult {
  /** Operations that completed inside the measurement window. */
  completed: number
  /** Successful operations in the whole round: ramp, window and the tail after it. */
  operations: number
  /** Operations that failed (wrong status, connection error) at any time during the round. */
  errors: number
  seconds: number
  perSecond: number
  /** Latencies (ms) of the operations counted in `completed`. */
  latencies: number[]
  /** CPU the measuring process spent per completed operation (it shares the machine). */
  cpuMsPerOperation: number
}

export interface RoundTiming {
  /** Time to let every client get its first operations in flight before the window opens. */
  rampSeconds: number
  /** Length of the measurement window. */
  seconds: number
}

/**
 * Closed loop: `concurrency` clients each start the next operation when the previous one ended,
 * for a ramp and then a measurement window. Only operations that *end* inside the window are
 * counted, and the rate is that count over the window's length, so the operations still in
 * flight when a round stops (up to one per client) neither inflate nor deflate the figure.
 * Bounded in time: no client starts an operation after the window closes.
 */
export async function closedLoop(
  concurrency: number,
  timing: RoundTiming,
  operation: (client: number, index: number) => Promise<boolean>,
): Promise<LoadResult> {
  const windowStart = performance.now() + timing.rampSeconds * 1000
  const windowEnd = windowStart + timing.seconds * 1000
  const latencies: number[] = []
  let errors = 0
  let index = 0
  const cpuBefore = process.cpuUsage()
  const client = async (id: number) => {
    while (performance.now() < windowEnd) {
      const started = performance.now()
      let ok = false
      try {
        ok = await operation(id, index++)
      } catch {
        ok = false
      }
      const ended = performance.now()
      if (!ok) errors++
      else if (ended >= windowStart && ended < windowEnd) latencies.push(ended - started)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, id) => client(id)))
  return roundResult(latencies, index - errors, errors, timing, process.cpuUsage(cpuBefore))
}

/**
 * A round's figures. CPU is spent over ramp + window + tail, so it is attributed per operation
 * over the whole round; the rate counts only operations that ended inside the window.
 */
function roundResult(
  latencies: number[],
  operations: number,
  errors: number,
  timing: RoundTiming,
  cpu: NodeJS.CpuUsage,
): LoadResult {
  return {
    completed: latencies.length,
    operations,
    errors,
    seconds: timing.seconds,
    perSecond: latencies.length / timing.seconds,
    latencies,
    cpuMsPerOperation: (cpu.user + cpu.system) / 1000 / Math.max(1, operations),
  }
}

/** One closed-loop round of POSTs over keep-alive connections, one connection per client. */
export async function postRound(options: {
  url: string
  concurrency: number
  timing: RoundTiming
  body: (index: number) => string
  expectStatus: number
}): Promise<LoadResult> {
  const target = new URL(options.url)
  const open = () => HttpConnection.open(target.hostname, Number(target.port))
  const connections = await Promise.all(Array.from({ length: options.concurrency }, open))
  try {
    return await closedLoop(options.concurrency, options.timing, async (client, index) => {
      try {
        const status = await connections[client]!.post(target.pathname, target.host, options.body(index))
        return status === options.expectStatus
      } catch (error) {
        connections[client]!.close()
        connections[client] = await open()
        throw error
      }
    })
  } finally {
    for (const connection of connections) connection.close()
  }
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!
}

export interface Summary {
  completed: number
  errors: number
  seconds: number
  perSecond: number
  p50Ms: number
  p99Ms: number
  cpuMsPerOperation: number
}

/** Pools several rounds: total completions over total window time, percentiles over all. */
export function summarize(rounds: LoadResult[]): Summary {
  const latencies = rounds.flatMap((round) => round.latencies).sort((a, b) => a - b)
  const seconds = rounds.reduce((sum, round) => sum + round.seconds, 0)
  const completed = latencies.length
  const operations = rounds.reduce((sum, round) => sum + round.operations, 0)
  const cpu = rounds.reduce((sum, round) => sum + round.cpuMsPerOperation * round.operations, 0)
  return {
    completed,
    errors: rounds.reduce((sum, round) => sum + round.errors, 0),
    seconds,
    perSecond: seconds > 0 ? completed / seconds : 0,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    cpuMsPerOperation: operations > 0 ? cpu / operations : 0,
  }
}

/**
 * Open loop: operations start on a fixed schedule, `perSecond` of them, whatever the answers
 * do; each latency runs from the moment its operation was *due*, so a stall delays and counts
 * every operation scheduled behind it (no coordinated omission). A closed loop at saturation
 * measures queueing instead: its latency is clients ÷ rate by Little's law. `slots` bounds the
 * operations in flight; one due while all are busy waits for a slot, and that wait counts.
 */
export async function openLoop(
  perSecond: number,
  slots: number,
  timing: RoundTiming,
  operation: (slot: number, index: number) => Promise<boolean>,
): Promise<LoadResult> {
  const start = performance.now()
  const windowStart = start + timing.rampSeconds * 1000
  const windowEnd = windowStart + timing.seconds * 1000
  const interval = 1000 / perSecond
  const latencies: number[] = []
  const free = Array.from({ length: slots }, (_, slot) => slot)
  const waiting: Array<(slot: number) => void> = []
  const takeSlot = () =>
    free.length > 0 ? Promise.resolve(free.pop()!) : new Promise<number>((resolve) => waiting.push(resolve))
  const releaseSlot = (slot: number) => {
    const next = waiting.shift()
    if (next) next(slot)
    else free.push(slot)
  }
  let errors = 0
  let operations = 0
  // Operations in flight, and who waits for the last one: a list of every operation's promise
  // would keep thousands of finished closures alive until the round ends, and their collection
  // would stall this process's clock and count as the server's latency.
  let inFlight = 0
  let drained: (() => void) | undefined
  const cpuBefore = process.cpuUsage()
  for (let index = 0; ; index++) {
    const due = start + index * interval
    if (due >= windowEnd) break
    // Yield every time, so answers are read while later operations wait for their turn. Never
    // start before the due time: a latency measured from a due time still ahead would be short.
    const delay = due - performance.now()
    await new Promise((resolve) => (delay > 0 ? setTimeout(resolve, delay) : setImmediate(resolve)))
    inFlight++
    void (async () => {
      const slot = await takeSlot()
      let ok = false
      try {
        ok = await operation(slot, index)
      } catch {
        ok = false
      } finally {
        releaseSlot(slot)
      }
      const ended = performance.now()
      if (!ok) errors++
      else {
        operations++
        if (due >= windowStart) latencies.push(ended - due)
      }
      if (--inFlight === 0) drained?.()
    })()
  }
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve))
  return roundResult(latencies, operations, errors, timing, process.cpuUsage(cpuBefore))
}
