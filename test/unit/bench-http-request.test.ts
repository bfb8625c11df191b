import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { HttpRequestConnection } from '../../bench/support/http-request.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('benchmark HTTP client with headers and bodies', () => {
  let server: Server
  let port = 0
  const received: string[] = []

  before(async () => {
    // Answers each request with its own request line as the body, written in three pieces
    // with pauses in between (head split from body, body split in two).
    server = createServer((socket) => {
      let pending = ''
      socket.on('data', async (chunk) => {
        pending += chunk.toString('latin1')
        for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
          const head = pending.slice(0, end)
          const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
          if (pending.length < end + 4 + length) return
          received.push(pending.slice(0, end + 4 + length))
          pending = pending.slice(end + 4 + length)
          const body = Buffer.from(`${'x'.repeat(70_000)}|${head.split('\r\n')[0]}`)
          socket.write(`HTTP/1.1 201 Created\r\nContent-Length: ${body.length}\r\n\r\n`)
          await sleep(5)
          socket.write(body.subarray(0, 1000))
          await sleep(5)
          socket.write(body.subarray(1000))
        }
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    port = typeof address === 'object' && address ? address.port : 0
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('sends the method, headers and body, and frames answers arriving in pieces', async () => {
    const connection = await HttpRequestConnection.open('127.0.0.1', port, { authorization: 'Bearer t' })
    try {
      const first = await connection.request('PATCH', '/scim2/Users/1', '{"a":1}')
      assert.equal(first.status, 201)
      assert.equal(first.body.length, 70_000 + 1 + 'PATCH /scim2/Users/1 HTTP/1.1'.length)
      assert.ok(first.body.toString().endsWith('|PATCH /scim2/Users/1 HTTP/1.1'))
      // The same connection serves the next request, whose answer is not mixed with the first.
      const second = await connection.request('GET', '/scim2/Users?count=1')
      assert.ok(second.body.toString().endsWith('|GET /scim2/Users?count=1 HTTP/1.1'))
      assert.match(received[0]!, /\r\nauthorization: Bearer t\r\n/)
      assert.match(received[0]!, /\r\nContent-Length: 7\r\n/)
      assert.ok(received[0]!.endsWith('\r\n\r\n{"a":1}'))
      assert.doesNotMatch(received[1]!, /Content-Length/)
    } finally {
      connection.close()
    }
  })

  it('loads 127.0.0.1 only', async () => {
    await assert.rejects(HttpRequestConnection.open('10.0.0.1', 80), /loopback only/)
  })
})
