export interface ScenarioOptions {
  concurrency: number
  seconds: number
  warmupSeconds: number
  postgres: boolean
  /** Alternating measurement rounds (bound, then subject). */
  rounds: number
}

export interface ScenarioRow {
  scenario: string
  perSecond: number
  p50Ms: number
  p99Ms: number
  errors: number
  /** Throughput relative to the physical bound measured in the same run. */
  ratio?: number
  target?: number
  note?: string
}

export interface Scenario {
  name: string
  description: string
  run(options: ScenarioOptions): Promise<ScenarioRow[]>
}
