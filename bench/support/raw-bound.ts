import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type LoadResult, summarize } from './load.ts'

export interface Argon2Parameters {
  memoryKib: number
  iterations: number
  parallelism: number
}

/** Raw argon2id verifications/s in a separate process: the physical bound of a sign-in. */
export async function measureRawArgon2(
  parameters: Argon2Parameters,
  concurrency: number,
  seconds: number,
  warmupSeconds: number,
): Promise<LoadResult> {
  const script = fileURLToPath(new URL('./raw-argon2.ts', import.meta.url))
  const args = [
    '--import',
    'tsx',
    script,
    ...[
      parameters.memoryKib,
      parameters.iterations,
      parameters.parallelism,
      concurrency,
      seconds,
      warmupSeconds,
    ].map(String),
  ]
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: (seconds + warmupSeconds + 60) * 1000 },
      (error, out) => (error ? reject(error) : resolve(out)),
    )
  })
  const { latencies } = JSON.parse(stdout) as { latencies: number[] }
  return summarize(latencies, 0, seconds)
}
