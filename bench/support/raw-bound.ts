import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { RoundTiming } from './load.ts'
import { type ProcessCpu, processCpu } from './proc.ts'
import type { RawRoundRequest, RawRoundResult, RawStage } from './raw-argon2.ts'

export interface Argon2Parameters {
  memoryKib: number
  iterations: number
  parallelism: number
}

/**
 * The physical bound of a sign-in: raw argon2id verifications per second with the server's
 * parameters, in a separate Node process on the same cores (the caller chooses its environment,
 * and with it libuv's thread-pool size). Kept running so that rounds of the bound and of the
 * server can alternate.
 */
export class RawArgon2Bound {
  private constructor(private readonly child: ChildProcess) {}

  static async start(parameters: Argon2Parameters, env: NodeJS.ProcessEnv): Promise<RawArgon2Bound> {
    const script = fileURLToPath(new URL('./raw-argon2.ts', import.meta.url))
    const child = fork(
      script,
      [parameters.memoryKib, parameters.iterations, parameters.parallelism].map(String),
      { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    )
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve())
      child.once('exit', (code) => reject(new Error(`raw argon2 process exited with ${code}`)))
    })
    return new RawArgon2Bound(child)
  }

  /**
   * One closed-loop round of `concurrency` clients; each operation is one verification, or with
   * `stages`, those stages' argon2 steps in order (the argon2 work of a multi-step flow).
   */
  round(concurrency: number, timing: RoundTiming, stages?: readonly RawStage[]): Promise<RawRoundResult> {
    const request: RawRoundRequest = { kind: 'round', concurrency, timing, ...(stages ? { stages } : {}) }
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timeout)
        this.child.off('message', onMessage)
        this.child.off('exit', onExit)
      }
      const onMessage = (result: unknown) => {
        settle()
        resolve(result as RawRoundResult)
      }
      const onExit = (code: number | null) => {
        settle()
        reject(new Error(`raw argon2 process exited with ${code} during a round`))
      }
      const timeout = setTimeout(
        () => {
          settle()
          reject(new Error('raw argon2 round did not finish'))
        },
        (timing.rampSeconds + timing.seconds + 60) * 1000,
      )
      this.child.on('message', onMessage)
      this.child.once('exit', onExit)
      this.child.send(request)
    })
  }

  /** CPU the bound's process has spent so far (Linux). */
  cpu(): ProcessCpu | undefined {
    return processCpu(this.child.pid)
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    if (this.child.connected) this.child.send('stop')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}
