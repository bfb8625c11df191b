import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import type { Permission } from '../../src/domain/permissions.ts'
import { cliActor } from '../../src/observability/audit.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { consoleClient } from './console.ts'
import type { Harness } from './harness.ts'
import { type PageClient, pageText } from './page-client.ts'

/**
 * Another tenant, created through the admin API as an operator does it; its `admin` signs in to
 * `/t/{domain}/console` with `adminPassword`. Tenant-isolation tests put their foreign data here.
 */
export async function createTenant(h: Harness, domain: string, adminPassword: string): Promise<TenantRow> {
  const created = await h.app.inject({
    method: 'POST',
    url: '/api/admin/tenants',
    headers: { authorization: h.adminAuth },
    payload: { domain, adminPassword },
  })
  assert.equal(created.statusCode, 201, created.body)
  return h.container.tenants.require(domain)
}

/**
 * An administrator of the default tenant with only `permissions` (and `login`, to sign in): a
 * role of that name and a user holding it, made by the use cases. Permission tests sign in as
 * this user to see what the console hides and refuses. Answers the user's id.
 */
export async function createAdministrator(
  h: Harness,
  who: { username: string; password: string; role: string; permissions: readonly Permission[] },
): Promise<string> {
  const permissions = ['login', ...who.permissions.filter((permission) => permission !== 'login')]
  await h.container.roles.create(h.defaultTenant, who.role, permissions, cliActor)
  const user = await h.container.users.create(
    h.defaultTenant,
    { username: who.username, password: who.password, roles: [who.role] },
    cliActor,
  )
  return user.id
}

/**
 * The default tenant's `admin` signed in to the console with `path` open (and answered 200), as
 * a browser shows a form before it is sent: the client's next post carries that page's CSRF token.
 */
export async function consoleClientAt(app: FastifyInstance, path: string): Promise<PageClient> {
  const client = await consoleClient(app)
  assert.equal((await client.get(path)).status, 200, path)
  return client
}

/** The error summary at the top of a console page, as text (empty when there is none). */
export function errorSummary(html: string): string {
  return pageText(/<div class="error-summary"[\s\S]*?<\/div>/.exec(html)?.[0] ?? '')
}
