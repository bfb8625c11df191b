import { connect, type Socket } from 'node:net'

/**
 * A minimal HTTP/1.1 keep-alive client for load generation: one request in flight per
 * connection, responses framed by Content-Length (all Rekey JSON answers carry it). It spends
 * far less CPU per request than node:http, which matters when the load generator shares two
 * cores with the server it measures.
 */
export class HttpConnection {
  private readonly socket: Socket
  private buffer: Buffer = Buffer.alloc(0)
  private pending: { resolve: (status: number) => void; reject: (error: Error) => void } | undefined

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (error) => this.fail(error))
    socket.on('close', () => this.fail(new Error('connection closed')))
  }

  static open(host: string, port: number): Promise<HttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true })
      socket.once('connect', () => resolve(new HttpConnection(socket)))
      socket.once('error', reject)
    })
  }

  post(path: string, host: string, body: string): Promise<number> {
    const request = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject }
      this.socket.write(request)
    })
  }

  close(): void {
    this.socket.destroy()
  }

  private fail(error: Error): void {
    const pending = this.pending
    this.pending = undefined
    pending?.reject(error)
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
    pending?.resolve(status)
  }
}
