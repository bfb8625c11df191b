import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildContainer, type Container } from '../../src/container.ts'
import { buildApp } from '../../src/http/app.ts'
import { cliActor } from '../../src/observability/audit.ts'
import { createLogger } from '../../src/observability/logger.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { type Harness, ManualClock, openHarness } from '../support/harness.ts'
import { call } from '../support/http.ts'
import { createStaffUser } from '../support/page-client.ts'
import {
  COMPLETED,
  expectError,
  expectStage,
  mailedCode,
  queuedMail,
  signIn,
  submit,
} from '../support/selfservice.ts'
import { storeKinds } from '../support/stores.ts'

const MINUTE = 60_000
const OLD_KEY = `old:${randomBytes(32).toString('base64')}`
const NEW_KEY = `new:${randomBytes(32).toString('base64')}`
/** The reference's example token: a JWT signed with a key Rekey never had. */
const FOREIGN_TOKEN =
  'eyJ0eXAiOiJKV1QiLCJjdHkiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.ZXlKMGVYQWlPaUpLVjFRaUxDSmhiR2NpT2lKSVV6STFOaUo5.W5ywOcr8'

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** Changes one character of a token part (0 header … 4 tag) without changing its length. */
function tamper(token: string, part: number): string {
  const parts = token.split('.')
  const target = parts[part]!
  const index = Math.floor(target.length / 2)
  parts[part] = `${target.slice(0, index)}${target[index] === 'A' ? 'B' : 'A'}${target.slice(index + 1)}`
  return parts.join('.')
}

