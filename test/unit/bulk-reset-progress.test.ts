import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ProgressDisplay, progressLine } from '../../src/cli/progress.ts'
import type { BulkResetJobRow } from '../../src/flows/bulk-reset/repository.ts'
import { jobView } from '../../src/flows/bulk-reset/service.ts'

function stream(isTTY: boolean) {
  const written: string[] = []
  return { written, isTTY, write: (text: string) => written.push(text) }
}

describe('bulk reset progress', () => {
  it('draws a bar with the share handled, the counts and the time', () => {
    assert.equal(
      progressLine({ done: 44_990, failed: 10, total: 100_000 }, 3.2),
      `[${'#'.repeat(14)}${'-'.repeat(16)}]  45%  45,000/100,000  forced 44,990, failed 10, 3.2 s`,
    )
    assert.match(progressLine({ done: 0, failed: 0, total: 0 }, 0), /^\[#{30}\] 100% /)
  })

  it('redraws one line in place on a terminal, and ends it', () => {
    const tty = stream(true)
    const display = new ProgressDisplay(tty)
    display.update({ done: 1, failed: 0, total: 4 })
    display.update({ done: 2, failed: 0, total: 4 })
    display.end()
    assert.equal(tty.written.length, 3)
    assert.ok(tty.written.slice(0, 2).every((text) => text.startsWith('\r') && !text.includes('\n')))
    assert.equal(tty.written[2], '\n')
  })

  it('writes a plain line per tenth of the way elsewhere', () => {
    const pipe = stream(false)
    const display = new ProgressDisplay(pipe)
    for (let done = 0; done <= 1000; done += 50) display.update({ done, failed: 0, total: 1000 })
    display.end()
    assert.equal(pipe.written.length, 11)
    assert.ok(pipe.written.every((text) => text.endsWith('\n') && !text.includes('\r')))
  })
})

describe('bulk reset job view', () => {
  const row: BulkResetJobRow = {
    id: '6a0b4a48-1f0c-4b7e-8a43-3f1d2c5e9b70',
    tenant_id: 't',
    selector: 'filter',
    filter: 'userName pr',
    mode: 'email-otp',
    actor_kind: 'user',
    actor_id: 'u',
    actor_name: 'admin',
    channel: 'admin-api',
    status: 'running',
    total: 10,
    done: 6,
    failed: 1,
    last_user_id: 'x',
    lease_owner: 'runner',
    lease_expires_at: 1,
    created_at: Date.UTC(2026, 0, 1),
    updated_at: Date.UTC(2026, 0, 1, 0, 1),
    started_at: Date.UTC(2026, 0, 1),
    finished_at: null,
    error: null,
  }

  it('shows progress without the lease or the cursor', () => {
    const view = jobView(row)
    assert.equal(view.remaining, 3)
    assert.equal(view.requestedBy, 'user:admin')
    assert.equal(view.finishedAt, null)
    assert.ok(!('lease_owner' in view) && !('last_user_id' in view) && !('failures' in view))
  })

  it('never shows a negative remainder', () => {
    assert.equal(jobView({ ...row, done: 12 }).remaining, 0)
  })
})
