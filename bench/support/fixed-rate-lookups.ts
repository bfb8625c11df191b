// Child process of the `scim` benchmark: filtered look-ups of random users at a fixed rate,
// nothing else. Latency is judged from a process of its own because the benchmark process holds
// the seeded ids and the bound's store: its garbage collections would stall the clock and be
// counted as the server's latency. One process runs every round, the warm-up first: a process
// started for each round measured its own compilation and heap growth as the server's latency.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { HttpRequestConnection } from './http-request.ts'
import { type LoadResult, openLoop, type RoundTiming } from './load.ts'
import { userName } from './scim-store.ts'

/**
 * How late this process's own event loop ran during a round: a latency is counted from its due
 * time, so a stall here (a descheduled process on a busy machine) shows as the server's latency.
 * Reported beside the percentiles so that a reader can tell the two apart.
 */
export interface ClientStall {
  p99Ms: number
  maxMs: number
}

export type FixedRateResult = LoadResult & { clientStall: ClientStall }

export interface FixedRateRequest {
  url: string
  token: string
  users: number
  perSecond: number
  slots: number
  timing: RoundTiming
}

async function round(request: FixedRateRequest): Promise<FixedRateResult> {
  const target = new URL(request.url)
  const open = () =>
    HttpRequestConnection.open(target.hostname, Number(target.port), {
      authorization: `Bearer ${request.token}`,
    })
  const connections = await Promise.all(Array.from({ length: request.slots }, open))
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  try {
    const result = await openLoop(request.perSecond, request.slots, request.timing, async (slot) => {
      const filter = encodeURIComponent(
        `userName eq "${userName(Math.floor(Math.random() * request.users))}"`,
      )
      try {
        const answer = await connections[slot]!.request('GET', `/scim2/Users?filter=${filter}`)
        return answer.status === 200 && answer.body.includes('"totalResults":1,')
      } catch (error) {
        connections[slot]!.close()
        connections[slot] = await open()
        throw error
      }
    })
    delay.disable()
    return { ...result, clientStall: { p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6 } }
  } finally {
    delay.disable()
    for (const connection of connections) connection.close()
  }
}

// Rounds come one at a time: the parent sends the next after this one's answer.
process.on('message', async (request: FixedRateRequest) => {
  process.send?.(await round(request))
})
process.on('disconnect', () => process.exit(0))
