import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifySchema } from 'fastify'
import type { Logger } from 'pino'
import type { Container } from '../container.ts'
import { AppError } from '../errors/app-error.ts'
import { adminApi } from './admin-api/index.ts'
import { promptAndAccountApi } from './auth-api/prompt-routes.ts'
import { authApi } from './auth-api/routes.ts'
import { securityAnswerApi } from './auth-api/security-answer-routes.ts'
import { adminConsole } from './console/index.ts'
import { ConsoleViews } from './console/views.ts'
import { healthRoutes, type Readiness } from './health.ts'
import { endUserPages, pageAssets } from './pages/index.ts'
import { PageViews } from './pages/views.ts'
import { problemErrorHandler, sendProblem } from './problem.ts'
import { lazyRequestLogger } from './request-logger.ts'
import { isScimPath, pathAfterScimBase, unroutedError } from './scim/allowed-methods.ts'
import { scimErrorHandler } from './scim/error-handler.ts'
import { scimApi } from './scim/index.ts'
import { securityHeadersPlugin } from './security-headers.ts'
import { selfServiceApi } from './selfservice/index.ts'
import { soapApi } from './soap/index.ts'
import { validatorCompiler } from './validation.ts'
import './request-context.ts'

/**
 * A route's params schema names its own parameters only; `:tenant` comes from the
 * `/t/:tenant` prefix. OpenAPI requires every path template parameter to be declared, so the
 * document adds the missing ones (routes without a params schema get theirs from the
 * generator already). Validation keeps using the route's own schema.
 */
function withPrefixParameters(schema: FastifySchema, url: string): FastifySchema {
  const params = schema?.params as { properties?: Record<string, unknown>; required?: string[] } | undefined
  if (!params) return schema
  const missing = [...url.matchAll(/:(\w+)/g)]
    .map((match) => match[1]!)
    .filter((name) => !params.properties?.[name])
  if (missing.length === 0) return schema
  const added = Object.fromEntries(
    missing.map((name) => [
      name,
      { type: 'string', ...(name === 'tenant' ? { description: 'Tenant domain, e.g. example.com' } : {}) },
    ]),
  )
  return {
    ...schema,
    params: {
      ...params,
      properties: { ...added, ...params.properties },
      required: [...missing, ...(params.required ?? [])],
    },
  }
}

export interface AppOptions {
  readiness?: Readiness
  /** Transport options (TLS) from the caller; buildApp never listens. */
  https?: { cert: Buffer; key: Buffer }
}

/** Builds the HTTP application with every surface registered. It never listens. */
export async function buildApp(container: Container, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = container
  const app = Fastify({
    // Only method and path are logged: query strings may carry codes in later flows, and
    // headers carry credentials.
    loggerInstance: container.logger.child(
      { component: 'http' },
      {
        serializers: {
          req: (request: { method: string; url: string; ip?: string }) => ({
            method: request.method,
            path: request.url.split('?')[0],
            ip: request.ip,
          }),
        },
      },
    ) as FastifyBaseLogger,
    bodyLimit: config.server.body_limit_bytes,
    trustProxy: config.server.behind_proxy,
    ...(options.https ? { https: options.https } : {}),
    // `/scim2//Users` and `/scim2/Schemas/` are what clients build from a base URL configured
    // with a trailing slash, or by joining segments: the same resources.
    routerOptions: { maxParamLength: 512, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    // A path the router cannot read (a broken percent-escape, an overlong id) is answered in
    // the format of the interface it was meant for, like every other error.
    frameworkErrors: (error, request, reply) =>
      isScimPath(request.url)
        ? scimErrorHandler(error, request, reply)
        : problemErrorHandler(error, request, reply),
    requestIdHeader: false,
    childLoggerFactory: (logger, bindings, childOptions) =>
      lazyRequestLogger(logger as Logger, bindings, childOptions),
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Each request reads from a snapshot taken after it arrived, never from one a request before
  // it opened: a token revoked or an account locked by another process just before stays so.
  app.addHook('onRequest', (_request, _reply, done) => {
    container.store.refreshReads()
    done()
  })
  app.setValidatorCompiler(validatorCompiler)
  app.decorateRequest('tenant', null)
  app.decorateRequest('principal', null)
  app.setErrorHandler(problemErrorHandler)
  app.setNotFoundHandler((request, reply) =>
    // A SCIM path the SCIM scope did not see (`//scim2/…`): answered as that scope would.
    isScimPath(request.url)
      ? scimErrorHandler(unroutedError(request.method, pathAfterScimBase(request.url)), request, reply)
      : sendProblem(request, reply, new AppError('route.not-found')),
  )

  await app.register(securityHeadersPlugin, {
    hsts: options.https !== undefined || config.server.behind_proxy,
  })
  await app.register(cookie)
  await app.register(formbody)
  await app.register(rateLimit, { global: false })
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Rekey API',
        version: '0.1.0',
        description:
          'Admin and sign-in APIs of Rekey. Errors are application/problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: {
          basic: {
            type: 'http',
            scheme: 'basic',
            description: 'A tenant administrator: user name and password',
          },
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API token (rkt_…) or a session (rks_…)',
          },
        },
      },
      security: [{ basic: [] }, { bearer: [] }],
    },
    transform: ({ schema, url }) => ({ schema: withPrefixParameters(schema, url), url }),
  })

  const readiness: Readiness = options.readiness ?? { started: () => true, ping: () => container.ping() }
  await app.register(healthRoutes(readiness, container.metrics))
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  await app.register(authApi(container, { isTenantScoped: false }), { prefix: '/api/auth' })
  await app.register(authApi(container, { isTenantScoped: true }), { prefix: '/t/:tenant/api/auth' })
  await app.register(promptAndAccountApi(container), { prefix: '/api/auth' })
  await app.register(promptAndAccountApi(container), { prefix: '/t/:tenant/api/auth' })
  await app.register(securityAnswerApi(container), { prefix: '/api/auth' })
  await app.register(securityAnswerApi(container), { prefix: '/t/:tenant/api/auth' })
  await app.register(adminApi(container, { withTenantManagement: true }), { prefix: '/api/admin' })
  await app.register(adminApi(container, { withTenantManagement: false }), { prefix: '/t/:tenant/api/admin' })
  await app.register(scimApi(container), { prefix: '/scim2' })
  await app.register(scimApi(container), { prefix: '/t/:tenant/scim2' })
  await app.register(selfServiceApi(container))
  await app.register(selfServiceApi(container), { prefix: '/t/:tenant' })
  await app.register(soapApi(container))
  await app.register(soapApi(container), { prefix: '/t/:tenant' })
  // End-user pages: templates compiled once, shared by the root and every tenant's URL space.
  const pageViews = new PageViews()
  await app.register(pageAssets)
  await app.register(endUserPages(container, pageViews))
  await app.register(endUserPages(container, pageViews), { prefix: '/t/:tenant' })
  // The admin console: its own scope, look and permission checks, on the same use cases.
  const consoleViews = new ConsoleViews()
  await app.register(adminConsole(container, consoleViews), { prefix: '/console' })
  await app.register(adminConsole(container, consoleViews), { prefix: '/t/:tenant/console' })
  return app as unknown as FastifyInstance
}
