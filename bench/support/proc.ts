import { readdirSync, readFileSync } from 'node:fs'

// CPU accounting from /proc (Linux). Everything here answers undefined elsewhere, and the
// benchmark then leaves the corresponding notes out.

export interface ProcessCpu {
  /** CPU time of the main thread (a Node process's event loop), in ms. */
  mainMs: number
  /** CPU time of all the process's threads, in ms. */
  totalMs: number
}

/** Nanoseconds a thread has run, from /proc/<pid>/task/<tid>/schedstat. */
function threadRunNs(pid: number, tid: string): number {
  return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
}

export function processCpu(pid: number | undefined): ProcessCpu | undefined {
  if (pid === undefined) return undefined
  try {
    let totalNs = 0
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        totalNs += threadRunNs(pid, tid)
      } catch {
        // The thread ended between listing and reading.
      }
    }
    return { mainMs: threadRunNs(pid, String(pid)) / 1e6, totalMs: totalNs / 1e6 }
  } catch {
    return undefined
  }
}

export function cpuDelta(
  before: ProcessCpu | undefined,
  after: ProcessCpu | undefined,
): ProcessCpu | undefined {
  if (!before || !after) return undefined
  return { mainMs: after.mainMs - before.mainMs, totalMs: after.totalMs - before.totalMs }
}

/** CPU time (ms) all cores of the machine have spent busy since boot, per /proc/stat. */
export function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!
    // cpu user nice system idle iowait irq softirq steal …, in USER_HZ ticks (100 per second).
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number)
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 10
  } catch {
    return undefined
  }
}
