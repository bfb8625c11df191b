// Child process of the benchmark: raw argon2id verifications with @node-rs/argon2 (or, per
// round, the argon2 steps of a multi-step flow: verifications and hashes in order), nothing
// else. It stays up between rounds (so rounds can alternate with the server's quickly) and
// answers each `round` message with the round's result over IPC. Runs in its own process so
// that it pays what the server pays (a Node process, libuv's thread pool) and the load
// generator is not in it.
import { hash, verify } from '@node-rs/argon2'
import { closedLoop, type LoadResult, type RoundTiming } from './load.ts'

/** One argon2 step of a stage: `parallel` operations of one kind at once. */
export interface RawStep {
  op: 'verify' | 'hash'
  parallel: number
}

/** A stage of a multi-step operation: its steps, one after the other. */
export type RawStage = readonly RawStep[]

export interface RawRoundRequest {
  kind: 'round'
  concurrency: number
  timing: RoundTiming
  /** Each operation runs these stages in order instead of one verification. */
  stages?: readonly RawStage[]
}

/** A round's result; with stages, each stage's latencies (ms) in operations that ended in the window. */
export type RawRoundResult = LoadResult & { stageLatencies?: number[][] }

const [memoryKib, iterations, parallelism] = process.argv.slice(2).map(Number)
const password = 'benchmark-password-1'
const encoded = await hash(password, {
  algorithm: 2, // Algorithm.Argon2id (an ambient const enum in @node-rs/argon2)
  memoryCost: memoryKib!,
  timeCost: iterations!,
  parallelism: parallelism!,
})

process.on('message', async (message: RawRoundRequest | 'stop') => {
  if (message === 'stop') {
    process.disconnect()
    return
  }
  const { stages, timing } = message
  if (!stages) {
    process.send?.(await closedLoop(message.concurrency, timing, () => verify(encoded, password)))
    return
  }
  // The window as closedLoop opens it, to keep the stages of the operations it counts.
  const windowStart = performance.now() + timing.rampSeconds * 1000
  const windowEnd = windowStart + timing.seconds * 1000
  const stageLatencies = stages.map(() => [] as number[])
  const result: RawRoundResult = await closedLoop(message.concurrency, timing, async () => {
    const durations: number[] = []
    for (const stage of stages) {
      const started = performance.now()
      for (const step of stage) await Promise.all(Array.from({ length: step.parallel }, () => run(step.op)))
      durations.push(performance.now() - started)
    }
    const ended = performance.now()
    if (ended >= windowStart && ended < windowEnd)
      for (const [index, duration] of durations.entries()) stageLatencies[index]!.push(duration)
    return true
  })
  process.send?.({ ...result, stageLatencies })
})

/** One argon2 operation with the server's parameters; a hash costs what a verification costs. */
async function run(op: RawStep['op']): Promise<unknown> {
  if (op === 'verify') return verify(encoded, password)
  return hash(password, {
    algorithm: 2,
    memoryCost: memoryKib!,
    timeCost: iterations!,
    parallelism: parallelism!,
  })
}
// Leaves by itself when the benchmark goes away (IPC channel closed), whatever the reason.
process.on('disconnect', () => process.exit(0))
process.send?.('ready')
