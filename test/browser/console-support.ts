import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { after, before, describe } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { ADMIN_PASSWORD } from '../support/config.ts'
import { type StoreKind, storeKinds } from '../support/stores.ts'
import { browserSkip, keepScreenshot, launchBrowser, type RunningServer, startServer } from './support.ts'

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: Array<{ target: string[] }>
}

/**
 * Runs axe-core on the page as it is now (WCAG 2.0/2.1 A and AA rules and best practices) and
 * fails on any serious or critical violation. The script is evaluated through the browser's
 * debugging protocol, which the pages' Content-Security-Policy (no script at all) does not
 * govern; the page itself never runs it.
 */
export async function assertAccessible(page: Page, label: string): Promise<void> {
  const violations = (await page.evaluate(`(async () => {
    ${axeSource}
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }))
  })()`)) as AxeViolation[]
  const serious = violations.filter(
    (violation) => violation.impact === 'serious' || violation.impact === 'critical',
  )
  assert.deepEqual(
    serious.map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    ),
    [],
    `${label}: accessibility violations`,
  )
}

/** Keeps a screenshot of a console page (`console-<name>.png`) and checks its accessibility. */
export async function reviewPage(page: Page, name: string): Promise<void> {
  await keepScreenshot(page, `console-${name}`)
  await assertAccessible(page, name)
}

/**
 * Opens the console of a URL space (`''` or `/t/{tenant}`) in the page: the sign-in page comes
 * first, and the sign-in brings the browser back to the console.
 */
export async function signInToConsole(
  page: Page,
  url: string,
  options: { base?: string; username?: string; password?: string } = {},
): Promise<void> {
  const base = options.base ?? ''
  await page.goto(`${url}${base}/console`)
  assert.equal(new URL(page.url()).pathname, `${base}/login`)
  await page.getByLabel('User name').fill(options.username ?? 'admin')
  await page.getByLabel('Password', { exact: true }).fill(options.password ?? ADMIN_PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForLoadState('load')
  assert.equal(new URL(page.url()).pathname, `${base}/console`)
}

/** What a console suite's tests work with: `browser` and `server` are there once its hooks have run. */
export interface ConsoleBrowserSuite {
  readonly kind: StoreKind
  /** One browser for the whole file (a test opens its own context with `withContext`). */
  readonly browser: Browser
  /** This store's server, started for the file. */
  readonly server: RunningServer
}

export interface ConsoleBrowserOptions {
  /** The stores to run on: both unless a file says otherwise. */
  stores?: readonly StoreKind[]
  /** Configuration the server starts with (as environment variables). */
  env?: Record<string, string>
}

export type ConsoleBrowserTests = (suite: ConsoleBrowserSuite) => void

/**
 * Describes console tests in a real browser on each store (`browser: <title>` › `sqlite`,
 * `postgres`): one browser for the file, and a server of its own for each store, so one store's
 * run never sees the other's data. `tests` is called in each store's describe: its before hooks
 * run once the server has started (to seed it), its after hooks once the server has closed. The
 * whole file is skipped where Chromium is missing, a store where it is unreachable.
 */
export function describeConsoleInBrowser(title: string, tests: ConsoleBrowserTests): void
export function describeConsoleInBrowser(
  title: string,
  options: ConsoleBrowserOptions,
  tests: ConsoleBrowserTests,
): void
export function describeConsoleInBrowser(
  title: string,
  ...args: [ConsoleBrowserTests] | [ConsoleBrowserOptions, ConsoleBrowserTests]
): void {
  const [options, tests] = args.length === 1 ? [{}, args[0]] : args
  describe(`browser: ${title}`, { skip: browserSkip() }, () => {
    let browser: Browser | undefined
    before(async () => {
      browser = await launchBrowser()
    })
    after(async () => browser?.close())

    for (const kind of options.stores ?? storeKinds)
      describe(kind.kind, { skip: kind.skip }, () => {
        let server: RunningServer | undefined
        before(async () => {
          server = await startServer(kind, options.env ? { env: options.env } : {})
        })
        after(async () => server?.close())
        tests({
          kind,
          get browser() {
            return startedBy(browser, 'browser')
          },
          get server() {
            return startedBy(server, 'server')
          },
        })
      })
  })
}

function startedBy<T>(value: T | undefined, name: string): T {
  if (value === undefined)
    throw new Error(`the ${name} starts in a before hook: use it inside a test or hook`)
  return value
}

/** Follows a link of a named navigation (`Console`, `Email pages`) and waits for the page it opens. */
export async function followNavLink(page: Page, navigation: string, link: string): Promise<void> {
  await page.getByRole('navigation', { name: navigation }).getByRole('link', { name: link }).click()
  await page.waitForLoadState('load')
}
