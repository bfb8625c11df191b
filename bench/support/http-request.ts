import { connect, type Socket } from 'node:net'

export interface HttpAnswer {
  status: number
  body: Buffer
}

/**
 * A minimal HTTP/1.1 keep-alive client like `HttpConnection`, for any method and with extra
 * headers (an Authorization header, say), answering with the status and the body: one request
 * in flight per connection, responses framed by Content-Length. Loopback only.
 */
export class HttpRequestConnection {
  private readonly socket: Socket
  private chunks: Buffer[] = []
  private buffered = 0
  /** Header end and total length of the answer being read, once its head has arrived. */
  private frame: { bodyStart: number; total: number; status: number } | undefined
  private closed = false
  private pending:
    | { resolve: (answer: HttpAnswer) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
    | undefined

  private constructor(
    socket: Socket,
    private readonly host: string,
    private readonly headers: string,
    private readonly contentType: string,
  ) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (error) => this.fail(error))
    socket.on('close', () => {
      this.closed = true
      this.fail(new Error('connection closed'))
    })
  }

  /**
   * `headers` are sent with every request (e.g. `{ authorization: 'Bearer …' }`); bodies go as
   * `contentType` (SCIM's unless told).
   */
  static open(
    host: string,
    port: number,
    headers: Record<string, string> = {},
    contentType = 'application/scim+json',
  ): Promise<HttpRequestConnection> {
    if (host !== '127.0.0.1') return Promise.reject(new Error(`refusing to load ${host}: loopback only`))
    const lines = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('')
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true })
      socket.once('connect', () =>
        resolve(new HttpRequestConnection(socket, `${host}:${port}`, lines, contentType)),
      )
      socket.once('error', reject)
    })
  }

  /** Sends one request; rejects after `timeoutMs`. A body is sent as `contentType`. */
  request(method: string, path: string, body?: string, timeoutMs = 30_000): Promise<HttpAnswer> {
    if (this.closed) return Promise.reject(new Error('connection closed'))
    const content =
      body === undefined
        ? ''
        : `Content-Type: ${this.contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
    const request = `${method} ${path} HTTP/1.1\r\nHost: ${this.host}\r\n${this.headers}${content}Connection: keep-alive\r\n\r\n${body ?? ''}`
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
    this.chunks.push(chunk)
    this.buffered += chunk.length
    if (!this.frame) {
      // Pages of users arrive in several chunks; join them only until the head is complete.
      const joined = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.buffered)
      this.chunks = [joined]
      const headerEnd = joined.indexOf('\r\n\r\n')
      if (headerEnd === -1) return
      const head = joined.subarray(0, headerEnd).toString('latin1')
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
      this.frame = {
        bodyStart: headerEnd + 4,
        total: headerEnd + 4 + length,
        status: Number(head.slice(9, 12)),
      }
    }
    if (this.buffered < this.frame.total) return
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered)
    const { bodyStart, total, status } = this.frame
    const body = all.subarray(bodyStart, total)
    const rest = all.subarray(total)
    this.chunks = rest.length > 0 ? [rest] : []
    this.buffered = rest.length
    this.frame = undefined
    const pending = this.pending
    this.pending = undefined
    if (!pending) return
    clearTimeout(pending.timer)
    pending.resolve({ status, body })
  }
}
