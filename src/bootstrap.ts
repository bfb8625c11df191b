import type { Container } from './container.ts'
import { DEFAULT_TENANT } from './domain/tenant.ts'
import { AppError } from './errors/app-error.ts'
import { systemActor } from './observability/audit.ts'
import { migrateToLatest } from './persistence/database.ts'
import { generatePassword } from './security/tokens.ts'

export interface BootstrapResult {
  migrations: string[]
  /** Set only when an administrator was created with a generated password. */
  generatedAdminPassword?: string
  createdAdministrator: boolean
}

/**
 * Brings a store to a usable state: migrations, the snapshots of the shipped mail templates
 * (decision 0028), the default tenant, and its administrator.
 * Never `admin:admin`: the password comes from REKEY_ADMIN_PASSWORD or is generated, and a
 * generated one is returned for printing exactly once.
 */
export async function bootstrap(container: Container): Promise<BootstrapResult> {
  const migrations = await migrateToLatest(container.store.db)
  await container.notifier.snapshotShippedTemplates(container.store.db)
  let tenant = await container.tenants.find(DEFAULT_TENANT)
  if (!tenant) {
    try {
      tenant = await container.tenants.create(DEFAULT_TENANT, 'Default tenant', systemActor)
    } catch (error) {
      // Several instances starting together on one PostgreSQL: another one was first.
      if (!(error instanceof AppError && error.code === 'tenant.exists')) throw error
      tenant = await container.tenants.require(DEFAULT_TENANT)
    }
  }
  if (await container.tenants.hasAdministrator(tenant)) return { migrations, createdAdministrator: false }
  const configured = container.config.admin.initial_password
  const password = configured !== '' ? configured : generatePassword()
  let created: boolean
  try {
    created = await container.tenants.ensureAdministrator(tenant, password, systemActor)
  } catch (error) {
    if (!(error instanceof AppError && error.code === 'user.exists')) throw error
    created = false
  }
  return {
    migrations,
    createdAdministrator: created,
    ...(created && configured === '' ? { generatedAdminPassword: password } : {}),
  }
}
