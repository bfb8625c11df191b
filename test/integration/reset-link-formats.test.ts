/**
 * Reset links name their code (a selector) before the verifier (migration 017). Links sent
 * before that, of the first format, keep working until they expire; a selector with a verifier
 * that is not its own gets the same answer as any invalid link.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Kysely } from 'kysely'
import * as linkSelectors from '../../src/persistence/migrations/017-link-selectors.ts'
import { resetCodesRepository } from '../../src/persistence/repositories/reset-codes.ts'
import { presentedLink, secretHmac } from '../../src/security/one-time-secrets.ts'
import { timeOrderedId } from '../../src/security/time-ordered-id.ts'
import { type Harness, openHarness } from '../support/harness.ts'
import {
  createStaffUser,
  forceResetThroughApi,
  latestMailText,
  PageClient,
  pageText,
  resetLinkPath,
  useShippedPasswordPolicy,
} from '../support/page-client.ts'
import { storeKinds } from '../support/stores.ts'

const OLD_PASSWORD = 'old-secret-passphrase-1'
const NEW_PASSWORD = 'brand-new-passphrase-7'
const INVALID = 'The password reset link is invalid or has expired.'

for (const kind of storeKinds) {
  describe(`${kind.kind}: reset link formats`, { skip: kind.skip }, () => {
    let h: Harness
    before(async () => {
      h = await openHarness(kind)
      await useShippedPasswordPolicy(h.app, h.adminAuth)
    })
    after(async () => h?.close())

    async function forcedByLink(name: string): Promise<{ userId: string; token: string }> {
      const userId = await createStaffUser(h.app, h.adminAuth, { username: name, password: OLD_PASSWORD })
      await forceResetThroughApi(h.app, h.adminAuth, userId, 'email-link')
      const link = resetLinkPath(await latestMailText(h.container, h.defaultTenant, `${name}@example.com`))
      return { userId, token: new URL(link, 'http://x').searchParams.get('token')! }
    }

    const resetWith = async (token: string) => {
      const browser = new PageClient(h.app)
      const page = await browser.get(`/reset-password?token=${encodeURIComponent(token)}`)
      if (page.status !== 200) return page
      return browser.post('/reset-password', { token, newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD })
    }

    it('a mailed link names its code: 64 URL-safe characters, the code found by its id', async () => {
      const { userId, token } = await forcedByLink('selma')
      assert.match(token, /^[A-Za-z0-9_-]{64}$/)
      const named = presentedLink(token)
      assert.ok(named && 'codeId' in named)
      const code = await h.container.store.db
        .selectFrom('reset_codes')
        .selectAll()
        .where('id', '=', named.codeId)
        .executeTakeFirst()
      assert.equal(code?.user_id, userId)
      assert.equal(code?.kind, 'link')
      // The store holds the verifier's HMAC, bound to its code: nothing in the row makes a link.
      assert.equal(code?.secret_hmac, secretHmac(h.container.secretKey, 'link', named.verifier, named.codeId))
      assert.ok(!JSON.stringify(code).includes(named.verifier))
    })

    it("a code's id with a verifier that is not its own is an invalid link, and leaves the real one usable", async () => {
      const { token } = await forcedByLink('tomas')
      const named = presentedLink(token) as { codeId: string; verifier: string }
      const forged = Buffer.concat([
        Buffer.from(named.codeId.replaceAll('-', ''), 'hex'),
        randomBytes(32),
      ]).toString('base64url')
      const refused = await resetWith(forged)
      assert.equal(refused.status, 400)
      assert.ok(pageText(refused.body).includes(INVALID))
      // Another code's id, this link's verifier: the HMAC is bound to the code.
      const { token: other } = await forcedByLink('ursula')
      const otherId = Buffer.from(other, 'base64url').subarray(0, 16)
      const moved = Buffer.concat([otherId, Buffer.from(token, 'base64url').subarray(16)]).toString(
        'base64url',
      )
      assert.equal((await resetWith(moved)).status, 400)
      const done = await resetWith(token)
      assert.equal(done.status, 200, done.body)
      assert.ok(pageText(done.body).includes('Password changed'))
    })

    it('a link of the first format sent before the upgrade still resets the password, once', async () => {
      const { userId } = await forcedByLink('vera')
      // What the server stored for a link before links carried their code: the HMAC of the
      // whole 43-character token, kind `link`, which migration 017 makes `link-v1`.
      const firstFormat = randomBytes(32).toString('base64url')
      const now = Date.now()
      await resetCodesRepository.insert(h.container.store.db, {
        id: timeOrderedId(now),
        tenant_id: h.defaultTenant.id,
        user_id: userId,
        kind: 'link',
        secret_hmac: secretHmac(h.container.secretKey, 'link', firstFormat),
        sealed_secret: null,
        created_at: now,
        expires_at: now + 3_600_000,
        used_at: null,
        attempts: 0,
        max_attempts: 1,
      })
      const store = h.container.store.db as unknown as Kysely<unknown>
      await linkSelectors.down(store)
      await linkSelectors.up(store)
      // Run twice, as after a stop before the migration was recorded.
      await linkSelectors.up(store)
      const done = await resetWith(firstFormat)
      assert.equal(done.status, 200, done.body)
      assert.ok(pageText(done.body).includes('Password changed'))
      const again = await resetWith(firstFormat)
      assert.equal(again.status, 400)
      assert.ok(pageText(again.body).includes(INVALID))
    })

    it('a link with a selector survives the migration running again (after a down, or twice at once)', async () => {
      const { token } = await forcedByLink('wanda')
      const store = h.container.store.db as unknown as Kysely<unknown>
      await linkSelectors.up(store)
      await linkSelectors.down(store)
      await linkSelectors.up(store)
      const code = await h.container.store.db
        .selectFrom('reset_codes')
        .select('kind')
        .where('id', '=', (presentedLink(token) as { codeId: string }).codeId)
        .executeTakeFirst()
      assert.equal(code?.kind, 'link-v1', 'made a first-format row by the second run')
      const done = await resetWith(token)
      assert.equal(done.status, 200, done.body)
      assert.ok(pageText(done.body).includes('Password changed'))
    })
  })
}
