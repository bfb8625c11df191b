/** Injected time source: domain code never reads the wall clock itself, so expiry is testable. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }
