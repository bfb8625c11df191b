/**
 * The wait before attempt `attempt + 1` after `attempt` failed: doubling from `baseMs`, capped
 * at `maxMs`, and drawn between half and all of that ("equal jitter"), so that messages that
 * failed together (a relay restart) do not all come back at the same moment.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)))
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}
