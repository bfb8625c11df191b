import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { FORCED_RESET_CLAIM } from '../../src/flows/forced-reset/reset-policy.ts'
import { claimsRepository } from '../../src/persistence/repositories/claims.ts'
import { freshUser, staffRole } from '../support/fresh-user.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import { bearer, call } from '../support/http.ts'
import { storeKinds } from '../support/stores.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const FORCE_PATH = `${ENTERPRISE}:forcePasswordReset`

type Operation = { op: string; path?: string; value?: unknown }

/**
 * A SCIM write that starts or cancels a reset answers the user as stored, without reading it
 * again: the answer, its ETag, and a GET right after must agree in every attribute.
 */
for (const kind of storeKinds) {
  describe(`${kind.kind}: the answer of a SCIM write that starts or cancels a reset`, {
    skip: kind.skip,
  }, () => {
    let h: Harness
    let sequence = 0

    before(async () => {
      h = await openHarness(kind)
      await staffRole(h)
    })
    after(async () => h?.close())

    const user = async (claims: Record<string, string> = {}) => {
      const name = `answer-${++sequence}`
      return freshUser(h, {
        username: name,
        password: 'Harbour-Lantern-73',
        roles: ['staff'],
        claims: { [EMAIL]: `${name}@example.com`, ...claims },
      })
    }
    const patch = (id: string, operations: Operation[]) =>
      call(h.app, {
        method: 'PATCH',
        url: `/scim2/Users/${id}`,
        auth: h.adminAuth,
        payload: { schemas: [PATCH_OP], Operations: operations },
      })
    /** The PATCH's answer equals the user read back, ETag included; the answer's body. */
    const patchAgreesWithGet = async (id: string, operations: Operation[]) => {
      const answer = await patch(id, operations)
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      const read = await call(h.app, { method: 'GET', url: `/scim2/Users/${id}`, auth: h.adminAuth })
      assert.equal(read.status, 200)
      assert.deepEqual(answer.body, read.body)
      assert.equal(answer.headers.etag, read.headers.etag)
      return answer.body as Record<string, Record<string, unknown>>
    }
    const auditOf = async (target: string, action: string) =>
      h.container.store.db
        .selectFrom('audit_events')
        .select('id')
        .where('target', '=', target)
        .where('action', '=', action)
        .execute()
    const rekeyOf = (body: Record<string, Record<string, unknown>>) =>
      body['urn:rekey:params:scim:schemas:extension:2.0:User']!

    it('a start and a cancel, alone or with a profile change', async () => {
      const id = await user()
      const started = await patchAgreesWithGet(id, [{ op: 'replace', path: FORCE_PATH, value: true }])
      assert.equal(started[ENTERPRISE]!.forcePasswordReset, true)
      assert.equal(rekeyOf(started).accountLocked, true)
      assert.equal(rekeyOf(started).lockedReason, 'reset-pending')
      assert.equal(rekeyOf(started).pendingResetMode, 'email-link')

      // Forced again, with a new title in the same request.
      const again = await patchAgreesWithGet(id, [
        { op: 'replace', path: 'title', value: 'Engineer' },
        { op: 'replace', path: FORCE_PATH, value: 'True' },
      ])
      assert.equal(again.title, 'Engineer')
      assert.equal(Number((again.meta as { version?: string }).version?.replace(/\D/g, '')) > 0, true)

      const cancelled = await patchAgreesWithGet(id, [
        { op: 'replace', path: 'title', value: 'Lead' },
        { op: 'replace', path: FORCE_PATH, value: false },
      ])
      assert.equal(cancelled.title, 'Lead')
      assert.equal(cancelled[ENTERPRISE]?.forcePasswordReset, false)
      assert.equal(rekeyOf(cancelled).accountLocked, false)
      assert.equal(rekeyOf(cancelled).pendingResetMode, undefined)
    })

    it('a disabled account: the reset locks it under the disabled status, and the cancel keeps it disabled', async () => {
      const id = await user()
      await patchAgreesWithGet(id, [{ op: 'replace', path: 'active', value: false }])
      const started = await patchAgreesWithGet(id, [{ op: 'replace', path: FORCE_PATH, value: true }])
      assert.equal(started.active, false)
      assert.equal(rekeyOf(started).accountLocked, true)
      assert.equal(rekeyOf(started).lockedReason, 'reset-pending')
      const cancelled = await patchAgreesWithGet(id, [{ op: 'replace', path: FORCE_PATH, value: false }])
      assert.equal(cancelled.active, false)
      assert.equal(rekeyOf(cancelled).accountLocked, false)
    })

    it("an administrator's lock stays through the reset and its cancel", async () => {
      const id = await user()
      const locked = await patchAgreesWithGet(id, [
        {
          op: 'replace',
          path: 'urn:rekey:params:scim:schemas:extension:2.0:User:accountLocked',
          value: true,
        },
      ])
      assert.equal(rekeyOf(locked).lockedReason, 'admin')
      const started = await patchAgreesWithGet(id, [{ op: 'replace', path: FORCE_PATH, value: true }])
      assert.equal(rekeyOf(started).lockedReason, 'admin')
      assert.equal(started[ENTERPRISE]!.forcePasswordReset, true)
      const cancelled = await patchAgreesWithGet(id, [{ op: 'replace', path: FORCE_PATH, value: false }])
      assert.equal(rekeyOf(cancelled).accountLocked, true)
      assert.equal(rekeyOf(cancelled).lockedReason, 'admin')
    })

    it('a cancel moves the version once and lets the old password in; without reset:force it changes nothing', async () => {
      const id = await user()
      const started = await patchAgreesWithGet(id, [{ op: 'replace', path: FORCE_PATH, value: true }])
      const version = Number(String((started.meta as { version?: string }).version).replace(/\D/g, ''))
      const signIn = () =>
        call(h.app, {
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: String(started.userName), password: 'Harbour-Lantern-73' },
        })
      assert.notEqual((await signIn()).status, 200, 'the reset refuses the old password')

      const token = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tokens',
        auth: h.adminAuth,
        payload: { name: `editor-${++sequence}`, scopes: ['users:read', 'users:write'] },
      })
      assert.equal(token.status, 201)
      const refused = await call(h.app, {
        method: 'PATCH',
        url: `/scim2/Users/${id}`,
        auth: bearer(token.body.token),
        payload: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: FORCE_PATH, value: false }] },
      })
      assert.equal(refused.status, 403, JSON.stringify(refused.body))
      const unchanged = await call(h.app, { method: 'GET', url: `/scim2/Users/${id}`, auth: h.adminAuth })
      assert.deepEqual(unchanged.body, started, 'the reset, its lock and the version are as before')

      const cancelled = await patchAgreesWithGet(id, [{ op: 'replace', path: FORCE_PATH, value: false }])
      assert.equal((cancelled.meta as { version?: string }).version, `W/"${version + 1}"`)
      assert.equal(rekeyOf(cancelled).accountLocked, false)
      assert.equal(rekeyOf(cancelled).lockedReason, undefined)
      assert.equal((await signIn()).status, 200)
    })

    it('a cancel with no reset pending behind the flag (a flag row an older store kept) keeps the lock', async () => {
      const id = await user()
      await patchAgreesWithGet(id, [{ op: 'replace', path: FORCE_PATH, value: true }])
      const { db } = h.container.store
      await db.deleteFrom('pending_resets').where('user_id', '=', id).execute()
      await claimsRepository.apply(db, h.defaultTenant.id, id, { [FORCED_RESET_CLAIM]: 'true' })
      const kept = await patchAgreesWithGet(id, [{ op: 'replace', path: FORCE_PATH, value: false }])
      assert.equal(rekeyOf(kept).accountLocked, true)
      assert.equal(rekeyOf(kept).lockedReason, 'reset-pending')
      assert.equal((await auditOf(id, 'user.reset-cancelled')).length, 0, 'nothing was cancelled')
    })

    it("lifting an administrator's lock over a pending reset brings the reset's lock back", async () => {
      const ACCOUNT_LOCKED = 'urn:rekey:params:scim:schemas:extension:2.0:User:accountLocked'
      for (const unlock of ['scim', 'admin-api'] as const) {
        const id = await user()
        await patchAgreesWithGet(id, [{ op: 'replace', path: ACCOUNT_LOCKED, value: true }])
        await patchAgreesWithGet(id, [{ op: 'replace', path: FORCE_PATH, value: true }])
        if (unlock === 'scim') {
          const unlocked = await patchAgreesWithGet(id, [
            { op: 'replace', path: ACCOUNT_LOCKED, value: false },
          ])
          assert.equal(rekeyOf(unlocked).accountLocked, true)
          assert.equal(rekeyOf(unlocked).lockedReason, 'reset-pending')
        } else {
          const unlocked = await call(h.app, {
            method: 'POST',
            url: `/api/admin/users/${id}/unlock`,
            auth: h.adminAuth,
          })
          assert.equal(unlocked.status, 200, JSON.stringify(unlocked.body))
          assert.equal(unlocked.body.status, 'locked')
          assert.equal(unlocked.body.lockReason, 'reset-pending')
        }
        // The reset's own lock then refuses to be lifted, and the cancel lifts it.
        const refused = await patch(id, [{ op: 'replace', path: ACCOUNT_LOCKED, value: false }])
        assert.equal(refused.status, 400, `${unlock}: ${JSON.stringify(refused.body)}`)
        const cancelled = await patchAgreesWithGet(id, [{ op: 'replace', path: FORCE_PATH, value: false }])
        assert.equal(rekeyOf(cancelled).accountLocked, false, unlock)
      }
    })

    it("a reset ended through another interface under an administrator's lock moves the ETag", async () => {
      const id = await user()
      await patchAgreesWithGet(id, [
        {
          op: 'replace',
          path: 'urn:rekey:params:scim:schemas:extension:2.0:User:accountLocked',
          value: true,
        },
      ])
      const read = () => call(h.app, { method: 'GET', url: `/scim2/Users/${id}`, auth: h.adminAuth })
      const end = async (work: () => Promise<{ status: number }>) => {
        const before = await read()
        assert.equal(before.body[ENTERPRISE].forcePasswordReset, true)
        const ended = await work()
        assert.ok(ended.status < 300, JSON.stringify(ended))
        const after = await read()
        assert.equal(after.body[ENTERPRISE].forcePasswordReset, false)
        assert.equal(rekeyOf(after.body).lockedReason, 'admin', 'the administrator’s lock stays')
        assert.notEqual(after.headers.etag, before.headers.etag)
        // A client revalidating with the old ETag gets the new state, not 304.
        const revalidated = await h.app.inject({
          method: 'GET',
          url: `/scim2/Users/${id}`,
          headers: { authorization: h.adminAuth, 'if-none-match': String(before.headers.etag) },
        })
        assert.equal(revalidated.statusCode, 200)
      }
      const force = () => patchAgreesWithGet(id, [{ op: 'replace', path: FORCE_PATH, value: true }])
      // Cancelled through the admin API.
      await force()
      await end(() =>
        call(h.app, {
          method: 'DELETE',
          url: `/api/admin/users/${id}/force-password-reset`,
          auth: h.adminAuth,
        }),
      )
      // Completed by a password an administrator sets.
      await force()
      await end(() =>
        call(h.app, {
          method: 'POST',
          url: `/api/admin/users/${id}/password`,
          auth: h.adminAuth,
          payload: { password: `Meadow-Compass-${++sequence}58` },
        }),
      )
    })

    it('a password set through another interface moves the ETag with passwordLastChanged', async () => {
      const id = await user()
      const read = () => call(h.app, { method: 'GET', url: `/scim2/Users/${id}`, auth: h.adminAuth })
      const before = await read()
      const set = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${id}/password`,
        auth: h.adminAuth,
        payload: { password: `Lantern-Meadow-${++sequence}74` },
      })
      assert.ok(set.status < 300, JSON.stringify(set.body))
      const after = await read()
      assert.notEqual(rekeyOf(after.body).passwordLastChanged, rekeyOf(before.body).passwordLastChanged)
      assert.notEqual(after.headers.etag, before.headers.etag)
    })

    it('a PUT that starts the reset answers as a GET does', async () => {
      const id = await user()
      const read = await call(h.app, { method: 'GET', url: `/scim2/Users/${id}`, auth: h.adminAuth })
      const document = { ...(read.body as Record<string, unknown>) }
      document[ENTERPRISE] = { ...((document[ENTERPRISE] as object) ?? {}), forcePasswordReset: true }
      const put = await call(h.app, {
        method: 'PUT',
        url: `/scim2/Users/${id}`,
        auth: h.adminAuth,
        payload: document,
      })
      assert.equal(put.status, 200, JSON.stringify(put.body))
      const after = await call(h.app, { method: 'GET', url: `/scim2/Users/${id}`, auth: h.adminAuth })
      assert.deepEqual(put.body, after.body)
      assert.equal(put.headers.etag, after.headers.etag)
    })
  })
}
