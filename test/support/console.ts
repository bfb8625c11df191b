import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { ADMIN_PASSWORD } from './config.ts'
import { PageClient } from './page-client.ts'

/**
 * A browser-like client signed in to the console of a URL space (`''` or `/t/{tenant}`) through
 * the sign-in page, as an administrator would: `/console` sends it to `/login?next=…`, the
 * sign-in brings it back. Defaults to the default tenant's `admin`.
 */
export async function consoleClient(
  app: FastifyInstance,
  options: { base?: string; username?: string; password?: string } = {},
): Promise<PageClient> {
  const base = options.base ?? ''
  const client = new PageClient(app)
  const toLogin = await client.get(`${base}/console`)
  assert.equal(toLogin.status, 303)
  assert.equal(toLogin.location, `${base}/login?next=%2Fconsole`)
  await client.follow(toLogin)
  const signedIn = await client.post(`${base}/login`, {
    username: options.username ?? 'admin',
    password: options.password ?? ADMIN_PASSWORD,
    next: '/console',
  })
  assert.equal(signedIn.status, 303, signedIn.body.slice(0, 2000))
  assert.equal(signedIn.location, `${base}/console`)
  const landing = await client.follow(signedIn)
  assert.equal(landing.status, 200, landing.body.slice(0, 2000))
  return client
}
