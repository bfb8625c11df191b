import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN_PASSWORD } from '../support/config.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { storeKinds } from '../support/stores.ts'

for (const kind of storeKinds) {
  describe(`${kind.kind}: a fresh server`, { skip: kind.skip }, () => {
    let harness: Harness
    before(async () => {
      harness = await openHarness(kind)
    })
    after(async () => harness?.close())

    it('signs the first administrator in through the login API', async () => {
      const response = await harness.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'admin', password: ADMIN_PASSWORD },
      })
      assert.equal(response.statusCode, 200)
      const body = response.json()
      assert.match(body.token, /^rks_/)
      assert.equal(body.user.username, 'admin')
      assert.match(String(response.headers['set-cookie']), /HttpOnly/)
    })

    it('publishes an OpenAPI 3.1 document generated from the route schemas', async () => {
      const response = await harness.app.inject({ method: 'GET', url: '/api/openapi.json' })
      assert.equal(response.statusCode, 200)
      const document = response.json()
      assert.equal(document.openapi, '3.1.0')
      for (const path of [
        '/api/auth/login',
        '/api/admin/users',
        '/api/admin/users/{id}',
        '/api/admin/roles/{name}/members',
        '/t/{tenant}/api/admin/users',
      ]) {
        assert.ok(document.paths[path], path)
      }
      const create = document.paths['/api/admin/users'].post
      assert.deepEqual(create.requestBody.content['application/json'].schema.required, ['username'])
      assert.ok(create.responses['201'])
    })

    it('reports readiness', async () => {
      const response = await harness.app.inject({ method: 'GET', url: '/readyz' })
      assert.equal(response.statusCode, 200)
    })
  })
}
