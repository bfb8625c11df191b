import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { TenantRow } from '../../src/persistence/repositories/tenants.ts'
import { type Harness, ManualClock, openHarness } from '../support/harness.ts'
import type { Answer } from '../support/http.ts'
import { createStaffUser } from '../support/page-client.ts'
import { expectError, expectStage, mailedCode, queuedMail, submit } from '../support/selfservice.ts'
import { storeKinds } from '../support/stores.ts'

const HOUR = 3_600_000
const JDOE = 'userName eq "jdoe"'
const NOBODY = 'userName eq "nobody"'

/** What a caller sees of an answer: status and body, a token by its length. */
function visible(answer: Answer) {
  const { token, ...rest } = answer.body
  return {
    status: answer.status,
    body: rest,
    tokenLength: typeof token === 'string' ? token.length : undefined,
  }
}

for (const kind of storeKinds) {
  describe(`${kind.kind}: self-service limits on guessing and mailing`, { skip: kind.skip }, () => {
    /** A harness of its own per limit, each on a clock the tests move. */
    const harness = (env: Record<string, string>) => {
      const state = {
        h: undefined as unknown as Harness,
        clock: new ManualClock(),
        tenant: undefined as unknown as TenantRow,
      }
      before(async () => {
        state.h = await openHarness(kind, { clock: state.clock, env })
        state.tenant = state.h.defaultTenant
        await createStaffUser(state.h.app, state.h.adminAuth, {
          username: 'jdoe',
          password: 'jdoe-password-1',
        })
        await createStaffUser(state.h.app, state.h.adminAuth, {
          username: 'jane',
          password: 'jane-password-1',
        })
      })
      after(async () => state.h?.close())
      return state
    }

    /** A flow at its emailValidation stage for the filter; its token. */
    const emailStage = async (h: Harness, filter: string, remoteAddress?: string) =>
      expectStage(
        await submit(h.app, { input: { queryFilter: filter } }, remoteAddress ? { remoteAddress } : {}),
        'emailValidation',
      )

    describe('per flow', () => {
      const s = harness({})

      it('five wrong codes end the flow: the sixth try, even the right code, is an invalid token', async () => {
        const run = async (filter: string, address: string) => {
          const token = await emailStage(s.h, filter, address)
          const seen = []
          for (let attempt = 1; attempt <= 5; attempt++)
            seen.push(
              visible(
                await submit(s.h.app, { token, input: { code: 'AAAAAAAA' } }, { remoteAddress: address }),
              ),
            )
          return { token, seen }
        }
        const real = await run(JDOE, '192.0.2.10')
        assert.deepEqual(
          real.seen.map((answer) => answer.body.message),
          [
            'The code is not correct. 4 attempts left.',
            'The code is not correct. 3 attempts left.',
            'The code is not correct. 2 attempts left.',
            'The code is not correct. 1 attempt left.',
            'Not correct, and no attempts are left. Start again.',
          ],
        )
        for (const answer of real.seen)
          assert.equal(answer.body.detail.code, 'selfservice.verification-failed')
        const code = await mailedCode(s.h.container, s.tenant, 'jdoe@example.com', real.token)
        expectError(
          await submit(s.h.app, { token: real.token, input: { code } }),
          400,
          'selfservice.invalid-token',
        )
        expectError(await submit(s.h.app, { token: real.token, input: {} }), 400, 'selfservice.invalid-token')

        const unknown = await run(NOBODY, '192.0.2.11')
        assert.deepEqual(unknown.seen, real.seen, 'an unknown user sees the same countdown')
        expectError(
          await submit(s.h.app, { token: unknown.token, input: { code } }),
          400,
          'selfservice.invalid-token',
        )
        // A new flow starts afresh (the account's hourly allowance is not used up yet).
        const fresh = await emailStage(s.h, JDOE, '192.0.2.12')
        const again = await mailedCode(s.h.container, s.tenant, 'jdoe@example.com', fresh)
        expectStage(await submit(s.h.app, { token: fresh, input: { code: again } }), 'resetStage')
      })

      it('parallel wrong codes on one flow cannot test more than its allowance', async () => {
        const token = await emailStage(s.h, 'userName eq "jane"', '192.0.2.20')
        const answers = await Promise.all(
          Array.from({ length: 10 }, (_, index) =>
            submit(
              s.h.app,
              { token, input: { code: 'AAAAAAAA' } },
              { remoteAddress: `192.0.2.${30 + index}` },
            ),
          ),
        )
        const codes = answers.map((answer) => answer.body.detail.code)
        assert.equal(
          codes.filter((code) => code === 'selfservice.verification-failed').length,
          5,
          codes.join(),
        )
        assert.equal(codes.filter((code) => code === 'selfservice.invalid-token').length, 5, codes.join())
      })
    })

    describe('per account', () => {
      const s = harness({
        REKEY_SELFSERVICE_ACCOUNT_FAILURES_PER_HOUR: '3',
        REKEY_SELFSERVICE_ADDRESS_FAILURES_PER_HOUR: '0',
      })
      let address = 0
      /** Every request from another address: only the account can be what is limited. */
      const from = () => ({ remoteAddress: `198.51.100.${++address}` })

      const sequence = async (filter: string) => {
        const firstFlow = await emailStage(s.h, filter, from().remoteAddress)
        const secondFlow = await emailStage(s.h, filter, from().remoteAddress)
        const answers = [
          await submit(s.h.app, { token: firstFlow, input: { code: 'AAAAAAAA' } }, from()),
          await submit(s.h.app, { token: firstFlow, input: { code: 'BBBBBBBB' } }, from()),
          await submit(s.h.app, { token: secondFlow, input: { code: 'CCCCCCCC' } }, from()),
          await submit(s.h.app, { token: secondFlow, input: { code: 'DDDDDDDD' } }, from()),
        ]
        const thirdFlow = await emailStage(s.h, filter, from().remoteAddress)
        answers.push(await submit(s.h.app, { token: thirdFlow, input: { code: 'EEEEEEEE' } }, from()))
        return { answers, thirdFlow }
      }

      it('failures across flows reach the hourly limit: 429, the same for an unknown user', async () => {
        const real = await sequence(JDOE)
        for (const answer of real.answers.slice(0, 3))
          expectError(answer, 400, 'selfservice.verification-failed')
        for (const answer of real.answers.slice(3)) expectError(answer, 429, 'selfservice.rate-limited')
        // Limited before the comparison: the right code does not get through either.
        const code = await mailedCode(s.h.container, s.tenant, 'jdoe@example.com', real.thirdFlow)
        expectError(
          await submit(s.h.app, { token: real.thirdFlow, input: { code } }, from()),
          429,
          'selfservice.rate-limited',
        )

        const unknown = await sequence(NOBODY)
        assert.deepEqual(unknown.answers.map(visible), real.answers.map(visible))
        // Another account is not affected.
        const jane = await emailStage(s.h, 'userName eq "jane"', from().remoteAddress)
        expectError(
          await submit(s.h.app, { token: jane, input: { code: 'AAAAAAAA' } }, from()),
          400,
          'selfservice.verification-failed',
        )

        const limited = await s.h.container.audit.list(s.h.container.store.db, {
          tenantId: s.tenant.id,
          limit: 50,
          action: 'selfservice.rate-limited',
        })
        assert.ok(limited.length >= 5)
        assert.ok(limited.every((event) => event.detail.scope === 'account'))

        // The next hour's window starts afresh.
        s.clock.advance(HOUR)
        const later = await emailStage(s.h, JDOE, from().remoteAddress)
        const laterCode = await mailedCode(s.h.container, s.tenant, 'jdoe@example.com', later)
        expectStage(await submit(s.h.app, { token: later, input: { code: laterCode } }, from()), 'resetStage')
      })

      it('a differently written filter naming the same account meets the same limit, known or unknown', async () => {
        s.clock.advance(HOUR)
        await sequence(JDOE)
        await sequence(NOBODY)
        const probe = async (filter: string) => {
          const token = await emailStage(s.h, filter, from().remoteAddress)
          return visible(await submit(s.h.app, { token, input: { code: 'FFFFFFFF' } }, from()))
        }
        const real = await probe('(userName eq "jdoe")')
        assert.equal(real.status, 429)
        assert.deepEqual(await probe('(userName eq "nobody")'), real)
      })
      it('parallel guesses against one account cannot pass its hourly limit', async () => {
        s.clock.advance(HOUR)
        const tokens = []
        for (let flow = 0; flow < 20; flow++) tokens.push(await emailStage(s.h, JDOE, from().remoteAddress))
        const answers = await Promise.all(
          tokens.map((token) => submit(s.h.app, { token, input: { code: 'AAAAAAAA' } }, from())),
        )
        const codes = answers.map((answer) => answer.body.detail.code)
        assert.ok(
          codes.filter((code) => code === 'selfservice.verification-failed').length <= 3,
          `at most 3 guesses tested, the rest refused: ${codes.join()}`,
        )
      })
    })

    describe('per client address', () => {
      const s = harness({
        REKEY_SELFSERVICE_ADDRESS_FAILURES_PER_HOUR: '3',
        REKEY_SELFSERVICE_ACCOUNT_FAILURES_PER_HOUR: '0',
      })

      it('failures from one address reach its limit whatever the account; X-Forwarded-For is not trusted', async () => {
        const attacker = { remoteAddress: '203.0.113.7' }
        for (const filter of [JDOE, NOBODY, 'userName eq "jane"']) {
          const token = await emailStage(s.h, filter, attacker.remoteAddress)
          expectError(
            await submit(s.h.app, { token, input: { code: 'AAAAAAAA' } }, attacker),
            400,
            'selfservice.verification-failed',
          )
        }
        for (const filter of [JDOE, 'userName eq "someone-else"']) {
          const token = await emailStage(s.h, filter, attacker.remoteAddress)
          expectError(
            await submit(s.h.app, { token, input: { code: 'AAAAAAAA' } }, attacker),
            429,
            'selfservice.rate-limited',
          )
          expectError(
            await submit(
              s.h.app,
              { token, input: { code: 'AAAAAAAA' } },
              { ...attacker, headers: { 'x-forwarded-for': '203.0.113.99' } },
            ),
            429,
            'selfservice.rate-limited',
          )
          // Another address is not limited, for the same flow.
          expectError(
            await submit(s.h.app, { token, input: { code: 'AAAAAAAA' } }, { remoteAddress: '203.0.113.8' }),
            400,
            'selfservice.verification-failed',
          )
        }
        const [event] = await s.h.container.audit.list(s.h.container.store.db, {
          tenantId: s.tenant.id,
          limit: 1,
          action: 'selfservice.rate-limited',
        })
        assert.equal(event?.detail.scope, 'address')
        assert.equal(event?.clientAddress, '203.0.113.7')
      })
    })

    describe('mails per account', () => {
      const s = harness({ REKEY_SELFSERVICE_ACCOUNT_MAILS_PER_HOUR: '2' })

      it('beyond the hourly allowance, flows go on with the same answers but no mail', async () => {
        const mails = async () =>
          (await queuedMail(s.h.container, s.tenant, 'SelfServiceResetCode')).filter(
            (mail) => mail.recipient === 'jdoe@example.com',
          ).length
        const answers = []
        for (let flow = 0; flow < 4; flow++)
          answers.push(visible(await submit(s.h.app, { input: { queryFilter: JDOE } })))
        assert.equal(await mails(), 2)
        for (const answer of answers) assert.deepEqual(answer, answers[0])
        // Unmailed flows still take (and refuse) codes as any flow does.
        const silent = await emailStage(s.h, JDOE)
        expectError(
          await submit(s.h.app, { token: silent, input: { code: 'AAAAAAAA' } }),
          400,
          'selfservice.verification-failed',
        )
        assert.equal(await mails(), 2)

        s.clock.advance(HOUR)
        const token = await emailStage(s.h, JDOE)
        assert.equal(await mails(), 3, 'a new hour, a new allowance')
        const code = await mailedCode(s.h.container, s.tenant, 'jdoe@example.com', token)
        expectStage(await submit(s.h.app, { token, input: { code } }), 'resetStage')
      })
    })
  })
}
