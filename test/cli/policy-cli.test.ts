import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { isolateCliStore, runCliInProcess } from '../support/cli-in-process.ts'
import { cliStoreVariants, postgresUrl, withPostgres } from '../support/cli-stores.ts'
import { tempDir } from '../support/config.ts'
import { type CliResult, runCli } from '../support/processes.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'

/** `SETTING  VALUE  SOURCE` rows of a `policy … show` table, by setting. */
function tableOf(stdout: string): Record<string, { value: string; source: string }> {
  const [header, ...lines] = stdout.trimEnd().split('\n')
  assert.match(header ?? '', /^SETTING\s+VALUE\s+SOURCE$/)
  return Object.fromEntries(
    lines.map((line) => {
      const [setting, value, source] = line.split(/\s{2,}/)
      return [setting, { value, source }]
    }),
  )
}

// One operator's session per store, in order; every step is a real `rekey` process.
for (const variant of cliStoreVariants) {
  describe(`${variant.name}: rekey policy`, { skip: variant.skip, timeout: 600_000 }, () => {
    const dir = tempDir('rekey-policy-cli-')
    const schema = `rekey_policy_cli_${randomBytes(6).toString('hex')}`
    const env: Record<string, string> = {
      REKEY_DATA_DIR: join(dir, 'data'),
      REKEY_ADMIN_PASSWORD: 'cli-policy-operator-pass-1',
    }
    const cli = (args: string[], input?: string): Promise<CliResult> => runCli(args, env, input)
    const json = async (args: string[]) => {
      const result = await cli(['--json', ...args])
      assert.equal(result.code, 0, `rekey ${args.join(' ')}: ${result.stderr}`)
      return JSON.parse(result.stdout)
    }

    before(async () => {
      if (variant.name === 'postgres') {
        await withPostgres((client) => client.query(`create schema ${schema}`))
        env.DATABASE_URL = `${postgresUrl}?options=-c%20search_path%3D${schema}`
      }
    })
    after(async () => {
      if (variant.name === 'postgres')
        await withPostgres((client) => client.query(`drop schema if exists ${schema} cascade`))
      rmSync(dir, { recursive: true, force: true })
    })

    it('shows the server configuration, every value marked as the server’s', async () => {
      const shown = await cli(['policy', 'reset', 'show'])
      assert.equal(shown.code, 0, shown.stderr)
      const table = tableOf(shown.stdout)
      assert.deepEqual(Object.keys(table), [
        'mode',
        'otp-length',
        'otp-characters',
        'otp-lifetime-minutes',
        'link-lifetime-minutes',
        'max-otp-attempts',
        'revoke-sessions',
        'send-confirmation',
        'login-reveals-pending',
      ])
      assert.ok(Object.values(table).every((row) => row.source === 'server'))
      assert.deepEqual(table.mode, { value: 'email-link', source: 'server' })
      const password = await json(['policy', 'password', 'show'])
      assert.deepEqual(password.overrides, {})
      assert.equal(password.effective.minLength, 8)
      assert.equal(password.effective.pattern, null)
    })

    it('sets reset settings, marks them as the tenant’s, and unsets one', async () => {
      const set = await cli([
        'policy',
        'reset',
        'set',
        '--mode',
        'offline-otp',
        '--otp-length',
        '10',
        '--revoke-sessions',
        'false',
      ])
      assert.equal(set.code, 0, set.stderr)
      const table = tableOf(set.stdout)
      assert.deepEqual(table.mode, { value: 'offline-otp', source: 'tenant' })
      assert.deepEqual(table['otp-length'], { value: '10', source: 'tenant' })
      assert.deepEqual(table['revoke-sessions'], { value: 'false', source: 'tenant' })
      assert.deepEqual(table['otp-characters'], { value: 'upper-alnum', source: 'server' })

      const unset = await json(['policy', 'reset', 'set', '--unset', 'otp-length'])
      assert.deepEqual(unset.overrides, { mode: 'offline-otp', revokeSessions: false })
      assert.equal(unset.effective.otpLength, 8)
      assert.deepEqual(await json(['policy', 'reset', 'show']), unset)
    })

    it('acts on the tenant named by --tenant only', async () => {
      const created = await cli(
        ['tenant', 'create', 'other.example', '--admin-password-stdin'],
        'other-tenant-pass-77',
      )
      assert.equal(created.code, 0, created.stderr)
      const other = await json(['--tenant', 'other.example', 'policy', 'reset', 'show'])
      assert.deepEqual(other.overrides, {})
      const changed = await json([
        '--tenant',
        'other.example',
        'policy',
        'reset',
        'set',
        '--otp-characters',
        'digits',
      ])
      assert.deepEqual(changed.overrides, { otpCharacters: 'digits' })
      assert.deepEqual((await json(['policy', 'reset', 'show'])).overrides, {
        mode: 'offline-otp',
        revokeSessions: false,
      })
    })

    it('forces resets in the mode the tenant chose', async () => {
      const created = await cli(
        ['user', 'create', 'alex', '--password-stdin', '--claim', `${EMAIL}=alex@example.com`],
        'quartz-lantern-41',
      )
      assert.equal(created.code, 0, created.stderr)
      const forced = await json(['user', 'force-reset', 'alex'])
      assert.equal(forced.mode, 'offline-otp')
      assert.equal(forced.messageId, null)
      assert.deepEqual(await json(['user', 'cancel-reset', 'alex']), { cancelled: true })
    })

    it('refuses a password policy that is wrong as a whole: exit 6, each problem by its option, nothing saved', async () => {
      const before = await json(['policy', 'password', 'show'])
      const bounds = await cli(['policy', 'password', 'set', '--min-length', '20', '--max-length', '10'])
      assert.equal(bounds.code, 6, bounds.stderr)
      assert.match(bounds.stderr, /^error: policy\.invalid: /m)
      assert.match(bounds.stderr, /^ {2}--min-length: must not be greater than the maximum length$/m)
      const unsafe = await cli([
        'policy',
        'password',
        'set',
        '--pattern',
        '(a+)+$',
        '--pattern-description',
        'many a',
      ])
      assert.equal(unsafe.code, 6, unsafe.stderr)
      assert.match(unsafe.stderr, /^ {2}--pattern: /m)
      const undescribed = await cli(['policy', 'password', 'set', '--pattern', '[0-9]'])
      assert.equal(undescribed.code, 6, undescribed.stderr)
      assert.match(undescribed.stderr, /^ {2}--pattern-description: is required with a pattern/m)
      assert.equal(bounds.stdout + unsafe.stdout + undescribed.stdout, '')
      assert.deepEqual(await json(['policy', 'password', 'show']), before)
    })

    it('sets a password policy that the next password change obeys, and audits each change', async () => {
      const set = await cli([
        'policy',
        'password',
        'set',
        '--min-length',
        '14',
        '--pattern',
        '[0-9]',
        '--pattern-description',
        'at least one digit',
        '--history-count',
        '3',
      ])
      assert.equal(set.code, 0, set.stderr)
      const table = tableOf(set.stdout)
      assert.deepEqual(table['min-length'], { value: '14', source: 'tenant' })
      assert.deepEqual(table['pattern-description'], { value: 'at least one digit', source: 'tenant' })
      assert.deepEqual(table['max-length'], { value: '256', source: 'server' })

      const weak = await cli(['user', 'set-password', 'alex', '--password-stdin'], 'no-digits-in-here')
      assert.equal(weak.code, 6)
      assert.match(weak.stderr, /password\.weak/)
      assert.match(weak.stderr, /at least one digit/)
      assert.ok(!weak.stderr.includes('no-digits-in-here'), 'the password is not echoed')
      const good = await cli(['user', 'set-password', 'alex', '--password-stdin'], 'copper-meadow-kite-2')
      assert.equal(good.code, 0, good.stderr)

      const { events } = await json(['audit', 'list', '--action', 'tenant.policy-updated'])
      assert.deepEqual(
        events.map((event: { actor: string; target: string }) => `${event.actor} ${event.target}`),
        ['cli:cli password-policy', 'cli:cli reset-policy', 'cli:cli reset-policy'],
      )
      assert.deepEqual(events[0].detail.changed, [
        'minLength',
        'pattern',
        'patternDescription',
        'historyCount',
      ])
    })
  })
}

