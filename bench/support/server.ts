import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, startServe, waitFor } from '../../test/support/processes.ts'

export interface RunningServer {
  url: string
  stop(): Promise<void>
}

/**
 * Starts `rekey serve` as a child process on a free loopback port with its own data directory.
 * The caller's environment decides the argon2 parameters (the test defaults are cheap ones).
 */
export async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rekey-bench-'))
  const port = await freePort()
  const server = startServe({
    REKEY_HOST: '127.0.0.1',
    REKEY_PORT: String(port),
    REKEY_DATA_DIR: dataDir,
    ...env,
  })
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    await waitFor(`${url}/readyz`, async () => {
      if (server.child.exitCode !== null) throw new Error(`server exited: ${server.output()}`)
      return (await fetch(`${url}/readyz`)).status === 200 ? true : undefined
    })
  } catch (error) {
    await stop()
    throw error
  }
  return { url, stop }
}
