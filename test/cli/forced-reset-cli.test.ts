import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { tempDir } from '../support/config.ts'
import { runCli } from '../support/processes.ts'

const EMAIL = 'http://wso2.org/claims/emailaddress'

describe('sqlite: forcing resets from the command line', { timeout: 300_000 }, () => {
  const env = {
    REKEY_DATA_DIR: join(tempDir('rekey-cli-reset-'), 'data'),
    REKEY_ADMIN_PASSWORD: 'cli-operator-pass-1',
  }
  const cli = (args: string[], input?: string) => runCli(args, env, input)
  const json = async (args: string[]) => {
    const result = await cli(['--json', ...args])
    assert.equal(result.code, 0, `rekey ${args.join(' ')}: ${result.stderr}`)
    return JSON.parse(result.stdout)
  }

  it('forces, reads the offline code, cancels, and refuses bad input', async () => {
    const created = await cli(
      ['user', 'create', 'alex', '--password-stdin', '--claim', `${EMAIL}=alex@example.com`],
      'quartz-lantern-41',
    )
    assert.equal(created.code, 0, created.stderr)

    const forced = await json(['user', 'force-reset', 'alex', '--mode', 'offline-otp'])
    assert.equal(forced.mode, 'offline-otp')
    assert.equal(forced.messageId, null)
    assert.equal((await json(['user', 'show', 'alex'])).status, 'locked')
    const { oneTimePassword } = await json(['user', 'one-time-password', 'alex'])
    assert.match(oneTimePassword, /^[A-Z2-9]{8}$/)

    const emailed = await json(['user', 'force-reset', 'alex', '--mode', 'email-otp'])
    assert.equal(emailed.mode, 'email-otp')
    assert.ok(emailed.messageId)
    assert.deepEqual(await json(['user', 'one-time-password', 'alex']), { oneTimePassword: null })

    assert.deepEqual(await json(['user', 'cancel-reset', 'alex']), { cancelled: true })
    assert.equal((await json(['user', 'show', 'alex'])).status, 'active')
    assert.deepEqual(await json(['user', 'cancel-reset', 'alex']), { cancelled: false })

    const badMode = await cli(['user', 'force-reset', 'alex', '--mode', 'sms'])
    assert.equal(badMode.code, 2)
    assert.match(badMode.stderr, /Allowed choices are email-link, email-otp, offline-otp/)
    const unknown = await cli(['user', 'force-reset', 'nobody'])
    assert.notEqual(unknown.code, 0)
    assert.match(unknown.stderr, /user\.not-found/)
    assert.doesNotMatch(unknown.stderr, /at .+\.ts:\d+/, 'no stack trace')
  })
})
