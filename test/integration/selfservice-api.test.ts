import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { cliActor } from '../../src/observability/audit.ts'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { basicAuth, type Harness, openHarness } from '../support/harness.ts'
import { bearer, call } from '../support/http.ts'
import { createStaffUser, EMAIL_CLAIM } from '../support/page-client.ts'
import {
  API_RESET,
  COMPLETED,
  EMAIL_VALIDATION_REQUIREMENTS,
  expectError,
  expectStage,
  mailedCode,
  queuedMail,
  RESET_STAGE_REQUIREMENTS,
  setPipeline,
  signIn,
  submit,
  USER_QUERY_REQUIREMENTS,
  walkFlow,
} from '../support/selfservice.ts'
import { storeKinds } from '../support/stores.ts'

const OLD_PASSWORD = 'jdoe-old-password-1'
/** The reference's new password: it passes the test policy (length rules only). */
const NEW_PASSWORD = 'newPassw0rd'
const ACCEPT_LANGUAGE = { 'accept-language': 'en-US,en;q=0.8' }
const FORCED_RESET_CLAIM = 'http://wso2.org/claims/identity/adminForcedPasswordReset'
/** A compact JWE: five base64url parts, the second (the key) empty with `dir`. */
const COMPACT_JWE = /^[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/

for (const kind of storeKinds) {
  describe(`${kind.kind}: the staged reset API as the reference's curl examples call it`, {
    skip: kind.skip,
  }, () => {
    let h: Harness
    let tenant: TenantRow
    let jdoeId: string

    before(async () => {
      // One answer per user, so the one question asked is the one of the reference's example.
      h = await openHarness(kind, { env: { REKEY_SELFSERVICE_KBA_ANSWERS_REQUIRED: '1' } })
      tenant = h.defaultTenant
      jdoeId = await createStaffUser(h.app, h.adminAuth, { username: 'jdoe', password: OLD_PASSWORD })
      await h.container.securityQuestions.replaceQuestions(
        tenant,
        [{ id: 'favorite-color', text: { en: "What's your favorite color?" } }],
        cliActor,
      )
      await h.container.securityQuestions.setAnswers(
        tenant,
        jdoeId,
        [{ questionId: 'favorite-color', answer: 'Blue' }],
        cliActor,
      )
    })
    after(async () => h?.close())

    const audited = async (action: string) =>
      h.container.audit.list(h.container.store.db, { tenantId: tenant.id, limit: 20, action })

    it('Example 1: an empty input asks for the account, the query mails a code to jdoe', async () => {
      await setPipeline(h, tenant, ['userQuery', 'emailValidation', 'resetStage'])
      const mailsBefore = (await queuedMail(h.container, tenant, 'SelfServiceResetCode')).length

      const first = await submit(h.app, '{"input":{}}')
      assert.equal(first.status, 200, JSON.stringify(first.body))
      assert.deepEqual(Object.keys(first.body).sort(), ['requirements', 'tag', 'token', 'type'])
      assert.equal(first.body.type, 'userQuery')
      assert.equal(first.body.tag, 'initial')
      assert.deepEqual(first.body.requirements, USER_QUERY_REQUIREMENTS)
      assert.match(first.body.token, COMPACT_JWE)

      const second = await submit(
        h.app,
        `{"token": "${first.body.token}","input":{"queryFilter":"userName eq \\"jdoe\\""}}`,
        { headers: ACCEPT_LANGUAGE },
      )
      assert.equal(second.status, 200, JSON.stringify(second.body))
      assert.deepEqual(Object.keys(second.body).sort(), ['requirements', 'tag', 'token', 'type'])
      assert.equal(second.body.type, 'emailValidation')
      assert.equal(second.body.tag, 'validateCode')
      assert.deepEqual(second.body.requirements, EMAIL_VALIDATION_REQUIREMENTS)
      assert.match(second.body.token, COMPACT_JWE)

      const code = await mailedCode(h.container, tenant, 'jdoe@example.com', second.body.token)
      assert.match(code, /^[A-Z2-9]{8}$/)
      const mails = await queuedMail(h.container, tenant, 'SelfServiceResetCode')
      assert.equal(mails.length, mailsBefore + 1)
      assert.deepEqual(mails.at(-1), { recipient: 'jdoe@example.com', user_id: jdoeId })
      const [sent] = await audited('selfservice.code-sent')
      assert.equal(sent?.target, jdoeId)
      assert.ok(!JSON.stringify(sent).includes(code), 'the code is not audited')
    })

    it('Example 2: userQuery, security answer, new password; sessions end, mail and audit follow', async () => {
      await setPipeline(h, tenant, ['userQuery', 'kbaSecurityAnswerVerificationStage', 'resetStage'])
      const session = await signIn(h.app, 'jdoe', OLD_PASSWORD)
      assert.equal(session.status, 200)
      const confirmationsBefore = (await queuedMail(h.container, tenant, 'PasswordResetSuccess')).length

      const first = await submit(h.app, '{"input":{}}')
      assert.equal(first.status, 200)
      assert.deepEqual(first.body.requirements, USER_QUERY_REQUIREMENTS)

      const second = await submit(
        h.app,
        `{"token": "${first.body.token}","input":{"queryFilter":"userName eq \\"jdoe\\""}}`,
        { headers: ACCEPT_LANGUAGE },
      )
      assert.equal(second.status, 200, JSON.stringify(second.body))
      assert.deepEqual(Object.keys(second.body).sort(), ['requirements', 'tag', 'token', 'type'])
      assert.equal(second.body.type, 'kbaSecurityAnswerVerificationStage')
      assert.equal(second.body.tag, 'initial')
      assert.deepEqual(second.body.requirements, {
        $schema: 'http://json-schema.org/draft-04/schema#',
        description: 'Answer security questions',
        type: 'object',
        required: ['answer1'],
        properties: { answer1: { systemQuestion: { en: "What's your favorite color?" }, type: 'string' } },
      })

      // Compared without regard to case and surrounding spaces.
      const third = await submit(h.app, `{"token":"${second.body.token}","input":{"answer1":" bLUE "}}`, {
        headers: ACCEPT_LANGUAGE,
      })
      assert.equal(third.status, 200, JSON.stringify(third.body))
      assert.deepEqual(Object.keys(third.body).sort(), ['requirements', 'tag', 'token', 'type'])
      assert.equal(third.body.type, 'resetStage')
      assert.equal(third.body.tag, 'initial')
      assert.deepEqual(third.body.requirements, RESET_STAGE_REQUIREMENTS)

      const fourth = await submit(
        h.app,
        `{"token":"${third.body.token}","input":{"password":"${NEW_PASSWORD}"}}`,
        {
          headers: ACCEPT_LANGUAGE,
        },
      )
      assert.equal(fourth.status, 200, JSON.stringify(fourth.body))
      assert.deepEqual(fourth.body, COMPLETED)

      assert.equal((await signIn(h.app, 'jdoe', NEW_PASSWORD)).status, 200)
      assert.equal((await signIn(h.app, 'jdoe', OLD_PASSWORD)).status, 401)
      const old = await call(h.app, {
        method: 'GET',
        url: '/api/auth/session',
        auth: bearer(session.body.token),
      })
      assert.equal(old.status, 401, 'the session opened before the reset has ended')

      const confirmations = await queuedMail(h.container, tenant, 'PasswordResetSuccess')
      assert.equal(confirmations.length, confirmationsBefore + 1)
      assert.deepEqual(confirmations.at(-1), { recipient: 'jdoe@example.com', user_id: jdoeId })
      const [completed] = await audited('selfservice.completed')
      assert.equal(completed?.target, jdoeId)
      const [updated] = await audited('password.updated')
      assert.equal(updated?.target, jdoeId)
      assert.equal(updated?.detail.reason, 'self-service')
      assert.ok((updated?.detail.sessionsRevoked as number) >= 1)
      for (const event of await h.container.audit.list(h.container.store.db, {
        tenantId: tenant.id,
        limit: 200,
      }))
        assert.ok(!JSON.stringify(event).includes(NEW_PASSWORD), `${event.action} holds no password`)
    })

    it('a pending forced reset is completed by self-service: flag cleared, account unlocked, one confirmation', async () => {
      await setPipeline(h, tenant, ['userQuery', 'emailValidation', 'resetStage'])
      const id = await createStaffUser(h.app, h.adminAuth, {
        username: 'forced',
        password: 'forced-old-password',
      })
      const forced = await call(h.app, {
        method: 'POST',
        url: `/api/admin/users/${id}/force-password-reset`,
        auth: h.adminAuth,
        payload: { mode: 'email-otp' },
      })
      assert.equal(forced.status, 200, JSON.stringify(forced.body))
      const held = await call(h.app, { method: 'GET', url: `/api/admin/users/${id}`, auth: h.adminAuth })
      assert.equal(held.body.status, 'locked')
      assert.equal(held.body.claims[FORCED_RESET_CLAIM], 'true')
      const confirmationsBefore = (await queuedMail(h.container, tenant, 'PasswordResetSuccess')).length

      const answers = await walkFlow(h, tenant, {
        filter: 'userName eq "forced"',
        email: 'forced@example.com',
        answers: {},
        password: 'forced-new-password',
      })
      assert.deepEqual(answers.at(-1)?.body, COMPLETED)

      const user = await call(h.app, { method: 'GET', url: `/api/admin/users/${id}`, auth: h.adminAuth })
      assert.equal(user.body.status, 'active')
      assert.notEqual(user.body.claims[FORCED_RESET_CLAIM], 'true')
      assert.equal((await signIn(h.app, 'forced', 'forced-new-password')).status, 200)
      const confirmations = await queuedMail(h.container, tenant, 'PasswordResetSuccess')
      assert.equal(confirmations.length, confirmationsBefore + 1, 'one confirmation, not one per flow')
    })

    it("a flow started in a tenant cannot be continued in another tenant's URL space", async () => {
      const created = await call(h.app, {
        method: 'POST',
        url: '/api/admin/tenants',
        auth: h.adminAuth,
        payload: { domain: 'alpha.example', adminPassword: 'alpha-admin-password' },
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const alpha = await h.container.tenants.require('alpha.example')
      const prefix = '/t/alpha.example'
      await createStaffUser(h.app, basicAuth('admin', 'alpha-admin-password'), {
        username: 'jdoe',
        password: 'alpha-jdoe-password',
        tenantPrefix: prefix,
        claims: { [EMAIL_CLAIM]: 'jdoe@alpha.example' },
      })
      await setPipeline(h, tenant, ['userQuery', 'emailValidation', 'resetStage'])

      const started = await submit(h.app, { input: {} }, { prefix })
      const emailed = await submit(
        h.app,
        { token: expectStage(started, 'userQuery'), input: { queryFilter: 'userName eq "jdoe"' } },
        { prefix },
      )
      const token = expectStage(emailed, 'emailValidation')
      const code = await mailedCode(h.container, alpha, 'jdoe@alpha.example', token)

      for (const url of [API_RESET, undefined]) {
        expectError(
          await submit(h.app, { token, input: { code } }, { url }),
          400,
          'selfservice.invalid-token',
        )
        expectError(await submit(h.app, { token, input: {} }, { url }), 400, 'selfservice.invalid-token')
      }
      // The default tenant's token is refused under the tenant's prefix, too.
      const home = await submit(h.app, { input: {} })
      expectError(
        await submit(
          h.app,
          { token: home.body.token, input: { queryFilter: 'userName eq "jdoe"' } },
          { prefix },
        ),
        400,
        'selfservice.invalid-token',
      )
      // Refusals elsewhere did not use up the flow: it goes on where it started.
      const verified = await submit(h.app, { token, input: { code } }, { prefix, url: API_RESET })
      const reset = await submit(
        h.app,
        { token: expectStage(verified, 'resetStage'), input: { password: 'alpha-new-pw-1' } },
        { prefix },
      )
      assert.deepEqual(reset.body, COMPLETED)
      assert.equal((await signIn(h.app, 'jdoe', 'alpha-new-pw-1', prefix)).status, 200)
      assert.equal(
        (await signIn(h.app, 'jdoe', NEW_PASSWORD)).status,
        200,
        "the default tenant's jdoe is untouched",
      )
    })
  })
}
