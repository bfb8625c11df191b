import { Worker } from 'node:worker_threads'
import type { Database as SqliteHandle } from 'better-sqlite3'

export interface CheckpointOptions {
  /** How often the worker checkpoints. */
  intervalMs?: number
  /** A copied WAL at least this many frames long is started over (see below). */
  restartFrames?: number
}

export interface BackgroundCheckpoints {
  stop(): Promise<void>
}

/** A WAL this many frames long (64 MiB of 4 KiB pages) is started over once it is copied. */
const RESTART_FRAMES = 16_384

/**
 * SQLite checkpoints the WAL from whichever connection commits when the WAL passes 1000 pages:
 * the committing request then copies pages and waits for fsync on the event loop, stalling
 * every other request (and starving the hash threads of work). The server turns automatic
 * checkpoints off on its connection and runs them every `intervalMs` from a worker thread with
 * its own connection. If the worker fails, automatic checkpoints come back so the WAL never
 * grows without bound.
 *
 * A copied WAL starts over only when a write transaction *begins* after the copy finished.
 * Under a steady stream of writes the next transaction has always begun before the worker's
 * checkpoint ends, so the WAL grew without end (a gigabyte in half a minute of SCIM PATCHes),
 * and every page read searched a longer WAL index. When the worker reports a long WAL fully
 * copied, the server's connection checkpoints once itself between two transactions: only the
 * frames of the last moment are left to copy, and the next transaction starts the WAL over.
 */
export function startBackgroundCheckpoints(
  handle: SqliteHandle,
  file: string,
  betweenTransactions: (work: () => void) => Promise<void>,
  { intervalMs = 1000, restartFrames = RESTART_FRAMES }: CheckpointOptions = {},
): BackgroundCheckpoints {
  const worker = new Worker(new URL('./checkpoint-thread.mjs', import.meta.url), {
    workerData: { file, intervalMs, restartFrames },
  })
  let restarting = false
  const restart = () => {
    if (restarting) return
    restarting = true
    betweenTransactions(() => {
      if (!handle.open) return
      // Never wait on the event loop: if the worker is copying right now, its next report retries.
      const busyTimeout = handle.pragma('busy_timeout', { simple: true })
      handle.pragma('busy_timeout = 0')
      try {
        handle.pragma('wal_checkpoint(PASSIVE)')
      } finally {
        handle.pragma(`busy_timeout = ${busyTimeout}`)
      }
    })
      .catch(() => {})
      .finally(() => {
        restarting = false
      })
  }
  const restoreAutomatic = () => {
    if (handle.open) handle.pragma('wal_autocheckpoint = 1000')
  }
  handle.pragma('wal_autocheckpoint = 0')
  worker.on('error', restoreAutomatic)
  worker.on('message', (message: { error?: string; restart?: boolean }) => {
    if (message.error) restoreAutomatic()
    else if (message.restart) restart()
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
