import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.ts'
import { loadConfig } from '../../src/config/load.ts'
import { tempDir } from '../support/config.ts'

function load(file: string, env: Record<string, string> = {}) {
  const cwd = tempDir('rekey-config-')
  writeFileSync(join(cwd, 'rekey.toml'), file)
  return loadConfig({ env, cwd })
}

function problemsOf(file: string): Array<{ key: string; reason: string }> {
  try {
    load(file)
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error))
    return error.problems
  }
  assert.fail('expected a ConfigError')
}

const section = (body: string) => `[identity_mgt.password_reset_by_admin]\n${body}\n`

describe('reset mode from the reference server section', () => {
  it('defaults to the emailed link', () => {
    assert.equal(loadConfig({ env: {}, cwd: tempDir('rekey-config-') }).config.reset.mode, 'email-link')
  })

  it('selects the mode of the one switch set to true, as the reference documents write it', () => {
    assert.equal(load(section('enable_emailed_link_based_reset = true')).config.reset.mode, 'email-link')
    assert.equal(load(section('enable_emailed_otp_based_reset = true')).config.reset.mode, 'email-otp')
    assert.equal(load(section('enable_offline_otp_based_reset = true')).config.reset.mode, 'offline-otp')
    const withFalse = section(
      'enable_emailed_link_based_reset = false\nenable_offline_otp_based_reset = true',
    )
    assert.equal(load(withFalse).config.reset.mode, 'offline-otp')
  })

  it('refuses two switches at once, saying why, where the reference server silently breaks', () => {
    const problems = problemsOf(
      section('enable_emailed_link_based_reset = true\nenable_emailed_otp_based_reset = true'),
    )
    assert.equal(problems.length, 1)
    assert.equal(problems[0]!.key, 'identity_mgt.password_reset_by_admin')
    assert.match(problems[0]!.reason, /enable_emailed_link_based_reset and enable_emailed_otp_based_reset/)
    assert.match(problems[0]!.reason, /only one/)
  })

  it('refuses a switch contradicting reset.mode, unknown switches and non-boolean values', () => {
    const contradiction = problemsOf(
      `[reset]\nmode = "email-otp"\n\n${section('enable_offline_otp_based_reset = true')}`,
    )
    assert.deepEqual(
      contradiction.map((problem) => problem.key),
      ['reset.mode'],
    )
    const typo = problemsOf(section('enable_emailed_otp_reset = true'))
    assert.equal(typo[0]!.key, 'identity_mgt.password_reset_by_admin.enable_emailed_otp_reset')
    assert.match(typo[0]!.reason, /unknown key/)
    const quoted = problemsOf(section('enable_emailed_otp_based_reset = "true"'))
    assert.match(quoted[0]!.reason, /true or false/)
    const other = problemsOf('[identity_mgt.recovery]\nenabled = true\n')
    assert.equal(other[0]!.key, 'identity_mgt.recovery')
  })

  it('agrees with reset.mode when both say the same, and the environment still overrides', () => {
    const both = `[reset]\nmode = "email-otp"\n\n${section('enable_emailed_otp_based_reset = true')}`
    assert.equal(load(both).config.reset.mode, 'email-otp')
    assert.equal(
      load(section('enable_emailed_otp_based_reset = true'), { REKEY_RESET_MODE: 'offline-otp' }).config.reset
        .mode,
      'offline-otp',
    )
  })
})
