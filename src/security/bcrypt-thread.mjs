// Worker thread body: verifies bcrypt hashes for the main thread. Plain JavaScript so the
// worker needs no TypeScript loader. Messages: { id, password, hash } -> { id, ok }.
import { parentPort } from 'node:worker_threads'
import bcrypt from 'bcryptjs'

parentPort.on('message', ({ id, password, hash }) => {
  let ok = false
  try {
    ok = bcrypt.compareSync(password, hash)
  } catch {
    ok = false
  }
  parentPort.postMessage({ id, ok })
})
