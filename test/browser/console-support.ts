import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'
import { ADMIN_PASSWORD } from '../support/config.ts'
import { keepScreenshot } from './support.ts'

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
