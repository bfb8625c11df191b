import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Kysely, sql } from 'kysely'
import { migrateToLatest } from '../../src/persistence/database.ts'
import * as targetsWithoutJobKey from '../../src/persistence/migrations/012-bulk-targets-without-job-key.ts'
import * as resetRowsWithoutKeys from '../../src/persistence/migrations/013-reset-rows-without-foreign-keys.ts'
import { apiTokensRepository } from '../../src/persistence/repositories/api-tokens.ts'
import { auditRepository } from '../../src/persistence/repositories/audit.ts'
import { claimsRepository } from '../../src/persistence/repositories/claims.ts'
import { credentialsRepository } from '../../src/persistence/repositories/credentials.ts'
import {
  pendingResetsRepository,
  resetCodesRepository,
} from '../../src/persistence/repositories/reset-codes.ts'
import { rolesRepository } from '../../src/persistence/repositories/roles.ts'
import { sessionsRepository } from '../../src/persistence/repositories/sessions.ts'
import { tenantsRepository } from '../../src/persistence/repositories/tenants.ts'
import { userStoresRepository } from '../../src/persistence/repositories/user-stores.ts'
import { type UserRow, usersRepository } from '../../src/persistence/repositories/users.ts'
import { isUniqueViolation } from '../../src/persistence/store-errors.ts'
import type { ResetMode } from '../../src/persistence/tables.ts'
import { newId } from '../../src/security/tokens.ts'
import { storeKinds, type TestStore } from '../support/stores.ts'

