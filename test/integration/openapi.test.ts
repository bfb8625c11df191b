import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Harness, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import { documentedRoutes, registeredRoutes, routeKey } from '../support/routes.ts'
import { storeKinds } from '../support/stores.ts'

interface Operation {
  summary?: string
  tags?: string[]
  parameters?: Array<{ in: string; name: string; required?: boolean; schema?: unknown }>
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>
}

const methods = ['get', 'post', 'put', 'patch', 'delete']

/** Every property name a JSON schema (with its nested schemas) declares. */
function propertyNames(schema: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const item of schema) propertyNames(item, into)
  else if (schema && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties' && value && typeof value === 'object')
        for (const name of Object.keys(value)) into.add(name)
      propertyNames(value, into)
    }
  }
  return into
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: OpenAPI document`, { skip: kind.skip }, () => {
    let h: Harness
    // biome-ignore lint/suspicious/noExplicitAny: the document is checked field by field
    let document: any
    const operations = (): Array<[string, string, Operation]> =>
      Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(([path, entry]) =>
        Object.entries(entry)
          .filter(([method]) => methods.includes(method))
          .map(([method, operation]) => [path, method, operation] as [string, string, Operation]),
      )

    before(async () => {
      h = await openHarness(kind)
      const answer = await call(h.app, { method: 'GET', url: '/api/openapi.json' })
      assert.equal(answer.status, 200)
      assert.match(String(answer.headers['content-type']), /^application\/json/)
      document = answer.body
    })
    after(async () => h?.close())

    it('is an OpenAPI 3.1 document with both admin authentication schemes', () => {
      assert.equal(document.openapi, '3.1.0')
      assert.equal(typeof document.info.title, 'string')
      assert.match(document.info.version, /^\d+\.\d+\.\d+/)
      assert.deepEqual(document.components.securitySchemes.basic, {
        type: 'http',
        scheme: 'basic',
        description: document.components.securitySchemes.basic.description,
      })
      assert.equal(document.components.securitySchemes.bearer.scheme, 'bearer')
      assert.deepEqual(document.security, [{ basic: [] }, { bearer: [] }])
      for (const path of Object.keys(document.paths)) {
        assert.match(path, /^\//)
        assert.ok(!path.includes(':'), `${path} uses OpenAPI templates, not router syntax`)
      }
    })

    it('lists the admin and sign-in paths, at the root and per tenant', () => {
      const adminPaths = [
        '/users',
        '/users/{id}',
        '/users/{id}/password',
        '/users/{id}/lock',
        '/users/{id}/unlock',
        '/users/{id}/sessions',
        '/users/{id}/sessions/{sessionId}',
        '/roles',
        '/roles/{name}',
        '/roles/{name}/members',
        '/roles/{name}/members/{user}',
        '/tokens',
        '/tokens/{id}',
        '/user-stores',
        '/audit',
      ]
      for (const path of adminPaths) {
        assert.ok(document.paths[`/api/admin${path}`], `/api/admin${path}`)
        assert.ok(document.paths[`/t/{tenant}/api/admin${path}`], `/t/{tenant}/api/admin${path}`)
      }
      for (const path of ['/login', '/logout', '/session']) {
        assert.ok(document.paths[`/api/auth${path}`], `/api/auth${path}`)
        assert.ok(document.paths[`/t/{tenant}/api/auth${path}`], `/t/{tenant}/api/auth${path}`)
      }
      assert.ok(document.paths['/api/admin/tenants'].post)
      assert.ok(document.paths['/api/admin/tenants/{domain}'].patch)
      assert.equal(
        document.paths['/t/{tenant}/api/admin/tenants'],
        undefined,
        'tenants are managed at the root',
      )
      assert.ok(document.paths['/api/auth/login'].post)
      assert.ok(document.paths['/api/admin/users'].get && document.paths['/api/admin/users'].post)
    })

    it('documents every route the server answers, and no other', async () => {
      const documented = new Set((await documentedRoutes(h.app)).map(routeKey))
      const served = new Set(
        registeredRoutes(h.app)
          .filter((route) => route.method !== 'HEAD' && route.path !== '/api/openapi.json')
          // SCIM describes itself (ServiceProviderConfig, ResourceTypes, Schemas), not in OpenAPI.
          .filter((route) => !/^(?:\/t\/\{tenant\})?\/scim2(?:\/|$)/.test(route.path))
          // The console is pages for people, described in docs/console.md, not an API.
          .filter((route) => !/^(?:\/t\/\{tenant\})?\/console(?:\/|$)/.test(route.path))
          .map(routeKey),
      )
      assert.deepEqual(
        [...served].filter((route) => !documented.has(route)),
        [],
        'served but not documented',
      )
      assert.deepEqual(
        [...documented].filter((route) => !served.has(route)),
        [],
        'documented but not served',
      )
    })

    it('declares every path template parameter of every operation', () => {
      for (const [path, method, operation] of operations()) {
        const templated = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1])
        const declared = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path')
        assert.deepEqual(
          declared.map((parameter) => parameter.name).sort(),
          [...templated].sort(),
          `${method.toUpperCase()} ${path}`,
        )
        for (const parameter of declared) assert.equal(parameter.required, true, `${path} ${parameter.name}`)
      }
    })

    it('gives every operation a summary, a tag and a success answer', () => {
      assert.ok(operations().length >= 40, `${operations().length} operations`)
      for (const [path, method, operation] of operations()) {
        const label = `${method.toUpperCase()} ${path}`
        assert.equal(typeof operation.summary, 'string', label)
        assert.ok(operation.tags && operation.tags.length > 0, label)
        assert.ok(
          Object.keys(operation.responses).some((status) => /^2\d\d$/.test(status)),
          `${label} documents a success answer`,
        )
      }
    })

    it('describes JSON request bodies that refuse unknown properties', () => {
      const create = document.paths['/api/admin/users'].post as Operation
      const schema = create.requestBody!.content['application/json']!.schema
      assert.deepEqual(schema.required, ['username'])
      assert.equal(schema.additionalProperties, false)
      assert.ok(create.responses['201'])
      const login = document.paths['/api/auth/login'].post as Operation
      assert.deepEqual(
        Object.keys(login.requestBody!.content['application/json']!.schema.properties as object).sort(),
        ['context', 'password', 'tenant', 'username'],
      )
      for (const [path, method, operation] of operations()) {
        if (!operation.requestBody) continue
        const body = operation.requestBody.content['application/json']?.schema
        assert.ok(body, `${method} ${path} takes JSON`)
        assert.equal(body.additionalProperties, false, `${method.toUpperCase()} ${path}`)
      }
    })

    it('never declares a password or a hash in an answer', () => {
      for (const [path, method, operation] of operations()) {
        const names = propertyNames(operation.responses)
        for (const secret of ['password', 'passwordHash', 'hash', 'tokenHash', 'token_hash'])
          assert.ok(!names.has(secret), `${method.toUpperCase()} ${path} answers with ${secret}`)
      }
      // The one secret an answer carries by design: a new API token, shown once.
      const created = document.paths['/api/admin/tokens'].post as Operation
      assert.ok(propertyNames(created.responses['201']).has('token'))
    })
  })
}
