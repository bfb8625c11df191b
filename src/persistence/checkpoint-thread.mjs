// Worker thread body: moves SQLite WAL checkpoints (page copies and fsync) off the event loop.
// Plain JavaScript so the worker needs no TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'

const db = new Database(workerData.file)
db.pragma('busy_timeout = 5000')

/**
 * Frames the writer may have left to copy when it is asked to start the WAL over. The writer
 * copies them, and syncs them and the database file, on the event loop: at about 20 µs per page
 * synced here, the thousands of frames committed during one long copy stalled every request
 * for 40–60 ms.
 */
const WRITER_SHARE_FRAMES = 512
/** Copies in a row before the writer is asked anyway (writes outpacing the copies). */
const MAX_CATCH_UP_ROUNDS = 8

// PASSIVE never waits for readers or writers: it copies what it can and tries again later.
const passive = () => db.pragma('wal_checkpoint(PASSIVE)')[0]

function checkpoint() {
  try {
    let result = passive()
    if (!result || result.checkpointed < result.log || result.log < workerData.restartFrames) return
    // Everything copied, but the WAL is long: only the writer can start it over (see
    // background-checkpoints.ts). Each copy here takes the frames committed during the last
    // one, fewer each time, until a copy finds little left: what the writer then copies is short.
    for (let round = 0; round < MAX_CATCH_UP_ROUNDS; round++) {
      const next = passive()
      const copied = next.checkpointed - result.checkpointed
      result = next
      if (copied <= WRITER_SHARE_FRAMES) break
    }
    parentPort.postMessage({ restart: true })
  } catch (error) {
    parentPort.postMessage({ error: String(error) })
  }
}

const timer = setInterval(checkpoint, workerData.intervalMs)
parentPort.on('message', (message) => {
  if (message !== 'stop') return
  clearInterval(timer)
  checkpoint()
  db.close()
  parentPort.close()
})
