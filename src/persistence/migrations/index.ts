import type { Migration, MigrationProvider } from 'kysely'
import * as foundation from './001-foundation.ts'
import * as scim from './002-scim.ts'
import * as notifications from './003-notifications.ts'
import * as forcedReset from './004-forced-reset.ts'
import * as passwordHistory from './005-password-history.ts'
import * as bulkReset from './006-bulk-reset.ts'
import * as auditClient from './007-audit-client.ts'
import * as selfservice from './008-selfservice.ts'
import * as auditFilters from './009-audit-filters.ts'
import * as linkCodeIndex from './010-link-code-index.ts'
import * as usersFillfactor from './011-users-fillfactor.ts'
import * as bulkTargetsWithoutJobKey from './012-bulk-targets-without-job-key.ts'
import * as resetRowsWithoutForeignKeys from './013-reset-rows-without-foreign-keys.ts'
import * as groupExternalIds from './014-group-external-ids.ts'
import * as templateSnapshots from './015-template-snapshots.ts'
import * as sqliteIdsWithoutAutoincrement from './016-sqlite-ids-without-autoincrement.ts'
import * as linkSelectors from './017-link-selectors.ts'

/** Migrations are compiled into the program (no directory scan), in order of their names. */
const migrations: Record<string, Migration> = {
  '001-foundation': foundation,
  '002-scim': scim,
  '003-notifications': notifications,
  '004-forced-reset': forcedReset,
  '005-password-history': passwordHistory,
  '006-bulk-reset': bulkReset,
  '007-audit-client': auditClient,
  '008-selfservice': selfservice,
  '009-audit-filters': auditFilters,
  '010-link-code-index': linkCodeIndex,
  '011-users-fillfactor': usersFillfactor,
  '012-bulk-targets-without-job-key': bulkTargetsWithoutJobKey,
  '013-reset-rows-without-foreign-keys': resetRowsWithoutForeignKeys,
  '014-group-external-ids': groupExternalIds,
  '015-template-snapshots': templateSnapshots,
  '016-sqlite-ids-without-autoincrement': sqliteIdsWithoutAutoincrement,
  '017-link-selectors': linkSelectors,
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
}