describe('rekey policy: usage errors exit 2 before the store is opened', () => {
  isolateCliStore('rekey-policy-usage-')

  const reset = ['policy', 'reset', 'set']
  const password = ['policy', 'password', 'set']
  const cases: Array<[string[], RegExp]> = [
    [[...reset, '--otp-length', '5'], /--otp-length.*integer from 6 to 32/],
    [[...reset, '--otp-lifetime-minutes', '0'], /--otp-lifetime-minutes.*integer from 1 to 10080/],
    [[...reset, '--link-lifetime-minutes', 'day'], /--link-lifetime-minutes.*integer from 5 to 43200/],
    [[...reset, '--mode', 'sms'], /Allowed choices are email-link, email-otp, offline-otp/],
    [[...reset, '--otp-characters', 'emoji'], /Allowed choices are digits, upper-alnum, alnum/],
    [[...reset, '--revoke-sessions', 'yes'], /--revoke-sessions.*expected true or false/],
    [[...reset, '--unset', 'colour'], /--unset.*expected one of mode, otp-length/],
    [[...reset, '--otp-length', '10', '--unset', 'otpLength'], /--otp-length is both set and unset/],
    [reset, /name at least one setting to change/],
    [[...reset, '--min-length', '10'], /unknown option '--min-length'/],
    [[...password, '--history-count', '25'], /--history-count.*integer from 0 to 24/],
    [[...password, '--min-length', '0'], /--min-length.*integer from 1 to 256/],
    [[...password, '--pattern', 'x'.repeat(201)], /--pattern.*at most 200 characters/],
    [[...password, '--check-common-passwords', 'maybe'], /--check-common-passwords.*expected true or false/],
    [password, /name at least one setting to change/],
  ]
  for (const [args, message] of cases) {
    it(`rekey ${args.join(' ').slice(0, 80)}`, async () => {
      const answer = await runCliInProcess(args)
      assert.equal(answer.code, 2, answer.err)
      assert.match(answer.err, message)
      assert.equal(answer.out, '')
    })
  }
})
