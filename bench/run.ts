import { parseArgs } from 'node:util'
import { loginScenario } from './scenarios/login.ts'
import type { Scenario, ScenarioRow } from './scenarios/scenario.ts'

const scenarios: Scenario[] = [loginScenario]

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    postgres: { type: 'boolean', default: false },
  },
})

function usage(): never {
  console.error(
    'usage: npm run bench -- <scenario…> [--concurrency N] [--seconds S] [--warmup S] [--rounds N] [--postgres]\n',
  )
  for (const scenario of scenarios) console.error(`  ${scenario.name.padEnd(12)} ${scenario.description}`)
  process.exit(2)
}

const selected =
  positionals.length === 0
    ? usage()
    : positionals.map((name) => scenarios.find((scenario) => scenario.name === name) ?? usage())
const options = {
  concurrency: Math.max(1, Number(values.concurrency)),
  seconds: Math.max(1, Number(values.seconds)),
  warmupSeconds: Math.max(0, Number(values.warmup)),
  postgres: values.postgres === true,
  rounds: Math.max(1, Number(values.rounds)),
}

function format(rows: ScenarioRow[]): string {
  const table = rows.map((row) => ({
    scenario: row.scenario,
    'ops/s': row.perSecond.toFixed(1),
    'p50 ms': row.p50Ms.toFixed(1),
    'p99 ms': row.p99Ms.toFixed(1),
    errors: String(row.errors),
    ratio: row.ratio === undefined ? '' : row.ratio.toFixed(3),
    target: row.target === undefined ? '' : `>= ${row.target}`,
  }))
  const notes = rows.filter((row) => row.note).map((row) => `  ${row.scenario}: ${row.note}`)
  const columns = Object.keys(table[0] ?? {})
  const widths = columns.map((column) =>
    Math.max(column.length, ...table.map((row) => (row as Record<string, string>)[column]!.length)),
  )
  const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index]!)).join('  ')
  return [
    line(columns),
    line(widths.map((width) => '-'.repeat(width))),
    ...table.map((row) => line(columns.map((column) => (row as Record<string, string>)[column]!))),
    ...notes,
  ].join('\n')
}

for (const scenario of selected) {
  console.log(`\n${scenario.name}: ${scenario.description}`)
  const rows = await scenario.run(options)
  console.log(format(rows))
}
