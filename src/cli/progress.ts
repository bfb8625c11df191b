/** The stream a progress display writes to: standard error, so standard output stays the answer. */
export interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

export interface ProgressCounts {
  done: number
  failed: number
  total: number
}

const BAR_WIDTH = 30

/** `[#########---------]  45%  45,000/100,000 forced, 12 failed, 3.2 s` */
export function progressLine(counts: ProgressCounts, seconds: number): string {
  const handled = counts.done + counts.failed
  const fraction = counts.total > 0 ? Math.min(1, handled / counts.total) : 1
  const filled = Math.round(fraction * BAR_WIDTH)
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4)
  const number = (value: number) => value.toLocaleString('en')
  return `${bar} ${percent}  ${number(handled)}/${number(counts.total)}  forced ${number(counts.done)}, failed ${number(counts.failed)}, ${seconds.toFixed(1)} s`
}

/**
 * Progress of long CLI work: a bar redrawn in place on a terminal, and on anything else (a
 * pipe, a log file) a plain line at each tenth of the way, so logs stay short and readable.
 */
export class ProgressDisplay {
  private readonly started = performance.now()
  private lastTenth = -1
  private drawn = false

  constructor(private readonly stream: ProgressStream) {}

  update(counts: ProgressCounts): void {
    const line = progressLine(counts, (performance.now() - this.started) / 1000)
    if (this.stream.isTTY) {
      // \r and clear-to-end-of-line: the bar is redrawn where it stands.
      this.stream.write(`\r${line}\u001b[K`)
      this.drawn = true
      return
    }
    const handled = counts.done + counts.failed
    const tenth = counts.total > 0 ? Math.floor((handled / counts.total) * 10) : 10
    if (tenth === this.lastTenth) return
    this.lastTenth = tenth
    this.stream.write(`${line}\n`)
  }

  /** Ends the bar's line, so what follows starts on a line of its own. */
  end(): void {
    if (this.drawn) this.stream.write('\n')
    this.drawn = false
  }
}
