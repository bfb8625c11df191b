import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { type Harness, openHarness } from '../support/harness.ts'
import { freePort } from '../support/processes.ts'
import { SmtpSink } from '../support/smtp-sink.ts'
import type { StoreKind } from '../support/stores.ts'

/** Debian's Chromium; a browser is never downloaded (`.ci/run` installs the package). */
export const CHROMIUM = '/usr/bin/chromium'

/**
 * Why the browser suites are skipped here, or false when they run. Without Chromium they are
 * skipped with one line, except in CI (`CI=true`), where its absence fails the run.
 */
export function browserSkip(): string | false {
  if (existsSync(CHROMIUM)) return false
  if (process.env.CI === 'true')
    throw new Error(`${CHROMIUM} is required in CI: install Debian's chromium package`)
  const reason = `browser suites skipped: ${CHROMIUM} is missing (apt-get install chromium)`
  console.log(reason)
  return reason
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

const screenshots = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url))

/**
 * Keeps a full-page screenshot of the page as a test artifact (`test-artifacts/screenshots/`).
 * Headless Chromium without a GPU sometimes cannot capture a frame on a loaded machine
 * ("Unable to capture screenshot"); the capture is retried, and a picture that still cannot be
 * taken is reported rather than failing the behaviour the test checks.
 */
export async function keepScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshots, { recursive: true })
  const path = `${screenshots}${name.replace(/[^\w.-]+/g, '-')}.png`
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await page.screenshot({ path, fullPage: attempt < 2 })
      return
    } catch (error) {
      lastError = error
      await page.waitForTimeout(250 * (attempt + 1))
    }
  }
  console.warn(
    `screenshot ${name} not kept: ${lastError instanceof Error ? lastError.message.split('\n')[0] : lastError}`,
  )
}

export interface RunningServer {
  harness: Harness
  /** `http://127.0.0.1:<port>`: what users reach and what links in mail point to. */
  url: string
  sink: SmtpSink | undefined
  /** A call to the admin API over HTTP as the default tenant's administrator. */
  // biome-ignore lint/suspicious/noExplicitAny: answers are arbitrary JSON, asserted field by field
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>
  close(): Promise<void>
}

/**
 * A real server on a loopback port, with its outbox worker delivering to a real SMTP sink
 * when `smtp` is set (otherwise to the built-in mailbox), on the given store.
 */
export async function startServer(
  kind: StoreKind,
  options: { env?: Record<string, string>; smtp?: boolean } = {},
): Promise<RunningServer> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const sink = options.smtp ? await SmtpSink.start() : undefined
  const harness = await openHarness(kind, {
    env: {
      REKEY_PORT: String(port),
      REKEY_PUBLIC_URL: url,
      ...(sink ? { REKEY_SMTP_URL: sink.url() } : {}),
      ...(options.env ?? {}),
    },
  })
  await harness.app.listen({ host: '127.0.0.1', port })
  harness.container.outboxWorker.start()
  return {
    harness,
    url,
    sink,
    async admin(method, path, body) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: harness.adminAuth,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await response.text()
      return { status: response.status, body: text ? JSON.parse(text) : undefined }
    },
    async close() {
      await harness.close()
      await sink?.stop()
    },
  }
}

/** The reference's setup: a role with the login permission, and a user with an email address in it. */
export async function createUserWithLoginRole(
  server: RunningServer,
  user: { username: string; password: string; email: string; claims?: Record<string, string> },
): Promise<string> {
  const role = await server.admin('GET', '/api/admin/roles/test%20role')
  if (role.status === 404) {
    const created = await server.admin('POST', '/api/admin/roles', {
      name: 'test role',
      permissions: ['login'],
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
  }
  const created = await server.admin('POST', '/api/admin/users', {
    username: user.username,
    password: user.password,
    roles: ['test role'],
    claims: { 'http://wso2.org/claims/emailaddress': user.email, ...(user.claims ?? {}) },
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  return created.body.id
}

/** Fills and submits the sign-in form through its labels, as a person would. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`)
  await page.getByLabel('User name').fill(username)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForLoadState('load')
}

/** Fills the new-password form (any of the pages that have one) and submits it. */
export async function chooseNewPassword(
  page: Page,
  password: string,
  confirmation = password,
): Promise<void> {
  await page.getByLabel('New password', { exact: true }).fill(password)
  await page.getByLabel('Confirm the new password').fill(confirmation)
  await page.getByRole('button', { name: /Set the new password|Change password/ }).click()
  await page.waitForLoadState('load')
}

/** A fresh context (no cookies) per test; the browser is shared by the file. */
export async function withContext<T>(
  browser: Browser,
  work: (page: Page, context: BrowserContext) => Promise<T>,
) {
  const context = await browser.newContext()
  try {
    return await work(await context.newPage(), context)
  } finally {
    await context.close()
  }
}

/** The text a reader sees in the page's main region. */
export async function mainText(page: Page): Promise<string> {
  return (await page.locator('main').innerText()).replace(/\s+/g, ' ')
}

/** The text of the newest message the sink received for `to`, waiting for it to arrive. */
export async function mailTo(server: RunningServer, to: string, timeoutMs = 30_000): Promise<string> {
  const sink = server.sink
  assert.ok(sink, 'the server sends mail to an SMTP sink')
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const message = sink.messages.filter((received) => received.rcptTo.includes(to)).at(-1)
    if (message) return message.parsed.text ?? ''
    if (Date.now() > deadline) throw new Error(`no message for ${to} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
