import pino from 'pino'
import { bootstrap } from '../bootstrap.ts'
import { loadConfig } from '../config/load.ts'
import { publicUrl } from '../config/semantics.ts'
import { buildContainer, type Container } from '../container.ts'
import { DEFAULT_TENANT } from '../domain/tenant.ts'
import { AppError } from '../errors/app-error.ts'
import { createLogger } from '../observability/logger.ts'
import type { TenantRow } from '../persistence/repositories/tenants.ts'
import { isStoreUnavailable } from '../persistence/store-errors.ts'
import { createOutput, type Output } from './output.ts'

export interface GlobalOptions {
  config?: string
  tenant?: string
  json?: boolean
}

export interface CommandContext {
  container: Container
  out: Output
  tenant(): Promise<TenantRow>
}

/**
 * Opens the store for one CLI command (migrated and with the default tenant in place), runs
 * it, and closes the store. Commands act as the operator (`cli` in the audit log).
 */
export async function withContext<T>(
  globals: GlobalOptions,
  run: (context: CommandContext) => Promise<T>,
): Promise<T> {
  const { config } = loadConfig({ path: globals.config })
  // Warnings go to stderr: stdout carries the command's answer, which `--json` keeps parseable.
  const container = buildContainer(config, { logger: createLogger('warn', pino.destination(2)) })
  const out = createOutput(globals.json === true)
  try {
    const result = await bootstrap(container)
    if (result.generatedAdminPassword)
      printGeneratedAdmin(out, publicUrl(config), result.generatedAdminPassword)
    return await run({
      container,
      out,
      tenant: () => container.tenants.require(globals.tenant ?? DEFAULT_TENANT),
    })
  } catch (error) {
    // A bare driver error ("connect ECONNREFUSED 127.0.0.1:5432") does not say which store or
    // that it is the store at all; name it (without credentials) for the operator.
    if (!(error instanceof AppError) && isStoreUnavailable(error)) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new AppError(
        'store.unavailable',
        { detail: `The store ${container.store.describe} is not reachable: ${reason}` },
        { cause: error },
      )
    }
    throw error
  } finally {
    await container.close()
  }
}

export function printGeneratedAdmin(out: Output, url: string, password: string): void {
  out.info(
    [
      '',
      '  Rekey created the administrator of the default tenant.',
      `  URL:       ${url}`,
      '  User name: admin',
      `  Password:  ${password}`,
      '  This password is shown once. Store it now, or set REKEY_ADMIN_PASSWORD before the first start.',
      '',
    ].join('\n'),
  )
}
