import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'

/** A route as OpenAPI spells it: upper-case method, `{param}` path templates. */
export interface RouteRef {
  method: string
  path: string
}

const methodsOfInterest = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Every route the server answers, read from its router (`printRoutes`), so a route that is
 * missing from the OpenAPI document is still found. Each tree line is a path segment below
 * its parent line, with the methods registered there, e.g. `│   └── /:id (GET, HEAD, DELETE)`.
 */
export function registeredRoutes(app: FastifyInstance): RouteRef[] {
  const tree = app.printRoutes({ commonPrefix: false })
  const parents: string[] = []
  const routes: RouteRef[] = []
  for (const line of tree.split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/u.exec(line)
    if (!match) {
      assert.equal(line.trim(), '', `unexpected route tree line: ${line}`)
      continue
    }
    const depth = match[1]!.length / 4
    const path = (parents[depth - 1] ?? '') + match[2]!
    parents[depth] = path
    parents.length = depth + 1
    for (const method of (match[3] ?? '').split(',').map((value) => value.trim())) {
      if (methodsOfInterest.has(method)) routes.push({ method, path: path.replace(/:(\w+)/g, '{$1}') })
    }
  }
  assert.ok(routes.length > 0, 'the route tree could not be read')
  return routes
}

/** Every operation the OpenAPI document lists. */
export async function documentedRoutes(app: FastifyInstance): Promise<RouteRef[]> {
  const response = await app.inject({ method: 'GET', url: '/api/openapi.json' })
  assert.equal(response.statusCode, 200)
  const paths = response.json().paths as Record<string, Record<string, unknown>>
  return Object.entries(paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => ({ method: method.toUpperCase(), path })),
  )
}

export const routeKey = (route: RouteRef): string => `${route.method} ${route.path}`
