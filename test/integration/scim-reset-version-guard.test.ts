import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { UserVersionMoved } from '../../src/flows/forced-reset/service.ts'
import { systemActor } from '../../src/observability/audit.ts'
import { inTransaction } from '../../src/persistence/executor.ts'
import { usersRepository } from '../../src/persistence/repositories/users.ts'
import { freshUser } from '../support/fresh-user.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'
const FORCED = 'http://wso2.org/claims/identity/adminForcedPasswordReset'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const FORCE_PATH = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:forcePasswordReset'

/**
 * A SCIM write that only starts a reset leaves its optimistic version check to the trigger's
 * own update of the user. The check must hold as before: a user whose version moved since the
 * read is not reset on the stale read (the write is recomputed, or refused under If-Match),
 * and nothing of the reset is left behind.
 */
for (const kind of storeKinds) {
  describe(`${kind.kind}: a SCIM write that only starts a reset keeps its version check`, {
    skip: kind.skip,
  }, () => {
    let h: Harness
    let sequence = 0

    before(async () => {
      h = await openHarness(kind, { env: { REKEY_SMTP_URL: '' } })
    })
    after(async () => h?.close())

    const user = async () => {
      const name = `guard-${++sequence}`
      const id = await freshUser(h, {
        username: name,
        password: 'Harbour-Lantern-73',
        claims: { [EMAIL]: `${name}@example.com` },
      })
      return { id, name }
    }
    const stored = async (id: string) =>
      (await usersRepository.findById(h.container.store.db, h.defaultTenant.id, id))!
    const traces = async (id: string) => {
      const db = h.container.store.db
      const count = async (table: 'pending_resets' | 'reset_codes' | 'outbox_messages') =>
        (await db.selectFrom(table).select('user_id').where('user_id', '=', id).execute()).length
      return {
        pending: await count('pending_resets'),
        codes: await count('reset_codes'),
        messages: await count('outbox_messages'),
      }
    }
    const force = (id: string, headers: Record<string, string> = {}) =>
      call(h.app, {
        method: 'PATCH',
        url: `/scim2/Users/${id}`,
        auth: h.adminAuth,
        headers,
        payload: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: FORCE_PATH, value: true }] },
      })

    it('on a moved version the trigger writes nothing and says so', async () => {
      const { id } = await user()
      const row = await stored(id)
      const start = (version: number) =>
        inTransaction(h.container.store.db, (trx) =>
          h.container.forcedResets.writeClaimsIn(
            trx,
            h.defaultTenant,
            row,
            { [FORCED]: 'true' },
            { actor: systemActor, channel: 'scim', expectedVersion: version },
          ),
        )
      await assert.rejects(start(row.version + 1), UserVersionMoved)
      assert.deepEqual(await traces(id), { pending: 0, codes: 0, messages: 0 })
      assert.equal((await stored(id)).version, row.version)
      assert.equal((await stored(id)).status, 'active')

      const started = await start(row.version)
      assert.equal(started.reset, 'started')
      assert.deepEqual(await traces(id), { pending: 1, codes: 1, messages: 1 })
      const after = await stored(id)
      assert.equal(after.version, row.version + 1, 'one move of the version for the whole write')
      assert.equal(after.status, 'locked')
    })

    it('claims read at the expected version address the message, and only at that version', async () => {
      const db = h.container.store.db
      const recipients = async (id: string) =>
        (await db.selectFrom('outbox_messages').select('recipient').where('user_id', '=', id).execute()).map(
          (row) => row.recipient,
        )
      const start = (
        row: Awaited<ReturnType<typeof stored>>,
        version: number,
        claims: Record<string, string>,
      ) =>
        inTransaction(db, (trx) =>
          h.container.forcedResets.writeClaimsIn(
            trx,
            h.defaultTenant,
            row,
            { [FORCED]: 'true' },
            { actor: systemActor, channel: 'scim', expectedVersion: version, claimsAtVersion: claims },
          ),
        )

      // Read at a version that has moved on: refused, so an address changed since is never used.
      const stale = await user()
      const staleRow = await stored(stale.id)
      await assert.rejects(
        start(staleRow, staleRow.version + 1, { [EMAIL]: 'old-address@example.com' }),
        UserVersionMoved,
      )
      assert.deepEqual(await traces(stale.id), { pending: 0, codes: 0, messages: 0 })

      // At the version they were read at, they stand in for the store's: no second read.
      const current = await user()
      const currentRow = await stored(current.id)
      await start(currentRow, currentRow.version, { [EMAIL]: 'as-read@example.com' })
      assert.deepEqual(await recipients(current.id), ['as-read@example.com'])

      // Without an address among them the store is read: one added since is not reported missing.
      const bare = await user()
      const bareRow = await stored(bare.id)
      const started = await start(bareRow, bareRow.version, {})
      assert.equal(started.reset, 'started')
      assert.deepEqual(await recipients(bare.id), [`${bare.name}@example.com`])
    })

    it('a PATCH that only starts a reset moves the ETag once, and If-Match still pins it', async () => {
      const { id } = await user()
      const read = await call(h.app, { method: 'GET', url: `/scim2/Users/${id}`, auth: h.adminAuth })
      const etag = String(read.headers.etag)
      const forced = await force(id, { 'if-match': etag })
      assert.equal(forced.status, 200, JSON.stringify(forced.body))
      assert.equal(
        forced.body.meta.version,
        etag.replace(/\d+/, (digits) => String(Number(digits) + 1)),
      )
      // The ETag the client held is stale now: the same request again is refused, and changes nothing.
      const again = await force(id, { 'if-match': etag })
      assert.equal(again.status, 412, JSON.stringify(again.body))
      assert.deepEqual(await traces(id), { pending: 1, codes: 1, messages: 1 })
    })

    it('a start beside profile changes of the same user: every write lands, each moving the version once', async () => {
      for (let round = 0; round < 3; round++) {
        const { id, name } = await user()
        const profile = (index: number) =>
          call(h.app, {
            method: 'PATCH',
            url: `/scim2/Users/${id}`,
            auth: h.adminAuth,
            payload: {
              schemas: [PATCH_OP],
              Operations: [{ op: 'replace', path: 'name.givenName', value: `Given${index}` }],
            },
          })
        const before = (await stored(id)).version
        const answers = await Promise.all([profile(1), force(id), profile(2), profile(3)])
        for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body))
        const row = await stored(id)
        assert.equal(row.version, before + 4, 'one start and three profile changes')
        assert.equal(row.status, 'locked')
        assert.deepEqual(await traces(id), { pending: 1, codes: 1, messages: 1 })
        const read = (await call(h.app, { method: 'GET', url: `/scim2/Users/${id}`, auth: h.adminAuth })).body
        assert.equal(read.userName, name)
        assert.match(read.name.givenName, /^Given[123]$/)
        assert.equal(
          read['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'].forcePasswordReset,
          true,
        )
      }
    })
  })
}
