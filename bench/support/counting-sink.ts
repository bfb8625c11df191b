import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { registerCleanup } from './cleanup.ts'
import { type ProcessCpu, processCpu } from './proc.ts'
import type { SinkReport, SinkRequest } from './smtp-sink-process.ts'

/**
 * The benchmark's SMTP relay: bench/support/smtp-sink-process.ts in a child process, on a
 * free 127.0.0.1 port, counting what it accepts. Kept running across rounds; `reset` zeroes
 * the count before each.
 */
export class CountingSink {
  private readonly waiting = new Map<SinkReport['kind'], Array<(report: SinkReport) => void>>()

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly stop: () => Promise<void>,
  ) {
    child.on('message', (report: SinkReport) => {
      const queue = this.waiting.get(report.kind)
      queue?.shift()?.(report)
    })
  }

  static async start(): Promise<CountingSink> {
    const script = fileURLToPath(new URL('./smtp-sink-process.ts', import.meta.url))
    const child = fork(script, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const stop = registerCleanup(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      if (child.connected) child.send({ kind: 'stop' } satisfies SinkRequest)
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    })
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (report: SinkReport) => {
        if (report.kind === 'ready') resolve(report.port)
      })
      child.once('exit', (code) => reject(new Error(`SMTP sink exited with ${code}`)))
    })
    return new CountingSink(child, port, stop)
  }

  url(query: Record<string, string> = {}): string {
    const search = new URLSearchParams(query).toString()
    return `smtp://127.0.0.1:${this.port}${search ? `?${search}` : ''}`
  }

  async reset(): Promise<void> {
    // A wait for the previous count that timed out must not take the next one's answer.
    this.waiting.delete('reached')
    await this.ask({ kind: 'reset' }, 'reset', 30_000)
  }

  /** Messages accepted since the last reset. */
  async count(): Promise<number> {
    const report = await this.ask({ kind: 'count' }, 'count', 30_000)
    return report.kind === 'count' ? report.count : 0
  }

  /** Resolves once `count` messages have arrived since the last reset; false after `timeoutMs`. */
  async reached(count: number, timeoutMs: number): Promise<boolean> {
    try {
      await this.ask({ kind: 'notify', count }, 'reached', timeoutMs)
      return true
    } catch {
      return false
    }
  }

  /** CPU the sink has spent so far (Linux). */
  cpu(): ProcessCpu | undefined {
    return processCpu(this.child.pid)
  }

  private ask(request: SinkRequest, answer: SinkReport['kind'], timeoutMs: number): Promise<SinkReport> {
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(answer) ?? []
      this.waiting.set(answer, queue)
      const onExit = (code: number | null) => {
        clearTimeout(timer)
        reject(new Error(`SMTP sink exited with ${code}`))
      }
      const waiter = (report: SinkReport) => {
        clearTimeout(timer)
        this.child.off('exit', onExit)
        resolve(report)
      }
      const timer = setTimeout(() => {
        queue.splice(queue.indexOf(waiter), 1)
        this.child.off('exit', onExit)
        reject(new Error(`SMTP sink: no ${answer} within ${timeoutMs} ms`))
      }, timeoutMs)
      queue.push(waiter)
      this.child.once('exit', onExit)
      this.child.send(request)
    })
  }
}
