import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { migrateToLatest } from '../../src/persistence/database.ts'
import { postgresKind, type TestStore } from '../support/stores.ts'

// Several deployments (and every PostgreSQL test store) can share one database, each in its
// own schema. Migrating one schema must not be confused by the migration tables of another.
describe('postgres: migrations per schema', { skip: postgresKind.skip }, () => {
  let first: TestStore
  let second: TestStore

  before(async () => {
    first = await postgresKind.open()
    second = await postgresKind.open()
  })
  after(async () => {
    await first?.dispose()
    await second?.dispose()
  })

  it('migrates a schema while another schema of the same database is already migrated', async () => {
    assert.deepEqual(await migrateToLatest(first.store.db), [
      '001-foundation',
      '002-scim',
      '003-notifications',
      '004-forced-reset',
      '005-password-history',
      '006-bulk-reset',
      '007-audit-client',
      '008-selfservice',
      '009-audit-filters',
      '010-link-code-index',
      '011-users-fillfactor',
      '012-bulk-targets-without-job-key',
      '013-reset-rows-without-foreign-keys',
      '014-group-external-ids',
      '015-template-snapshots',
      '016-sqlite-ids-without-autoincrement',
      '017-link-selectors',
    ])
    assert.deepEqual(await migrateToLatest(second.store.db), [
      '001-foundation',
      '002-scim',
      '003-notifications',
      '004-forced-reset',
      '005-password-history',
      '006-bulk-reset',
      '007-audit-client',
      '008-selfservice',
      '009-audit-filters',
      '010-link-code-index',
      '011-users-fillfactor',
      '012-bulk-targets-without-job-key',
      '013-reset-rows-without-foreign-keys',
      '014-group-external-ids',
      '015-template-snapshots',
      '016-sqlite-ids-without-autoincrement',
      '017-link-selectors',
    ])
    assert.deepEqual(await migrateToLatest(second.store.db), [])
    const tenants = await second.store.db.selectFrom('tenants').selectAll().execute()
    assert.deepEqual(tenants, [])
  })
})
