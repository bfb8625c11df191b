// Worker thread body: moves SQLite WAL checkpoints (page copies and fsync) off the event loop.
// Plain JavaScript so the worker needs no TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'

const db = new Database(workerData.file)
db.pragma('busy_timeout = 5000')

function checkpoint() {
  try {
    // PASSIVE never waits for readers or writers: it copies what it can and tries again later.
    const [result] = db.pragma('wal_checkpoint(PASSIVE)')
    // Everything copied, but the WAL is long: only the writer can start it over (see
    // background-checkpoints.ts), so it is told.
    if (result && result.log >= workerData.restartFrames && result.checkpointed === result.log)
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
