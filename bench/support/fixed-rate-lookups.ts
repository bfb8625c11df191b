// Child process of the `scim` benchmark: filtered look-ups of random users at a fixed rate,
// nothing else. Latency is judged from a process of its own because the benchmark process holds
// the seeded ids and the bound's store: its garbage collections would stall the clock and be
// counted as the server's latency. One process runs every round, the warm-up first: a process
// started for each round measured its own compilation and heap growth as the server's latency.
import { HttpRequestConnection } from './http-request.ts'
import { type LoadResult, openLoop, type RoundTiming } from './load.ts'
import { userName } from './scim-store.ts'

export interface FixedRateRequest {
  url: string
  token: string
  users: number
  perSecond: number
  slots: number
  timing: RoundTiming
}

async function round(request: FixedRateRequest): Promise<LoadResult> {
  const target = new URL(request.url)
  const open = () =>
    HttpRequestConnection.open(target.hostname, Number(target.port), {
      authorization: `Bearer ${request.token}`,
    })
  const connections = await Promise.all(Array.from({ length: request.slots }, open))
  try {
    return await openLoop(request.perSecond, request.slots, request.timing, async (slot) => {
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
  } finally {
    for (const connection of connections) connection.close()
  }
}

// Rounds come one at a time: the parent sends the next after this one's answer.
process.on('message', async (request: FixedRateRequest) => {
  process.send?.(await round(request))
})
process.on('disconnect', () => process.exit(0))