// One contract, every engine: the same assertions run on SQLite and on PostgreSQL.
for (const kind of storeKinds) {
  describe(`${kind.kind}: store contract`, { skip: kind.skip }, () => {
    let testStore: TestStore
    const tenantId = newId()
    const otherTenantId = newId()
    const now = 1_800_000_000_000

    const user = (name: string, tenant = tenantId, store = 'PRIMARY'): UserRow => ({
      id: newId(),
      tenant_id: tenant,
      store_domain: store,
      username: name,
      username_key: name.toLowerCase(),
      status: 'active',
      lock_reason: null,
      created_at: now,
      updated_at: now,
      version: 1,
    })
    const pendingReset = (userId: string, mode: ResetMode) => ({
      user_id: userId,
      tenant_id: tenantId,
      mode,
      requested_at: now,
      requested_by: 'admin',
      reason: 'admin',
    })
    const resetCode = (userId: string, kind: 'link' | 'link-v1' | 'otp', hmac: string) => ({
      id: newId(),
      tenant_id: tenantId,
      user_id: userId,
      kind,
      secret_hmac: hmac,
      sealed_secret: null,
      created_at: now,
      expires_at: now + 60_000,
      used_at: null,
      attempts: 0,
      max_attempts: kind === 'otp' ? 5 : 1,
    })

    before(async () => {
      testStore = await kind.open()
      const db = testStore.store.db
      assert.deepEqual(await migrateToLatest(db), [
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
      for (const [id, domain] of [
        [tenantId, 'contract.example'],
        [otherTenantId, 'other.example'],
      ] as const) {
        await tenantsRepository.insert(db, {
          id,
          domain,
          display_name: domain,
          status: 'active',
          created_at: now,
          updated_at: now,
        })
        await userStoresRepository.insert(db, {
          tenant_id: id,
          domain: 'PRIMARY',
          description: '',
          created_at: now,
        })
      }
    })
    after(async () => testStore?.dispose())

    it('applies migrations once', async () => {
      assert.deepEqual(await migrateToLatest(testStore.store.db), [])
    })

    it('updates a user without touching its indexes on PostgreSQL (HOT), the page having room', {
      skip: kind.kind === 'postgres' ? false : 'PostgreSQL only: SQLite has no fillfactor',
    }, async () => {
      const db = testStore.store.db
      const { rows: options } = await sql<{ options: string[] | null }>`
        select reloptions as options from pg_class where oid = 'users'::regclass`.execute(db)
      assert.deepEqual(options[0]?.options, ['fillfactor=50'])
      const row = user('hot-update')
      await usersRepository.insert(db, row)
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('users')
          .set({ status: 'locked', lock_reason: 'reset-pending', version: 2, updated_at: now + 1 })
          .where('id', '=', row.id)
          .execute()
        const { rows } = await sql<{ updated: number; hot: number }>`
          select n_tup_upd::int as updated, n_tup_hot_upd::int as hot
          from pg_stat_xact_user_tables where relid = 'users'::regclass`.execute(trx)
        assert.deepEqual(rows[0], { updated: 1, hot: 1 })
      })
    })

    it('records bulk targets without a key to their job (it would re-read the job per target), keyed by job and user', async () => {
      const db = testStore.store.db
      const keys = async () =>
        kind.kind === 'postgres'
          ? (
              await sql<{ name: string }>`
                select conname as name from pg_constraint
                where conrelid = to_regclass('bulk_reset_targets') and contype = 'f'`.execute(db)
            ).rows.length
          : (
              await sql<{
                table: string
              }>`select "table" from pragma_foreign_key_list('bulk_reset_targets')`.execute(db)
            ).rows.length
      assert.equal(await keys(), 0)
      // Migration 012 undone and done again (on SQLite a rebuild of the table, in one transaction).
      await targetsWithoutJobKey.down(db as unknown as Kysely<unknown>)
      assert.equal(await keys(), 1)
      await targetsWithoutJobKey.up(db as unknown as Kysely<unknown>)
      assert.equal(await keys(), 0)
      await db.insertInto('bulk_reset_targets').values({ job_id: 'job-a', user_id: 'user-a' }).execute()
      await assert.rejects(
        db.insertInto('bulk_reset_targets').values({ job_id: 'job-a', user_id: 'user-a' }).execute(),
      )
      await db.deleteFrom('bulk_reset_targets').where('job_id', '=', 'job-a').execute()
    })

    it('writes a reset’s rows without keys (each would be checked by a query per row), and migration 013 undoes and redoes that', async () => {
      const db = testStore.store.db
      const keysOf = async (table: string) =>
        kind.kind === 'postgres'
          ? (
              await sql<{ column: string }>`
                select a.attname as column from pg_constraint c
                join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any(c.conkey)
                where c.conrelid = to_regclass(${table}) and c.contype = 'f'`.execute(db)
            ).rows.map((row) => row.column)
          : (
              await sql<{
                column: string
              }>`select "from" as "column" from pragma_foreign_key_list(${table})`.execute(db)
            ).rows.map((row) => row.column)
      const keys = async () => ({
        pending: await keysOf('pending_resets'),
        codes: await keysOf('reset_codes'),
        outbox: await keysOf('outbox_messages'),
        attempts: await keysOf('outbox_attempts'),
      })
      assert.deepEqual(await keys(), { pending: [], codes: [], outbox: [], attempts: ['message_id'] })
      // Rows survive the rebuild (on SQLite), and a message's attempts are not cascaded away by it.
      const row = user('rebuilt-reset')
      await usersRepository.insert(db, row)
      await pendingResetsRepository.set(db, pendingReset(row.id, 'email-link'))
      const messageId = newId()
      await db
        .insertInto('outbox_messages')
        .values({
          id: messageId,
          tenant_id: tenantId,
          idempotency_key: `rebuild:${messageId}`,
          type: 'AdminForcedPasswordReset',
          locale: 'en',
          recipient: 'rebuilt@example.com',
          user_id: row.id,
          subject: 'Reset',
          body_sealed: null,
          status: 'sent',
          transport: 'smtp',
          attempts: 1,
          next_attempt_at: now,
          lease_owner: null,
          lease_expires_at: null,
          last_error: null,
          smtp_response: '250 ok',
          created_at: now,
          updated_at: now,
          sent_at: now,
        })
        .execute()
      await db
        .insertInto('outbox_attempts')
        .values({ message_id: messageId, attempted_at: now, worker: 'w', outcome: 'sent', detail: '250 ok' })
        .execute()
      const code = resetCode(row.id, 'otp', 'rebuilt-otp')
      await resetCodesRepository.insert(db, code)
      const indexes = async () =>
        kind.kind === 'postgres'
          ? (
              await sql<{ definition: string }>`
                select indexdef as definition from pg_indexes
                where schemaname = current_schema()
                  and tablename in ('pending_resets', 'reset_codes', 'outbox_messages')
                order by indexname`.execute(db)
            ).rows.map((index) => index.definition)
          : (
              await sql<{ definition: string | null; name: string }>`
                select name, sql as definition from sqlite_master
                where type = 'index' and tbl_name in ('pending_resets', 'reset_codes', 'outbox_messages')
                order by name`.execute(db)
            ).rows.map((index) => index.definition ?? index.name)
      const indexesBefore = await indexes()
      const store = db as unknown as Kysely<unknown>
      // Each direction twice: a run stopped before Kysely recorded it runs again.
      await resetRowsWithoutKeys.down(store)
      await resetRowsWithoutKeys.down(store)
      assert.deepEqual(await keys(), {
        pending: ['user_id'],
        codes: ['user_id'],
        outbox: ['tenant_id'],
        attempts: ['message_id'],
      })
      await resetRowsWithoutKeys.up(store)
      await resetRowsWithoutKeys.up(store)
      assert.deepEqual(await keys(), { pending: [], codes: [], outbox: [], attempts: ['message_id'] })
      assert.deepEqual(await indexes(), indexesBefore, 'every index made again, partial ones as they were')
      assert.equal((await pendingResetsRepository.find(db, row.id))?.mode, 'email-link')
      const codes = await db.selectFrom('reset_codes').selectAll().where('user_id', '=', row.id).execute()
      assert.deepEqual(codes, [code])
      const attempts = await db
        .selectFrom('outbox_attempts')
        .select('outcome')
        .where('message_id', '=', messageId)
        .execute()
      assert.deepEqual(attempts, [{ outcome: 'sent' }])
      // The indexes came back with the tables: a second first-format link with the same HMAC is refused.
      const link = resetCode(row.id, 'link-v1', 'rebuilt-link')
      await resetCodesRepository.insert(db, link)
      await assert.rejects(resetCodesRepository.insert(db, { ...link, id: newId() }), isUniqueViolation)
      assert.equal(await usersRepository.delete(db, tenantId, row.id, now), true)
      assert.equal(await pendingResetsRepository.find(db, row.id), undefined)
    })

    it('keeps user names unique per tenant and store domain, case-insensitively', async () => {
      const db = testStore.store.db
      await usersRepository.insert(db, user('Alice'))
      await assert.rejects(usersRepository.insert(db, user('ALICE')), (error) => isUniqueViolation(error))
      await usersRepository.insert(db, user('alice', otherTenantId))
      const found = await usersRepository.findByName(db, tenantId, 'PRIMARY', 'alice')
      assert.equal(found?.username, 'Alice')
      assert.equal(await usersRepository.findByName(db, tenantId, 'OTHER', 'alice'), undefined)
    })

    it('refuses a user in a store domain the tenant does not have', async () => {
      await assert.rejects(usersRepository.insert(testStore.store.db, user('ghost', tenantId, 'NOPE')))
    })

    it('lists with paging, prefix and a total, within one tenant only', async () => {
      const db = testStore.store.db
      for (const name of ['list-a', 'list-b', 'list-c', 'list_x'])
        await usersRepository.insert(db, user(name))
      const page = await usersRepository.list(db, tenantId, { limit: 2, offset: 0, namePrefix: 'list-' })
      assert.equal(page.total, 3, 'the "-" prefix must not match "list_x" and "_" must not act as a wildcard')
      assert.deepEqual(
        page.rows.map((row) => row.username),
        ['list-a', 'list-b'],
      )
      const next = await usersRepository.list(db, tenantId, { limit: 2, offset: 2, namePrefix: 'LIST-' })
      assert.deepEqual(
        next.rows.map((row) => row.username),
        ['list-c'],
      )
      const underscore = await usersRepository.list(db, tenantId, {
        limit: 10,
        offset: 0,
        namePrefix: 'list_',
      })
      assert.deepEqual(
        underscore.rows.map((row) => row.username),
        ['list_x'],
      )
    })

    it('sets, replaces and removes claims', async () => {
      const db = testStore.store.db
      const row = user('claims-user')
      await usersRepository.insert(db, row)
      const email = 'http://wso2.org/claims/emailaddress'
      await claimsRepository.apply(db, tenantId, row.id, {
        [email]: 'a@example.com',
        'http://wso2.org/claims/givenname': 'A',
      })
      await claimsRepository.apply(db, tenantId, row.id, {
        [email]: 'b@example.com',
        'http://wso2.org/claims/givenname': null,
      })
      assert.deepEqual(await claimsRepository.forUser(db, row.id), { [email]: 'b@example.com' })
      const many = await claimsRepository.forUsers(db, [row.id, newId()])
      assert.equal(many.size, 2)
    })

    it('replaces a hash encoding only if nobody changed the password meanwhile', async () => {
      const db = testStore.store.db
      const row = user('cas-user')
      await usersRepository.insert(db, row)
      await credentialsRepository.upsert(db, {
        user_id: row.id,
        tenant_id: tenantId,
        hash: 'old',
        changed_at: now,
        updated_at: now,
      })
      assert.equal(await credentialsRepository.replaceEncoding(db, row.id, 'stale', 'new', now + 1), false)
      assert.equal(await credentialsRepository.replaceEncoding(db, row.id, 'old', 'new', now + 1), true)
      const credential = await credentialsRepository.find(db, row.id)
      assert.equal(credential?.hash, 'new')
      assert.equal(credential?.changed_at, now, 'changed_at belongs to the password, not its encoding')
      const login = await usersRepository.findForLogin(db, tenantId, 'PRIMARY', 'cas-user')
      assert.equal(login?.hash, 'new')
    })

    it('grants permissions through roles and answers them in one query', async () => {
      const db = testStore.store.db
      const row = user('role-user')
      await usersRepository.insert(db, row)
      const roleIds = [newId(), newId()]
      for (const [index, id] of roleIds.entries()) {
        await rolesRepository.insert(db, {
          id,
          tenant_id: tenantId,
          name: `Role ${index}`,
          name_key: `role ${index}`,
          builtin: 0,
          external_id: null,
          created_at: now,
          updated_at: now,
          version: 1,
        })
        await rolesRepository.addMember(db, tenantId, id, row.id, now)
        await rolesRepository.addMember(db, tenantId, id, row.id, now) // idempotent
      }
      await rolesRepository.replacePermissions(db, roleIds[0]!, ['login', 'users:read'])
      await rolesRepository.replacePermissions(db, roleIds[1]!, ['users:read'])
      assert.deepEqual((await rolesRepository.permissionsOfUser(db, row.id)).sort(), ['login', 'users:read'])
      assert.equal(await usersRepository.countInRole(db, roleIds[0]!), 1)
      assert.equal(await rolesRepository.removeMember(db, roleIds[0]!, row.id, now), true)
      assert.deepEqual(await rolesRepository.permissionsOfUser(db, row.id), ['users:read'])
    })

    it('finds live sessions by hash only, and revokes them', async () => {
      const db = testStore.store.db
      const row = user('session-user')
      await usersRepository.insert(db, row)
      const session = (hash: string, expiresAt: number) => ({
        id: newId(),
        tenant_id: tenantId,
        user_id: row.id,
        token_hash: hash,
        created_at: now,
        expires_at: expiresAt,
        last_seen_at: now,
        revoked_at: null,
        client_address: null,
        user_agent: null,
        purpose: 'full' as const,
      })
      const live = session('h-live', now + 1000)
      const kept = session('h-kept', now + 1000)
      await sessionsRepository.insert(db, live)
      await sessionsRepository.insert(db, kept)
      await sessionsRepository.insert(db, session('h-expired', now - 1))
      assert.equal((await sessionsRepository.findActiveByHash(db, 'h-live', now))?.id, live.id)
      assert.equal(await sessionsRepository.findActiveByHash(db, 'h-expired', now), undefined)
      assert.equal(await sessionsRepository.revokeAllForUser(db, row.id, now, kept.id), 2)
      assert.equal(await sessionsRepository.findActiveByHash(db, 'h-live', now), undefined)
      assert.equal((await sessionsRepository.findActiveByHash(db, 'h-kept', now))?.id, kept.id)
    })

    it('finds links by their code, first-format links by their unique HMAC; one-time passwords of a user may repeat', async () => {
      const db = testStore.store.db
      const row = user('codes-user')
      await usersRepository.insert(db, row)
      const code = (kind: 'link' | 'link-v1' | 'otp', hmac: string) => resetCode(row.id, kind, hmac)
      // A re-trigger may draw a six-digit code the user once had: both rows must be storable.
      await resetCodesRepository.insert(db, code('otp', 'same-otp-hmac'))
      await resetCodesRepository.insert(db, code('otp', 'same-otp-hmac'))
      const link = code('link', 'a'.repeat(64))
      await resetCodesRepository.insert(db, link)
      const byCode = { codeId: link.id, hmac: link.secret_hmac }
      assert.equal((await resetCodesRepository.findLiveLink(db, byCode, now))?.id, link.id)
      assert.equal(await resetCodesRepository.findLiveLink(db, { hmac: link.secret_hmac }, now), undefined)
      const firstFormat = code('link-v1', 'b'.repeat(64))
      await resetCodesRepository.insert(db, firstFormat)
      await assert.rejects(
        resetCodesRepository.insert(db, code('link-v1', 'b'.repeat(64))),
        isUniqueViolation,
      )
      const byHmac = { hmac: firstFormat.secret_hmac }
      assert.equal((await resetCodesRepository.findLiveLink(db, byHmac, now))?.id, firstFormat.id)
      assert.equal(await resetCodesRepository.findLiveLink(db, { hmac: 'same-otp-hmac' }, now), undefined)
      assert.equal((await resetCodesRepository.consumeLink(db, byCode, now))?.id, link.id)
      assert.equal((await resetCodesRepository.consumeLink(db, byHmac, now))?.id, firstFormat.id)
    })

    it('removes a deleted user’s claims, credential, memberships and sessions', async () => {
      const db = testStore.store.db
      const row = user('doomed')
      await usersRepository.insert(db, row)
      await claimsRepository.apply(db, tenantId, row.id, { 'urn:x:claim': 'v' })
      await credentialsRepository.upsert(db, {
        user_id: row.id,
        tenant_id: tenantId,
        hash: 'h',
        changed_at: now,
        updated_at: now,
      })
      // A forced reset's rows have no foreign key to cascade (migration 013): the delete removes them.
      await pendingResetsRepository.set(db, pendingReset(row.id, 'email-otp'))
      await resetCodesRepository.insert(db, resetCode(row.id, 'otp', 'doomed-otp'))
      assert.equal(
        await usersRepository.delete(db, otherTenantId, row.id, now),
        false,
        'delete is tenant-scoped',
      )
      assert.notEqual(await pendingResetsRepository.find(db, row.id), undefined)
      assert.equal(await usersRepository.delete(db, tenantId, row.id, now), true)
      assert.deepEqual(await claimsRepository.forUser(db, row.id), {})
      assert.equal(await credentialsRepository.find(db, row.id), undefined)
      assert.equal(await pendingResetsRepository.find(db, row.id), undefined)
      const codes = await db.selectFrom('reset_codes').select('id').where('user_id', '=', row.id).execute()
      assert.deepEqual(codes, [])
    })

    it('stores API tokens by hash and revokes them per tenant', async () => {
      const db = testStore.store.db
      const id = newId()
      await apiTokensRepository.insert(db, {
        id,
        tenant_id: tenantId,
        name: 'ci',
        token_hash: 'th',
        scopes: '["users:read"]',
        created_by: 'cli',
        created_at: now,
        expires_at: null,
        last_used_at: null,
        revoked_at: null,
      })
      assert.equal((await apiTokensRepository.findByHash(db, 'th'))?.id, id)
      assert.equal(await apiTokensRepository.revoke(db, otherTenantId, id, now), false)
      assert.equal(await apiTokensRepository.revoke(db, tenantId, id, now), true)
      assert.equal(await apiTokensRepository.revoke(db, tenantId, id, now), false)
    })

    it('appends audit events and filters them', async () => {
      const db = testStore.store.db
      for (const action of ['user.created', 'login.failed', 'login.failed']) {
        await auditRepository.insert(db, {
          tenantId,
          occurredAt: now,
          actor: 'cli:cli',
          action,
          target: null,
          outcome: 'success',
          detail: { n: 1 },
        })
      }
      const failed = await auditRepository.list(db, { tenantId, limit: 10, action: 'login.failed' })
      assert.equal(failed.length, 2)
      assert.deepEqual(JSON.parse(failed[0]!.detail), { n: 1 })
      assert.equal((await auditRepository.list(db, { tenantId: otherTenantId, limit: 10 })).length, 0)
    })

    it('rolls a failed transaction back completely', async () => {
      const db = testStore.store.db
      const row = user('half-applied')
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await usersRepository.insert(trx, row)
          await usersRepository.insert(trx, { ...user('HALF-APPLIED'), id: newId() })
        }),
      )
      assert.equal(await usersRepository.findById(db, tenantId, row.id), undefined)
    })
  })
}
