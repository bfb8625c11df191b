import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { serverPasswordPolicy } from '../admin/policies/defaults.ts'
import {
  checkPatternSafety,
  checkPolicyDefinition,
  type PasswordPolicy,
} from '../domain/password-policy/index.ts'
import { pipelineProblems, queryableProblems, splitList } from '../flows/selfservice/stages.ts'
import { tokenKeyProblems } from '../flows/selfservice/token-keys.ts'
import { SmtpConfigError, smtpSettingsFromUrl } from '../notifications/smtp/index.ts'
import type { ConfigProblem } from './config-error.ts'
import type { Config } from './schema.ts'

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

export function isLoopback(host: string): boolean {
  return loopbackHosts.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)
}

export function tlsEnabled(config: Config): boolean {
  return config.server.tls_cert_file !== '' && config.server.tls_key_file !== ''
}

function readable(path: string): Buffer | string {
  try {
    return readFileSync(path)
  } catch (error) {
    return `cannot be read: ${error instanceof Error ? error.message : String(error)}`
  }
}

/**
 * A certificate or key that cannot be used would otherwise surface only when the listener is
 * created, as a bare OpenSSL message naming no key; check the pair here so `config check`
 * finds it too.
 */
function checkTlsPair(config: Config): ConfigProblem[] {
  const certFile = readable(config.server.tls_cert_file)
  const keyFile = readable(config.server.tls_key_file)
  const problems: ConfigProblem[] = []
  let certificate: X509Certificate | undefined
  let key: KeyObject | undefined
  if (typeof certFile === 'string') problems.push({ key: 'server.tls_cert_file', reason: certFile })
  else {
    try {
      certificate = new X509Certificate(certFile)
    } catch {
      problems.push({ key: 'server.tls_cert_file', reason: 'is not a PEM certificate' })
    }
  }
  if (typeof keyFile === 'string') problems.push({ key: 'server.tls_key_file', reason: keyFile })
  else {
    try {
      key = createPrivateKey(keyFile)
    } catch {
      problems.push({ key: 'server.tls_key_file', reason: 'is not an unencrypted PEM private key' })
    }
  }
  if (certificate && key && !certificate.checkPrivateKey(key))
    problems.push({ key: 'server.tls_key_file', reason: 'does not match the certificate in tls_cert_file' })
  return problems
}

/**
 * The SMTP URL and From address as the transport will read them, so a typo fails at start
 * naming the key. The messages never repeat the URL: it may hold the relay password.
 */
function checkSmtp(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const probeUrl = config.smtp.url === '' ? 'smtp://localhost' : config.smtp.url
  try {
    smtpSettingsFromUrl(probeUrl, { from: config.smtp.from })
  } catch (error) {
    const reason = error instanceof SmtpConfigError ? error.message : 'is not a usable SMTP URL'
    problems.push({ key: /\bfrom\b/i.test(reason) ? 'smtp.from' : 'smtp.url', reason })
  }
  return problems
}

/** Rules that span keys or need the file system; the schema checks single values. */
export function checkConfigSemantics(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const { server, storage, security } = config
  // Name the key that is missing: that is the one the operator has to add.
  if (server.tls_cert_file !== '' && server.tls_key_file === '')
    problems.push({ key: 'server.tls_key_file', reason: 'TLS needs both tls_cert_file and tls_key_file' })
  if (server.tls_cert_file === '' && server.tls_key_file !== '')
    problems.push({ key: 'server.tls_cert_file', reason: 'TLS needs both tls_cert_file and tls_key_file' })
  for (const key of ['tls_cert_file', 'tls_key_file'] as const) {
    if (server[key] !== '' && !existsSync(server[key])) {
      problems.push({ key: `server.${key}`, reason: `file not found: ${server[key]}` })
    }
  }
  if (tlsEnabled(config) && existsSync(server.tls_cert_file) && existsSync(server.tls_key_file))
    problems.push(...checkTlsPair(config))
  // Threat: credentials and session cookies sent in clear text over a network.
  if (!isLoopback(server.host) && !tlsEnabled(config) && !server.behind_proxy) {
    problems.push({
      key: 'server.host',
      reason: `refusing to listen on non-loopback address ${server.host} without TLS; configure server.tls_cert_file and server.tls_key_file, or set server.behind_proxy = true when a TLS-terminating proxy is in front`,
    })
  }
  if (server.public_url !== '') {
    try {
      const url = new URL(server.public_url)
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme')
    } catch {
      problems.push({ key: 'server.public_url', reason: 'must be an absolute http:// or https:// URL' })
    }
  }
  if (storage.database_url !== '' && !/^postgres(ql)?:\/\//.test(storage.database_url)) {
    problems.push({
      key: 'storage.database_url',
      reason: 'must start with postgres:// or postgresql:// (or be empty for SQLite)',
    })
  }
  if (security.secret_key !== '' && Buffer.from(security.secret_key, 'base64').length < 32) {
    problems.push({ key: 'security.secret_key', reason: 'must be base64 of at least 32 random bytes' })
  }
  if (config.passwords.min_length > config.passwords.max_length) {
    problems.push({ key: 'passwords.min_length', reason: 'must not exceed passwords.max_length' })
  }
  problems.push(...checkPasswordPolicyKeys(config))
  if (config.reset_prompt.regular_expression !== '')
    for (const reason of checkPatternSafety(config.reset_prompt.regular_expression))
      problems.push({ key: 'reset_prompt.regular_expression', reason })
  problems.push(...checkSmtp(config))
  for (const reason of pipelineProblems(splitList(config.selfservice.stages)))
    problems.push({ key: 'selfservice.stages', reason })
  for (const reason of queryableProblems(splitList(config.selfservice.queryable_attributes)))
    problems.push({ key: 'selfservice.queryable_attributes', reason })
  for (const reason of tokenKeyProblems(config.selfservice.token_keys))
    problems.push({ key: 'selfservice.token_keys', reason })
  if (config.selfservice.kba_answers_required < config.selfservice.kba_questions_asked)
    problems.push({
      key: 'selfservice.kba_answers_required',
      reason:
        'must be at least selfservice.kba_questions_asked (a user must have answered the questions asked)',
    })
  if (config.notifications.retry_base_seconds > config.notifications.retry_max_seconds)
    problems.push({
      key: 'notifications.retry_base_seconds',
      reason: 'must not exceed notifications.retry_max_seconds',
    })
  return problems
}

/** The URL users reach the server at, without a trailing slash. */
export function publicUrl(config: Config, port = config.server.port): string {
  if (config.server.public_url !== '') return config.server.public_url.replace(/\/+$/, '')
  const scheme = tlsEnabled(config) ? 'https' : 'http'
  const host =
    config.server.host.includes(':') && !config.server.host.startsWith('[')
      ? `[${config.server.host}]`
      : config.server.host
  return `${scheme}://${host}:${port}`
}

const policyKeys: Partial<Record<keyof PasswordPolicy, string>> = {
  pattern: 'passwords.pattern',
  patternDescription: 'passwords.pattern_description',
}

/** The server's default password policy must be one a tenant could save: a safe, described pattern. */
function checkPasswordPolicyKeys(config: Config): ConfigProblem[] {
  return checkPolicyDefinition(serverPasswordPolicy(config))
    .filter((problem) => policyKeys[problem.field] !== undefined)
    .map((problem) => ({ key: policyKeys[problem.field]!, reason: problem.message }))
}
