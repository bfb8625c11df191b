import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Harness, openHarness } from '../support/harness.ts'
import { sqliteKind } from '../support/stores.ts'

const hardening = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'SAMEORIGIN',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
}

const sqlite = sqliteKind

describe('security headers', () => {
  let harness: Harness
  before(async () => {
    harness = await openHarness(sqlite)
  })
  after(async () => harness?.close())

  const answers = {
    'a success': { method: 'GET', url: '/readyz' },
    'a refused call': { method: 'GET', url: '/api/admin/users' },
    'an unknown route': { method: 'GET', url: '/no/such/route' },
    'a SCIM error': { method: 'GET', url: '/scim2/Users?filter=%28' },
    'a bad body': {
      method: 'POST',
      url: '/api/auth/login',
      payload: '{',
      headers: { 'content-type': 'application/json' },
    },
  } as const

  for (const [name, request] of Object.entries(answers)) {
    it(`are on ${name}`, async () => {
      const response = await harness.app.inject(request)
      for (const [header, value] of Object.entries(hardening))
        assert.equal(response.headers[header], value, `${header} on ${request.url} (${response.statusCode})`)
      assert.equal(response.headers['strict-transport-security'], undefined, 'no HSTS on plain HTTP')
      assert.equal(response.headers['x-powered-by'], undefined)
    })
  }

  it('include HSTS behind a TLS-terminating proxy', async () => {
    const proxied = await openHarness(sqlite, { env: { REKEY_BEHIND_PROXY: 'true' } })
    try {
      const response = await proxied.app.inject({ method: 'GET', url: '/readyz' })
      assert.equal(response.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains')
    } finally {
      await proxied.close()
    }
  })
})
