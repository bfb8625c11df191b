#!/usr/bin/env node
// Runs the whole test suite with node's test runner (through tsx), after deciding once whether
// the PostgreSQL suites can run. With CI=true PostgreSQL is required and its absence fails the
// run; elsewhere the suites are skipped with one line that says why.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import pg from 'pg'

const root = new URL('..', import.meta.url).pathname
const postgresUrl = process.env.REKEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const isCi = process.env.CI === 'true'

async function postgresReachable() {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('select 1')
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  } finally {
    await client.end().catch(() => {})
  }
}

function findTests(dir) {
  const found = []
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) found.push(...findTests(path))
    else if (entry.endsWith('.test.ts')) found.push(path)
  }
  return found
}

const filters = process.argv.slice(2)
const files = findTests(join(root, 'test'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort()
if (files.length === 0) {
  console.error('No test files found: refusing to report success for an empty run.')
  process.exit(1)
}

const problem = await postgresReachable()
const env = { ...process.env, REKEY_TEST_DATABASE_URL: postgresUrl }
if (problem) {
  if (isCi) {
    console.error(`PostgreSQL at ${postgresUrl} is required in CI and is not reachable: ${problem}`)
    process.exit(1)
  }
  console.log(
    `PostgreSQL suites skipped: ${postgresUrl} is not reachable (${problem}). Set REKEY_TEST_DATABASE_URL to run them.`,
  )
  env.REKEY_TEST_POSTGRES = 'skip'
}

const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    ...files.map((file) => relative(root, file)),
  ],
  { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
)
process.stdout.write(result.stdout ?? '')
const count = (label) => Number((result.stdout ?? '').match(new RegExp(`^ℹ ${label} (\\d+)$`, 'm'))?.[1] ?? 0)
const passed = count('pass')
// A cancelled test did not pass: count it with the failures.
const failed = count('fail') + count('cancelled')
const skipped = count('skipped')
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
if (result.status !== 0) process.exit(result.status ?? 1)
if (passed === 0) {
  console.error('No test passed: refusing to report success.')
  process.exit(1)
}
