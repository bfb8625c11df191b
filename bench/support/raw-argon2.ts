// Child process: measures raw argon2id verifications per second with the given parameters and
// concurrency (same thread pool as the server), then prints one JSON line.
import { hash, verify } from '@node-rs/argon2'

const [memoryKib, iterations, parallelism, concurrency, seconds, warmup] = process.argv.slice(2).map(Number)
const encoded = await hash('benchmark-password-1', {
  algorithm: 2,
  memoryCost: memoryKib!,
  timeCost: iterations!,
  parallelism: parallelism!,
})
const latencies: number[] = []
const warmupEnd = Date.now() + warmup! * 1000
const end = warmupEnd + seconds! * 1000
const worker = async () => {
  while (Date.now() < end) {
    const started = process.hrtime.bigint()
    const measuring = Date.now() >= warmupEnd
    if (!(await verify(encoded, 'benchmark-password-1'))) throw new Error('verification failed')
    if (measuring) latencies.push(Number(process.hrtime.bigint() - started) / 1e6)
  }
}
await Promise.all(Array.from({ length: concurrency! }, worker))
process.stdout.write(`${JSON.stringify({ latencies })}\n`)
