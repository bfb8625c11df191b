import { Worker } from 'node:worker_threads'
import type { Database as SqliteHandle } from 'better-sqlite3'

export interface BackgroundCheckpoints {
  stop(): Promise<void>
}

/**
 * SQLite checkpoints the WAL from whichever connection commits when the WAL passes 1000 pages:
 * the committing request then copies pages and waits for fsync on the event loop, stalling
 * every other request (and starving the hash threads of work). The server turns automatic
 * checkpoints off on its connection and runs them every `intervalMs` from a worker thread with
 * its own connection. If the worker fails, automatic checkpoints come back so the WAL never
 * grows without bound.
 */
export function startBackgroundCheckpoints(
  handle: SqliteHandle,
  file: string,
  intervalMs = 1000,
): BackgroundCheckpoints {
  const worker = new Worker(new URL('./checkpoint-thread.mjs', import.meta.url), {
    workerData: { file, intervalMs },
  })
  const restoreAutomatic = () => {
    if (handle.open) handle.pragma('wal_autocheckpoint = 1000')
  }
  handle.pragma('wal_autocheckpoint = 0')
  worker.on('error', restoreAutomatic)
  worker.on('message', (message: { error?: string }) => {
    if (message.error) restoreAutomatic()
  })
  // After the listeners: attaching a message listener makes the worker keep the process alive again.
  worker.unref()
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  return {
    async stop() {
      worker.postMessage('stop')
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))])
      await worker.terminate()
      restoreAutomatic()
    },
  }
}
