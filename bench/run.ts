// `npm run bench -- <scenario…> [options]`: runs benchmark scenarios against a real server on
// 127.0.0.1 and prints one table per scenario. Nothing is written to disk besides temporary
// directories that are removed afterwards.
import { parseArgs } from 'node:util'
import { bulkResetScenario } from './scenarios/bulk-reset.ts'
import { consoleScenario } from './scenarios/console.ts'
import { loginScenario } from './scenarios/login.ts'
import { notifyScenario } from './scenarios/notify.ts'
import type { Scenario, ScenarioOptions, ScenarioReport } from './scenarios/scenario.ts'
import { scimScenario } from './scenarios/scim.ts'
import { selfserviceScenario } from './scenarios/selfservice.ts'

const scenarios: Scenario[] = [
  loginScenario,
  scimScenario,
  notifyScenario,
  bulkResetScenario,
  selfserviceScenario,
  consoleScenario,
]

const USAGE = `usage: npm run bench -- <scenario…> [options]

options:
  --concurrency N  concurrent clients, and concurrent raw operations for the bound (default 8)
  --seconds S      measured seconds per side, split over the rounds (default 10)
  --rounds N       alternating rounds of bound and server (default 5)
  --warmup S       unmeasured seconds per side before the first round (default 2)
  --postgres       run the server on PostgreSQL at 127.0.0.1:5432 (database test, own schema)

scenarios:`

function usage(problem?: string): never {
  if (problem) console.error(`${problem}\n`)
  console.error(USAGE)
  for (const scenario of scenarios) console.error(`  ${scenario.name.padEnd(12)} ${scenario.description}`)
  process.exit(2)
}

function parseOptions(): { selected: Scenario[]; options: ScenarioOptions } {
  let parsed: ReturnType<typeof parse>
  function parse() {
    return parseArgs({
      allowPositionals: true,
      options: {
        concurrency: { type: 'string', default: '8' },
        seconds: { type: 'string', default: '10' },
        rounds: { type: 'string', default: '5' },
        warmup: { type: 'string', default: '2' },
        postgres: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  }
  try {
    parsed = parse()
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error))
  }
  const { values, positionals } = parsed
  if (values.help) usage()
  if (positionals.length === 0) usage('Name at least one scenario.')
  const selected = positionals.map(
    (name) => scenarios.find((scenario) => scenario.name === name) ?? usage(`Unknown scenario "${name}".`),
  )
  const number = (name: string, value: string, minimum: number, maximum: number, integer: boolean) => {
    const parsedValue = Number(value)
    if (!Number.isFinite(parsedValue) || parsedValue < minimum || parsedValue > maximum)
      usage(`--${name} must be between ${minimum} and ${maximum}.`)
    if (integer && !Number.isInteger(parsedValue)) usage(`--${name} must be a whole number.`)
    return parsedValue
  }
  return {
    selected,
    options: {
      concurrency: number('concurrency', values.concurrency, 1, 256, true),
      seconds: number('seconds', values.seconds, 1, 600, false),
      rounds: number('rounds', values.rounds, 1, 100, true),
      warmupSeconds: number('warmup', values.warmup, 0, 60, false),
      postgres: values.postgres,
    },
  }
}

function table(report: ScenarioReport): string {
  const headers = ['scenario', report.rateTitle, report.boundTitle, 'ratio', 'p50 ms', 'p99 ms', 'errors']
  const cells = report.rows.map((row) => [
    row.label,
    row.perSecond.toFixed(1),
    row.boundPerSecond > 0 ? row.boundPerSecond.toFixed(1) : '-',
    row.boundPerSecond > 0 ? (row.perSecond / row.boundPerSecond).toFixed(3) : '-',
    row.p50Ms.toFixed(1),
    row.p99Ms.toFixed(1),
    String(row.errors),
  ])
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((row) => row[column]!.length)),
  )
  // Text left-aligned, figures right-aligned.
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
  return [
    line(headers),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...cells.map(line),
    '',
    `target: ratio >= ${report.target}`,
    ...report.notes.map((note) => `- ${note}`),
  ].join('\n')
}

const { selected, options } = parseOptions()
let failed = false
for (const scenario of selected) {
  console.log(`\n${scenario.name}: ${scenario.description}\n`)
  const report = await scenario.run(options)
  console.log(table(report))
  if (report.rows.some((row) => row.errors > 0)) failed = true
}
// Every request is expected to succeed: errors make the run fail, whatever the figures.
process.exit(failed ? 1 : 0)
