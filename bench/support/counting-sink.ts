import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { registerCleanup } from './cleanup.ts'
import { type ProcessCpu, processCpu } from './proc.ts'
import type { SinkReport, SinkRequest } from './smtp-sink-process.ts'

/** A reset code the sink read out of a message, with the message's envelope recipients. */
export type CodeListener = (recipients: readonly string[], code: string) => void

/**
 * The benchmark's SMTP relay: bench/support/smtp-sink-process.ts in a child process, on a
 * free 127.0.0.1 port, counting what it accepts. Kept running across rounds; `reset` zeroes
 * the count before each. Started with `readCodes`, it also hands every self-service reset
 * code it receives to the `onCode` listener.
 */
export class CountingSink {
  private readonly waiting = new Map<SinkReport['kind'], Array<(report: SinkReport) => void>>()
  private codeListener: CodeListener | undefined

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly stop: () => Promise<void>,
  ) {
    child.on('message', (report: SinkReport) => {
      if (report.kind === 'code') return this.codeListener?.(report.recipients, report.code)
      const queue = this.waiting.get(report.kind)
      queue?.shift()?.(report)
    })
  }

  static async start(options: { readCodes?: boolean } = {}): Promise<CountingSink> {
    const script = fileURLToPath(new URL('./smtp-sink-process.ts', import.meta.url))
    const child = fork(script, options.readCodes ? ['codes'] : [], {
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

  /** Where the codes go (a sink started with `readCodes`); one listener, the last one set. */
  onCode(listener: CodeListener): void {
    this.codeListener = listener
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
