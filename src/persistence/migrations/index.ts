import type { Migration, MigrationProvider } from 'kysely'
import * as foundation from './001-foundation.ts'

/** Migrations are compiled into the program (no directory scan), in order of their names. */
const migrations: Record<string, Migration> = {
  '001-foundation': foundation,
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
}
