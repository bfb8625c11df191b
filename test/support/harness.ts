import type { FastifyInstance } from 'fastify'
import { bootstrap } from '../../src/bootstrap.ts'
import type { Config } from '../../src/config/schema.ts'
import { buildContainer, type Container } from '../../src/container.ts'
import type { Clock } from '../../src/domain/clock.ts'
import { DEFAULT_TENANT } from '../../src/domain/tenant.ts'
import { buildApp } from '../../src/http/app.ts'
import { createLogger } from '../../src/observability/logger.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { ADMIN_PASSWORD } from './config.ts'
import type { StoreKind, TestStore } from './stores.ts'

export interface Harness {
  kind: 'sqlite' | 'postgres'
  config: Config
  container: Container
  app: FastifyInstance
  defaultTenant: TenantRow
  /** `Authorization` header for the default tenant's admin. */
  adminAuth: string
  close(): Promise<void>
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}

/** A bootstrapped container and app on a real store of the given kind. */
export async function openHarness(
  kind: StoreKind,
  options: {
    env?: Record<string, string>
    clock?: Clock
    logDestination?: { write(line: string): void }
  } = {},
): Promise<Harness> {
  const testStore: TestStore = await kind.open(options.env)
  const container = buildContainer(testStore.config, {
    store: testStore.store,
    logger: options.logDestination ? createLogger('trace', options.logDestination) : createLogger('silent'),
    ...(options.clock ? { clock: options.clock } : {}),
  })
  await bootstrap(container)
  const app = await buildApp(container)
  await app.ready()
  return {
    kind: kind.kind,
    config: testStore.config,
    container,
    app,
    defaultTenant: await container.tenants.require(DEFAULT_TENANT),
    adminAuth: basicAuth('admin', ADMIN_PASSWORD),
    async close() {
      await app.close()
      await container.bulkResetRunner.stop()
      await container.outboxWorker.stop()
      await container.deliveryRouter.close()
      await testStore.dispose()
    },
  }
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current
  }
  advance(ms: number): void {
    this.current += ms
  }
}
