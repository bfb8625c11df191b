import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { childEnv, freePort, startServe, waitFor } from '../../test/support/processes.ts'
import { registerCleanup } from './cleanup.ts'
import { type ProcessCpu, processCpu } from './proc.ts'

export interface RunningServer {
  url: string
  /** The environment the server was started with (the bound runs in the same one). */
  env: NodeJS.ProcessEnv
  /** CPU spent so far, per /proc (Linux); undefined where that is not available. */
  cpu(): ProcessCpu | undefined
  stop(): Promise<void>
}

/**
 * Starts `rekey serve` as a child process on a free 127.0.0.1 port with its own temporary data
 * directory, and waits until it is ready. The caller's environment decides the argon2
 * parameters (the test helpers' defaults are cheap ones) and the store.
 */
export async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rekey-bench-'))
  const port = await freePort()
  const serveEnv = {
    REKEY_HOST: '127.0.0.1',
    REKEY_PORT: String(port),
    REKEY_DATA_DIR: dataDir,
    REKEY_LOG_LEVEL: 'warn',
    ...env,
  }
  const server = startServe(serveEnv)
  const url = `http://127.0.0.1:${port}`
  const stop = registerCleanup(async () => {
    await server.stop()
    await rm(dataDir, { recursive: true, force: true })
  })
  try {
    await waitFor(`${url}/readyz`, async () => {
      if (server.child.exitCode !== null) throw new Error(`server exited: ${server.output()}`)
      return (await fetch(`${url}/readyz`)).status === 200 ? true : undefined
    })
  } catch (error) {
    await stop()
    throw error
  }
  return { url, env: childEnv(serveEnv), cpu: () => processCpu(server.child.pid), stop }
}
