export interface ConfigProblem {
  /** Dotted key (`server.port`) or the file when the problem is the file itself. */
  key: string
  /** Where the bad value came from: the environment variable or the config file. */
  source?: string
  reason: string
}

/** Raised when configuration is unusable; the message names every bad key and why. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[]

  constructor(problems: ConfigProblem[]) {
    super(
      `Invalid configuration:\n${problems
        .map(
          (problem) => `  - ${problem.key}${problem.source ? ` (${problem.source})` : ''}: ${problem.reason}`,
        )
        .join('\n')}`,
    )
    this.name = 'ConfigError'
    this.problems = problems
  }
}
