import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADDRESS_CHECK_LIMIT } from '../../src/flows/bulk-reset/selection.ts'
import { insertRows } from '../../src/persistence/multi-row.ts'
import type { UserRow } from '../../src/persistence/repositories/users.ts'
import { timeOrderedId } from '../../src/security/time-ordered-id.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { storeKinds } from '../support/stores.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'

/**
 * A dry run counts the selected users without an email address only up to
 * `ADDRESS_CHECK_LIMIT` of them: beyond, `withoutEmail` is null (not checked), whereas at the
 * limit it is exact. The users are written straight into the store (no passwords, no mail).
 */
for (const kind of storeKinds) {
  describe(`${kind.kind}: bulk dry run, the address check's bound`, {
    skip: kind.skip,
    timeout: 300_000,
  }, () => {
    let h: Harness
    before(async () => {
      h = await openHarness(kind)
      const tenant = await h.container.tenants.require('carbon.super')
      const now = Date.now()
      const users: UserRow[] = Array.from({ length: ADDRESS_CHECK_LIMIT + 1 }, (_, index) => {
        const name = `bound${String(index).padStart(6, '0')}`
        return {
          id: timeOrderedId(now),
          tenant_id: tenant.id,
          store_domain: 'PRIMARY',
          username: name,
          username_key: name,
          status: 'active',
          lock_reason: null,
          created_at: now,
          updated_at: now,
          version: 1,
        }
      })
      const columns = Object.keys(users[0]!) as Array<keyof UserRow>
      await insertRows(h.container.store.db, {
        table: 'users',
        columns,
        rows: users.map((user) => columns.map((column) => user[column])),
      })
      // Every user but the first has an address.
      await insertRows(h.container.store.db, {
        table: 'user_claims',
        columns: ['user_id', 'tenant_id', 'claim_uri', 'value', 'value_key'],
        rows: users
          .slice(1)
          .map(({ id, username }) => [
            id,
            tenant.id,
            EMAIL,
            `${username}@example.com`,
            `${username}@example.com`,
          ]),
      })
    })
    after(async () => h?.close())

    it('counts users without an address up to the bound, and says "not checked" above it', async () => {
      const tenant = await h.container.tenants.require('carbon.super')
      const atLimit = await h.container.bulkResets.preview(tenant, {
        filter: `userName sw "bound" and not (userName eq "bound${String(ADDRESS_CHECK_LIMIT).padStart(6, '0')}")`,
        mode: 'email-otp',
      })
      assert.equal(atLimit.count, ADDRESS_CHECK_LIMIT)
      assert.equal(atLimit.withoutEmail, 1)
      const above = await h.container.bulkResets.preview(tenant, {
        filter: 'userName sw "bound"',
        mode: 'email-otp',
      })
      assert.equal(above.count, ADDRESS_CHECK_LIMIT + 1)
      assert.equal(above.withoutEmail, null)
    })
  })
}
