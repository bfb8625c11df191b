import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { loadConfig } from '../../src/config/load.ts'
import type { Config } from '../../src/config/schema.ts'

export const ADMIN_PASSWORD = 'Operator-Password-For-Tests-1'

export function tempDir(prefix = 'rekey-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/**
 * A configuration built through the real loader. argon2id runs with small (but real)
 * parameters so suites stay fast; tests of the parameters themselves override them.
 *
 * The password policy is relaxed to its length rules so suites about other capabilities can
 * choose readable passwords freely; the policy's own suites (password-policy-*.test.ts) run with
 * the shipped defaults through `shippedPasswordPolicy`.
 */
export function testConfig(env: Record<string, string> = {}): Config {
  const cwd = tempDir()
  return loadConfig({
    env: {
      REKEY_DATA_DIR: join(cwd, 'data'),
      REKEY_LOG_LEVEL: 'silent',
      REKEY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      REKEY_PASSWORDS_ARGON2_MEMORY_KIB: '1024',
      REKEY_PASSWORDS_ARGON2_ITERATIONS: '1',
      REKEY_AUTH_LOGIN_RATE_LIMIT_PER_MINUTE: '0',
      REKEY_PASSWORDS_FORBID_USER_NAME: 'false',
      REKEY_PASSWORDS_CHECK_COMMON_PASSWORDS: 'false',
      REKEY_PASSWORDS_HISTORY_COUNT: '0',
      ...env,
    },
    cwd,
  }).config
}

/** Environment that restores the shipped password policy in a test configuration. */
export const shippedPasswordPolicy = {
  REKEY_PASSWORDS_FORBID_USER_NAME: 'true',
  REKEY_PASSWORDS_CHECK_COMMON_PASSWORDS: 'true',
  REKEY_PASSWORDS_HISTORY_COUNT: '5',
} as const

/** Removes the temporary directory a test configuration created (its data dir's parent). */
export function removeTestDirs(config: Config): void {
  const parent = dirname(config.storage.data_dir)
  if (parent.startsWith(tmpdir())) rmSync(parent, { recursive: true, force: true })
}
