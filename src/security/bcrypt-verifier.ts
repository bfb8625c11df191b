import { Worker } from 'node:worker_threads'

interface Pending {
  resolve: (ok: boolean) => void
  reject: (error: Error) => void
}

/**
 * bcrypt (for imported hashes) has no native binding here; bcryptjs is pure JavaScript and a
 * cost-12 verification is a quarter second of CPU. It runs on a worker thread so sign-ins of
 * imported users — and attackers guessing at them — never occupy the event loop. The thread
 * starts on first use and keeps the process alive only while a verification is pending.
 */
class BcryptVerifier {
  private worker: Worker | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 1

  private start(): Worker {
    const worker = new Worker(new URL('./bcrypt-thread.mjs', import.meta.url))
    worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      this.pending.get(id)?.resolve(ok)
      this.pending.delete(id)
      // Idle: let the process exit without waiting for this thread.
      if (this.pending.size === 0) worker.unref()
    })
    const fail = (error: Error) => {
      for (const pending of this.pending.values()) pending.reject(error)
      this.pending.clear()
      this.worker = undefined
    }
    worker.on('error', fail)
    worker.on('exit', () => fail(new Error('bcrypt worker stopped')))
    return worker
  }

  verify(password: string, hash: string): Promise<boolean> {
    this.worker ??= this.start()
    const worker = this.worker
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.ref()
      worker.postMessage({ id, password, hash })
    })
  }
}

export const bcryptVerifier = new BcryptVerifier()
