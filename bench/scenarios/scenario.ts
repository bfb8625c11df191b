export interface ScenarioOptions {
  /** Concurrent clients (and concurrent bound operations). */
  concurrency: number
  /** Measured seconds per side (server and bound), split over the rounds. */
  seconds: number
  /** Unmeasured seconds per side before the first round. */
  warmupSeconds: number
  /** Alternating rounds of the bound and the server. */
  rounds: number
  postgres: boolean
}

/** One line of a scenario's table: a measured rate next to its physical bound. */
export interface ScenarioRow {
  label: string
  perSecond: number
  boundPerSecond: number
  p50Ms: number
  p99Ms: number
  errors: number
}

export interface ScenarioReport {
  /** Column titles for the measured rate and the bound, e.g. `logins/s`. */
  rateTitle: string
  boundTitle: string
  /** The ratio rate/bound the scenario aims at. */
  target: number
  rows: ScenarioRow[]
  notes: string[]
}

export interface Scenario {
  name: string
  description: string
  run(options: ScenarioOptions): Promise<ScenarioReport>
}
