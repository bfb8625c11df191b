import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config/schema.ts'

/**
 * The server secret keys HMACs of one-time codes and cached credentials. From configuration
 * when given (required to be the same on every instance); otherwise generated once into the
 * data directory with owner-only permissions.
 */
export function loadSecretKey(config: Config): Buffer {
  if (config.security.secret_key !== '') return Buffer.from(config.security.secret_key, 'base64')
  const file = join(config.storage.data_dir, 'secret.key')
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')
  mkdirSync(config.storage.data_dir, { recursive: true })
  const key = randomBytes(32)
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
  return key
}
