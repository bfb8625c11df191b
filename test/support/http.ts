import assert from 'node:assert/strict'
import type { FastifyInstance, InjectOptions } from 'fastify'

export interface Answer {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: answers are arbitrary JSON, asserted field by field
  body: any
  headers: Record<string, string | string[] | number | undefined>
}

/** A request through the real HTTP stack (routing, hooks, validation, serialisation). */
export async function call(
  app: FastifyInstance,
  options: InjectOptions & { auth?: string },
): Promise<Answer> {
  const { auth, ...rest } = options
  const response = await app.inject({
    ...rest,
    headers: { ...(auth ? { authorization: auth } : {}), ...(rest.headers ?? {}) },
  })
  assert.ok(
    response.statusCode < 500,
    `${options.method} ${options.url} answered ${response.statusCode}: ${response.body}`,
  )
  const text = response.body
  let body: unknown = text
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: response.statusCode, body, headers: response.headers }
}

/** Asserts a problem+json answer with the given status and stable code. */
export function assertProblem(answer: Answer, status: number, code: string): void {
  assert.equal(
    answer.status,
    status,
    `expected ${status} ${code}, got ${answer.status}: ${JSON.stringify(answer.body)}`,
  )
  assert.match(String(answer.headers['content-type']), /^application\/problem\+json/)
  assert.equal(answer.body.code, code)
  assert.equal(answer.body.status, status)
  assert.equal(typeof answer.body.title, 'string')
}

export function bearer(token: string): string {
  return `Bearer ${token}`
}

export type ScimMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * A SCIM request as clients send it: a body (an object, or text sent as is) goes as
 * `application/scim+json`; `auth` is the Authorization header.
 */
export function scimCall(
  app: FastifyInstance,
  method: ScimMethod,
  url: string,
  body: unknown,
  options: { auth: string; headers?: Record<string, string> | undefined },
): Promise<Answer> {
  return call(app, {
    method,
    url,
    auth: options.auth,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
      ...options.headers,
    },
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
}
