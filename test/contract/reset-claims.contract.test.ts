/**
 * The forced-reset flag and pending mode are read from the pending reset, not stored as claims
 * (decision 0022): forcing writes no claim rows, yet every reader and every SCIM filter and sort
 * sees "true" and the mode while the reset is pending, and the stored flag once it is over.
 * Rows an earlier version of the store kept for a pending reset must not outlive it.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { FORCED_RESET_CLAIM, PENDING_MODE_CLAIM } from '../../src/domain/reset-claims.ts'
import { cliActor } from '../../src/observability/audit.ts'
import type { Executor } from '../../src/persistence/executor.ts'
import { claimsRepository } from '../../src/persistence/repositories/claims.ts'
import { usersRepository } from '../../src/persistence/repositories/users.ts'
import { parseFilter } from '../../src/scim/filter/parser.ts'
import { parseAttributePath } from '../../src/scim/filter/path.ts'
import { listUsers } from '../../src/scim/users/user-query.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { storeKinds } from '../support/stores.ts'

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const REKEY = 'urn:rekey:params:scim:schemas:extension:2.0:User'
const options = { actor: cliActor, channel: 'cli' }

for (const kind of storeKinds) {
  describe(`${kind.kind}: forced-reset claims read from the pending reset`, { skip: kind.skip }, () => {
    let h: Harness
    let db: Executor
    const ids: Record<string, string> = {}

    const storedRows = async (userId: string) =>
      (
        await db
          .selectFrom('user_claims')
          .select(['claim_uri', 'value'])
          .where('user_id', '=', userId)
          .where('claim_uri', 'in', [FORCED_RESET_CLAIM, PENDING_MODE_CLAIM])
          .orderBy('claim_uri')
          .execute()
      ).map((row) => `${row.claim_uri}=${row.value}`)

    const names = async (
      filter: string,
      sortBy?: string,
      sortOrder: 'ascending' | 'descending' = 'ascending',
    ) => {
      const { records } = await listUsers(db, h.defaultTenant.id, {
        filter: parseFilter(filter),
        sortBy: sortBy ? parseAttributePath(sortBy) : undefined,
        sortOrder,
        startIndex: 1,
        count: 50,
      })
      return records.map((record) => record.row.username)
    }

    const force = async (name: string, mode: 'email-otp' | 'offline-otp') => {
      const user = await usersRepository.findById(db, h.defaultTenant.id, ids[name]!)
      await h.container.forcedResets.trigger(h.defaultTenant, user!, { ...options, mode })
    }

    before(async () => {
      h = await openHarness(kind)
      db = h.container.store.db
      for (const name of ['pending', 'offline', 'over', 'never', 'legacy']) {
        const view = await h.container.users.create(
          h.defaultTenant,
          { username: name, claims: { 'http://wso2.org/claims/emailaddress': `${name}@example.test` } },
          cliActor,
        )
        ids[name] = view.id
      }
      await force('pending', 'email-otp')
      await force('offline', 'offline-otp')
      await force('over', 'email-otp')
      await h.container.forcedResets.cancel(
        h.defaultTenant,
        (await usersRepository.findById(db, h.defaultTenant.id, ids.over!))!,
        options,
      )
      // A reset forced before decision 0022 kept both claims as rows beside the pending reset.
      await force('legacy', 'email-otp')
      await db
        .insertInto('user_claims')
        .values([
          {
            user_id: ids.legacy!,
            tenant_id: h.defaultTenant.id,
            claim_uri: FORCED_RESET_CLAIM,
            value: 'true',
            value_key: 'true',
          },
          {
            user_id: ids.legacy!,
            tenant_id: h.defaultTenant.id,
            claim_uri: PENDING_MODE_CLAIM,
            value: 'email-otp',
            value_key: 'email-otp',
          },
        ])
        .execute()
    })
    after(async () => h?.close())

    it('forcing stores no claim rows, yet the readers show the flag and the mode', async () => {
      assert.deepEqual(await storedRows(ids.pending!), [])
      const one = await claimsRepository.forUser(db, ids.pending!)
      assert.equal(one[FORCED_RESET_CLAIM], 'true')
      assert.equal(one[PENDING_MODE_CLAIM], 'email-otp')
      assert.equal(one['http://wso2.org/claims/emailaddress'], 'pending@example.test')
      const many = await claimsRepository.forUsers(db, [ids.pending!, ids.offline!, ids.over!, ids.never!])
      assert.equal(many.get(ids.offline!)?.[PENDING_MODE_CLAIM], 'offline-otp')
      assert.equal(many.get(ids.offline!)?.[FORCED_RESET_CLAIM], 'true')
      assert.equal(many.get(ids.pending!)?.[PENDING_MODE_CLAIM], 'email-otp')
      assert.deepEqual(many.get(ids.never!), { 'http://wso2.org/claims/emailaddress': 'never@example.test' })
    })

    it('a reset that is over shows the stored "false" and no mode', async () => {
      assert.deepEqual(await storedRows(ids.over!), [`${FORCED_RESET_CLAIM}=false`])
      const claims = await claimsRepository.forUser(db, ids.over!)
      assert.equal(claims[FORCED_RESET_CLAIM], 'false')
      assert.equal(claims[PENDING_MODE_CLAIM], undefined)
    })

    it('SCIM filters and sorts see what the readers show', async () => {
      assert.deepEqual(await names(`${ENTERPRISE}:forcePasswordReset eq true`, 'userName'), [
        'legacy',
        'offline',
        'pending',
      ])
      assert.deepEqual(await names(`${ENTERPRISE}:forcePasswordReset eq false`), ['over'])
      assert.deepEqual(await names(`${ENTERPRISE}:forcePasswordReset pr`, 'userName'), [
        'legacy',
        'offline',
        'over',
        'pending',
      ])
      assert.deepEqual(await names(`not (${ENTERPRISE}:forcePasswordReset pr)`, 'userName'), [
        'admin',
        'never',
      ])
      assert.deepEqual(await names(`${REKEY}:pendingResetMode eq "offline-otp"`), ['offline'])
      assert.deepEqual(await names(`${REKEY}:pendingResetMode sw "EMAIL"`, 'userName'), ['legacy', 'pending'])
      // Sorted by the mode read from the pending reset: offline-otp after email-otp.
      const byMode = await names(`${REKEY}:pendingResetMode pr`, `${REKEY}:pendingResetMode`, 'descending')
      assert.equal(byMode[0], 'offline')
      assert.deepEqual(byMode.slice(1).sort(), ['legacy', 'pending'])
    })

    it('the end of a reset forced before leaves no stale mode and the flag "false"', async () => {
      assert.equal((await claimsRepository.forUser(db, ids.legacy!))[FORCED_RESET_CLAIM], 'true')
      await h.container.users.setPassword(h.defaultTenant, 'legacy', 'a-new-Passphrase-42', cliActor)
      assert.deepEqual(await storedRows(ids.legacy!), [`${FORCED_RESET_CLAIM}=false`])
      const claims = await claimsRepository.forUser(db, ids.legacy!)
      assert.equal(claims[FORCED_RESET_CLAIM], 'false')
      assert.equal(claims[PENDING_MODE_CLAIM], undefined)
      assert.deepEqual(await names(`${REKEY}:pendingResetMode pr`, 'userName'), ['offline', 'pending'])
    })
  })
}
