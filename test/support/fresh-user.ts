import assert from 'node:assert/strict'
import { cliActor } from '../../src/observability/audit.ts'
import type { Harness } from './harness.ts'
import { call } from './http.ts'

/**
 * Creates `username` in the default tenant through the admin API, deleting an earlier user of
 * that name first, so that each test starts from the same account. Returns the new user's id.
 */
export async function freshUser(
  h: Harness,
  user: { username: string; password: string; roles?: string[]; claims?: Record<string, string> },
): Promise<string> {
  const existing = await h.container.users.find(h.defaultTenant, user.username)
  if (existing) await h.container.users.delete(h.defaultTenant, existing.id, cliActor)
  const created = await call(h.app, {
    method: 'POST',
    url: '/api/admin/users',
    auth: h.adminAuth,
    payload: user,
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  return created.body.id
}

/** Creates a role in the default tenant through the admin API, as its administrator. */
export async function freshRole(h: Harness, name: string, permissions: string[]): Promise<void> {
  const created = await call(h.app, {
    method: 'POST',
    url: '/api/admin/roles',
    auth: h.adminAuth,
    payload: { name, permissions },
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
}

/** Creates the role `staff` (may sign in) in the default tenant through the admin API. */
export function staffRole(h: Harness): Promise<void> {
  return freshRole(h, 'staff', ['login'])
}
