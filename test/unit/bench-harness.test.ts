import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { HttpConnection } from '../../bench/support/http-connection.ts'
import { closedLoop, summarize } from '../../bench/support/load.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('benchmark harness', () => {
  it('counts only operations that end inside the window, over the window length', async () => {
    const result = await closedLoop(2, { rampSeconds: 0.1, seconds: 0.3 }, async () => {
      await sleep(50)
      return true
    })
    // Two clients, 50 ms per operation, 300 ms window: at most 12 operations end inside it
    // (fewer on a busy machine, where timers fire late).
    assert.ok(result.completed >= 1 && result.completed <= 12, `completed ${result.completed}`)
    assert.equal(result.perSecond, result.completed / 0.3)
    // Each client's last operation ends after the window closes: it is done, not counted.
    assert.ok(result.operations >= result.completed + 2, 'the tail is not counted')
    assert.equal(result.errors, 0)
    assert.equal(result.latencies.length, result.completed)
  })

  it('counts failed and throwing operations as errors, never as completions', async () => {
    let calls = 0
    const result = await closedLoop(1, { rampSeconds: 0, seconds: 0.1 }, async () => {
      calls++
      await sleep(5)
      if (calls % 3 === 0) throw new Error('connection reset')
      return calls % 3 !== 1
    })
    assert.ok(result.errors > 0)
    assert.ok(result.completed > 0)
    assert.equal(result.operations, calls - result.errors)
  })

  it('pools rounds: total completions over total window time', () => {
    const round = (completed: number, seconds: number) => ({
      completed,
      operations: completed,
      errors: 0,
      seconds,
      perSecond: completed / seconds,
      latencies: Array.from({ length: completed }, (_, index) => index + 1),
      cpuMsPerOperation: 1,
    })
    const summary = summarize([round(10, 1), round(30, 1)])
    assert.equal(summary.perSecond, 20)
    assert.equal(summary.completed, 40)
    assert.equal(summary.p50Ms, 11)
  })

  it('loads 127.0.0.1 only', async () => {
    await assert.rejects(HttpConnection.open('10.0.0.1', 80), /loopback only/)
  })

  it('answers an unknown scenario with the list of scenarios and exit code 2', async () => {
    const answer = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'bench/run.ts', 'no-such-scenario'],
        { cwd: root, timeout: 60_000 },
        (error, _stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stderr }),
      )
    })
    assert.equal(answer.code, 2)
    assert.match(answer.stderr, /Unknown scenario "no-such-scenario"/)
    assert.match(answer.stderr, /^ {2}login +/m)
  })
})
