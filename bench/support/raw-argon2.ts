// Child process of the benchmark: raw argon2id verifications with @node-rs/argon2, nothing
// else. It stays up between rounds (so rounds can alternate with the server's quickly) and
// answers each `round` message with the round's result over IPC. Runs in its own process so
// that it pays what the server pays (a Node process, libuv's thread pool) and the load
// generator is not in it.
import { hash, verify } from '@node-rs/argon2'
import { closedLoop, type RoundTiming } from './load.ts'

export interface RawRoundRequest {
  kind: 'round'
  concurrency: number
  timing: RoundTiming
}

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
  const result = await closedLoop(message.concurrency, message.timing, () => verify(encoded, password))
  process.send?.(result)
})
// Leaves by itself when the benchmark goes away (IPC channel closed), whatever the reason.
process.on('disconnect', () => process.exit(0))
process.send?.('ready')
