import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = fileURLToPath(new URL('../../bin/rekey.js', import.meta.url))

/** Environment for child processes: cheap argon2 and quiet logs, plus the test's own values. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = { ...process.env }
  for (const key of Object.keys(inherited))
    if (key.startsWith('REKEY_') || key === 'DATABASE_URL') delete inherited[key]
  return {
    ...inherited,
    REKEY_LOG_LEVEL: 'warn',
    REKEY_PASSWORDS_ARGON2_MEMORY_KIB: '1024',
    REKEY_PASSWORDS_ARGON2_ITERATIONS: '1',
    ...env,
  }
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs `rekey …` as an operator would, with optional standard input. */
export function runCli(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { cwd: root, env: childEnv(env), timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, stdout, stderr })
      },
    )
    child.stdin?.end(input ?? '')
  })
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

export interface ServeProcess {
  child: ChildProcess
  output(): string
  exited: Promise<number | null>
  stop(): Promise<void>
}

/** Starts `rekey serve`; the caller waits for what it expects with `waitFor`. */
export function startServe(env: Record<string, string>): ServeProcess {
  const child = spawn(process.execPath, [bin, 'serve'], {
    cwd: root,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** The exit code of a process expected to stop on its own, or a failure after `timeoutMs`. */
export async function exitCodeWithin(process: ServeProcess, timeoutMs = 30_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still running after ${timeoutMs} ms; output:\n${process.output()}`)),
      timeoutMs,
    )
  })
  try {
    return await Promise.race([process.exited, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Polls until `check` holds, or fails after `timeoutMs`. */
export async function waitFor<T>(
  description: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      lastError = error
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${description}${lastError ? `: ${String(lastError)}` : ''}`)
}