/** A second app on the harness's store, with other flow token keys: another instance of the same deployment. */
async function sibling(h: Harness, tokenKeys: string, clock: ManualClock) {
  const config = { ...h.config, selfservice: { ...h.config.selfservice, token_keys: tokenKeys } }
  const container: Container = buildContainer(config, {
    store: h.container.store,
    clock,
    logger: createLogger('silent'),
  })
  const app: FastifyInstance = await buildApp(container)
  await app.ready()
  return {
    app,
    container,
    async close() {
      await app.close()
      await container.selfService.idle()
      await container.bulkResetRunner.stop()
      await container.outboxWorker.stop()
      await container.deliveryRouter.close()
    },
  }
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: self-service tokens expire, end with their flow, and are ours only`, {
    skip: kind.skip,
  }, () => {
    const clock = new ManualClock(Date.now())
    let h: Harness
    let tenant: TenantRow
    let users = 0

    before(async () => {
      h = await openHarness(kind, { clock, env: { REKEY_SELFSERVICE_TOKEN_KEYS: OLD_KEY } })
      tenant = h.defaultTenant
    })
    after(async () => h?.close())

    const newUser = async () => {
      const username = `user${++users}`
      await createStaffUser(h.app, h.adminAuth, { username, password: `${username}-old-password` })
      return { username, email: `${username}@example.com`, filter: `userName eq "${username}"` }
    }

    it('a token is refused once its 15 minutes are over, at every stage', async () => {
      const user = await newUser()
      const first = expectStage(await submit(h.app, { input: {} }), 'userQuery')
      const second = expectStage(
        await submit(h.app, { token: first, input: { queryFilter: user.filter } }),
        'emailValidation',
      )
      const code = await mailedCode(h.container, tenant, user.email, second)
      clock.advance(15 * MINUTE - 1000)
      expectStage(await submit(h.app, { token: second, input: {} }), 'emailValidation')
      clock.advance(1000)
      expectError(await submit(h.app, { token: second, input: { code } }), 400, 'selfservice.invalid-token')
      expectError(
        await submit(h.app, { token: first, input: { queryFilter: user.filter } }),
        400,
        'selfservice.invalid-token',
      )
    })

    it('asking for the requirements again hands back a token with the same expiry', async () => {
      const user = await newUser()
      const first = expectStage(
        await submit(h.app, { input: { queryFilter: user.filter } }),
        'emailValidation',
      )
      const code = await mailedCode(h.container, tenant, user.email, first)
      clock.advance(10 * MINUTE)
      const asked = expectStage(await submit(h.app, { token: first, input: {} }), 'emailValidation')
      clock.advance(6 * MINUTE)
      expectError(await submit(h.app, { token: asked, input: { code } }), 400, 'selfservice.invalid-token')
      expectError(await submit(h.app, { token: asked, input: {} }), 400, 'selfservice.invalid-token')
      expectError(await submit(h.app, { token: first, input: { code } }), 400, 'selfservice.invalid-token')
    })

    it('every token of a completed flow is refused afterwards', async () => {
      const user = await newUser()
      const first = expectStage(await submit(h.app, { input: {} }), 'userQuery')
      const second = expectStage(
        await submit(h.app, { token: first, input: { queryFilter: user.filter } }),
        'emailValidation',
      )
      const code = await mailedCode(h.container, tenant, user.email, second)
      const third = expectStage(await submit(h.app, { token: second, input: { code } }), 'resetStage')
      const done = await submit(h.app, { token: third, input: { password: 'user-new-password-1' } })
      assert.deepEqual(done.body, COMPLETED)

      const replays: Array<[string, Record<string, string>]> = [
        [first, { queryFilter: user.filter }],
        [second, { code }],
        [third, { password: 'user-other-password-2' }],
      ]
      for (const [token, input] of replays) {
        expectError(await submit(h.app, { token, input }), 400, 'selfservice.invalid-token')
        expectError(await submit(h.app, { token, input: {} }), 400, 'selfservice.invalid-token')
      }
      assert.equal((await signIn(h.app, user.username, 'user-new-password-1')).status, 200)
      assert.equal((await signIn(h.app, user.username, 'user-other-password-2')).status, 401)
    })

    it('two completions of one flow at once: exactly one succeeds', async () => {
      const user = await newUser()
      const started = expectStage(
        await submit(h.app, { input: { queryFilter: user.filter } }),
        'emailValidation',
      )
      const code = await mailedCode(h.container, tenant, user.email, started)
      const token = expectStage(await submit(h.app, { token: started, input: { code } }), 'resetStage')
      const confirmationsBefore = (await queuedMail(h.container, tenant, 'PasswordResetSuccess')).length
      const passwords = ['parallel-password-a', 'parallel-password-b']
      const outcomes = await Promise.all(
        passwords.map((password) => submit(h.app, { token, input: { password } })),
      )

      const won = outcomes.filter((answer) => answer.status === 200)
      assert.equal(won.length, 1, JSON.stringify(outcomes.map((answer) => answer.body)))
      assert.deepEqual(won[0]!.body, COMPLETED)
      expectError(outcomes.find((answer) => answer.status !== 200)!, 400, 'selfservice.invalid-token')
      const signIns = await Promise.all(passwords.map((password) => signIn(h.app, user.username, password)))
      assert.deepEqual(
        signIns.map((answer) => answer.status),
        outcomes.map((answer) => (answer.status === 200 ? 200 : 401)),
        'the password set is the winner’s',
      )
      assert.equal(
        (await queuedMail(h.container, tenant, 'PasswordResetSuccess')).length,
        confirmationsBefore + 1,
      )
      const completed = await h.container.audit.list(h.container.store.db, {
        tenantId: tenant.id,
        limit: 100,
        action: 'selfservice.completed',
      })
      const userRow = await h.container.users.find(tenant, user.username)
      assert.equal(completed.filter((event) => event.target === userRow?.id).length, 1)
    })

    it('an account locked by an administrator during the flow is not reset', async () => {
      const user = await newUser()
      const started = expectStage(
        await submit(h.app, { input: { queryFilter: user.filter } }),
        'emailValidation',
      )
      const code = await mailedCode(h.container, tenant, user.email, started)
      const token = expectStage(await submit(h.app, { token: started, input: { code } }), 'resetStage')
      await h.container.users.lock(tenant, user.username, 'admin', cliActor)
      expectError(
        await submit(h.app, { token, input: { password: 'locked-out-password-1' } }),
        400,
        'selfservice.invalid-token',
      )
      await h.container.users.unlock(tenant, user.username, cliActor)
      assert.equal((await signIn(h.app, user.username, 'locked-out-password-1')).status, 401)
      assert.equal((await signIn(h.app, user.username, `${user.username}-old-password`)).status, 200)
    })

    it('a tampered token, a token of another tenant or anything else is refused as invalid', async () => {
      const user = await newUser()
      const token = expectStage(await submit(h.app, { input: {} }), 'userQuery')
      const [header] = token.split('.')
      const decoded = JSON.parse(Buffer.from(header!, 'base64url').toString())
      assert.equal(decoded.alg, 'dir')
      assert.equal(decoded.enc, 'A256GCM')
      assert.equal(decoded.kid, 'old')

      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: 'beta.example', adminPassword: 'beta-admin-password' },
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const other = expectStage(
        await submit(h.app, { input: {} }, { prefix: '/t/beta.example' }),
        'userQuery',
      )

      const refused: Array<[string, string]> = [
        ['the header', tamper(token, 0)],
        ['the initialisation vector', tamper(token, 2)],
        ['the ciphertext', tamper(token, 3)],
        ['the tag', tamper(token, 4)],
        [
          'a header naming an unknown key',
          [b64url({ ...decoded, kid: 'other' }), ...token.split('.').slice(1)].join('.'),
        ],
        ['an unprotected header', [b64url({ alg: 'none' }), ...token.split('.').slice(1)].join('.')],
        ['a token of another tenant', other],
        ['the reference example token', FOREIGN_TOKEN],
        ['garbage', 'not-a-token'],
        ['an empty string', ''],
        ['dots only', '....'],
        ['a long string within the limit', 'A'.repeat(8000)],
      ]
      for (const [label, candidate] of refused) {
        const answer = await submit(h.app, { token: candidate, input: { queryFilter: user.filter } })
        assert.equal(answer.status, 400, `${label}: ${JSON.stringify(answer.body)}`)
        expectError(answer, 400, 'selfservice.invalid-token')
      }
      assert.equal(
        (await queuedMail(h.container, tenant, 'SelfServiceResetCode')).filter(
          (mail) => mail.recipient === user.email,
        ).length,
        0,
        'no refused token sent a code',
      )
      // The untouched token still works.
      expectStage(await submit(h.app, { token, input: { queryFilter: user.filter } }), 'emailValidation')
    })

    it('key rotation: an instance holding new and old keys reads tokens of the old key and issues new ones', async () => {
      const user = await newUser()
      const rotated = await sibling(h, `${NEW_KEY},${OLD_KEY}`, clock)
      const newOnly = await sibling(h, NEW_KEY, clock)
      try {
        const issuedOld = expectStage(await submit(h.app, { input: {} }), 'userQuery')
        expectError(
          await submit(newOnly.app, { token: issuedOld, input: { queryFilter: user.filter } }),
          400,
          'selfservice.invalid-token',
        )
        const continued = await submit(rotated.app, { token: issuedOld, input: { queryFilter: user.filter } })
        const issuedNew = expectStage(continued, 'emailValidation')
        const kid = JSON.parse(Buffer.from(issuedNew.split('.')[0]!, 'base64url').toString()).kid
        assert.equal(kid, 'new', 'the first key encrypts')
        await rotated.container.selfService.idle()
        const code = await mailedCode(h.container, tenant, user.email, issuedNew)
        // The instance with the old key only cannot read it; the one with the new key can.
        expectError(
          await submit(h.app, { token: issuedNew, input: { code } }),
          400,
          'selfservice.invalid-token',
        )
        const reset = expectStage(
          await submit(newOnly.app, { token: issuedNew, input: { code } }),
          'resetStage',
        )
        const done = await submit(rotated.app, { token: reset, input: { password: 'rotated-password-1' } })
        assert.deepEqual(done.body, COMPLETED)
      } finally {
        await rotated.close()
        await newOnly.close()
      }
    })
  })
}
