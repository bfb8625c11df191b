/**
 * Things to undo however the benchmark ends: the server child, its data directory, a
 * PostgreSQL schema. Normal runs undo them in `finally` blocks; an interrupt (Ctrl-C) or a
 * termination signal runs whatever is still registered before leaving.
 */
const pending = new Set<() => Promise<void>>()
let interrupted = false

export function registerCleanup(undo: () => Promise<void>): () => Promise<void> {
  let done = false
  const once = async () => {
    if (done) return
    done = true
    pending.delete(once)
    await undo()
  }
  pending.add(once)
  return once
}

async function onSignal(signal: NodeJS.Signals): Promise<void> {
  if (interrupted) return
  interrupted = true
  console.error(`\n${signal}: stopping and cleaning up`)
  // Newest first: the server stops before the schema it uses is dropped.
  for (const undo of [...pending].reverse()) await undo().catch((error) => console.error(String(error)))
  process.exit(130)
}

process.once('SIGINT', (signal) => void onSignal(signal))
process.once('SIGTERM', (signal) => void onSignal(signal))
