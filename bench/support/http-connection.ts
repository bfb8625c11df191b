import { connect, type Socket } from 'node:net'

/**
 * A minimal HTTP/1.1 keep-alive client for load generation: one request in flight per
 * connection, responses framed by Content-Length (every Rekey JSON answer carries it). It
 * spends far less CPU per request than node:http or fetch, which matters when the load
 * generator shares two cores with the server it measures. Loopback only.
 */
export class HttpConnection {
  private readonly socket: Socket
  private buffer: Buffer = Buffer.alloc(0)
  private closed = false
  private pending:
    | { resolve: (status: number) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
    | undefined

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (error) => this.fail(error))
    socket.on('close', () => {
      this.closed = true
      this.fail(new Error('connection closed'))
    })
  }

  static open(host: string, port: number): Promise<HttpConnection> {
    if (host !== '127.0.0.1') return Promise.reject(new Error(`refusing to load ${host}: loopback only`))
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true })
      socket.once('connect', () => resolve(new HttpConnection(socket)))
      socket.once('error', reject)
    })
  }

  /** Sends one POST and resolves with the answer's status; rejects after `timeoutMs`. */
  post(path: string, host: string, body: string, timeoutMs = 30_000): Promise<number> {
    if (this.closed) return Promise.reject(new Error('connection closed'))
    const request = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
      this.pending = { resolve, reject, timer }
      this.socket.write(request)
    })
  }

  close(): void {
    this.closed = true
    this.socket.destroy()
  }

  private fail(error: Error): void {
    const pending = this.pending
    this.pending = undefined
    if (!pending) return
    clearTimeout(pending.timer)
    pending.reject(error)
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    const headerEnd = this.buffer.indexOf('\r\n\r\n')
    if (headerEnd === -1) return
    const head = this.buffer.subarray(0, headerEnd).toString('latin1')
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
    const total = headerEnd + 4 + length
    if (this.buffer.length < total) return
    const status = Number(head.slice(9, 12))
    this.buffer = this.buffer.subarray(total)
    const pending = this.pending
    this.pending = undefined
    if (!pending) return
    clearTimeout(pending.timer)
    pending.resolve(status)
  }
}
