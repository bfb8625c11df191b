import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse as parseToml } from 'smol-toml'
import Value from 'typebox/value'
import { translateCompatibleKeys } from './compatible-keys.ts'
import { ConfigError, type ConfigProblem } from './config-error.ts'
import { type ConfigField, configFields } from './fields.ts'
import { type Config, configSchema } from './schema.ts'
import { checkConfigSemantics } from './semantics.ts'

export interface LoadConfigOptions {
  /** Explicit path (`--config`); otherwise REKEY_CONFIG, otherwise `./rekey.toml` when present. */
  path?: string | undefined
  env?: NodeJS.ProcessEnv
  cwd?: string
}

export interface LoadedConfig {
  config: Config
  /** The file that was read, if any. */
  file: string | undefined
}

function locateFile(options: LoadConfigOptions, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const explicit = options.path ?? env.REKEY_CONFIG
  if (explicit) {
    const path = resolve(cwd, explicit)
    if (!existsSync(path)) throw new ConfigError([{ key: path, reason: 'config file not found' }])
    return path
  }
  const conventional = resolve(cwd, 'rekey.toml')
  return existsSync(conventional) ? conventional : undefined
}

function readFile(path: string): Record<string, unknown> {
  try {
    return parseToml(readFileSync(path, 'utf8')) as Record<string, unknown>
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new ConfigError([{ key: path, reason: `not valid TOML: ${reason}` }])
  }
}

function coerceEnv(field: ConfigField, raw: string): { value?: unknown; problem?: string } {
  switch (field.kind) {
    case 'integer': {
      if (!/^-?\d+$/.test(raw.trim())) return { problem: `must be an integer, got "${raw}"` }
      return { value: Number(raw.trim()) }
    }
    case 'boolean': {
      const normalized = raw.trim().toLowerCase()
      if (['true', '1', 'yes', 'on'].includes(normalized)) return { value: true }
      if (['false', '0', 'no', 'off'].includes(normalized)) return { value: false }
      return { problem: `must be true or false, got "${raw}"` }
    }
    default:
      return { value: raw }
  }
}

function applyEnvironment(data: Record<string, unknown>, env: NodeJS.ProcessEnv, problems: ConfigProblem[]) {
  for (const field of configFields) {
    const raw = env[field.env]
    if (raw === undefined || raw === '') continue
    const { value, problem } = coerceEnv(field, raw)
    if (problem) {
      problems.push({ key: field.path, source: field.env, reason: problem })
      continue
    }
    const section = (data[field.section] ?? {}) as Record<string, unknown>
    if (typeof section !== 'object' || Array.isArray(section)) continue
    section[field.key] = value
    data[field.section] = section
  }
}

function describeSchemaError(error: {
  instancePath: string
  message: string
  params: unknown
}): ConfigProblem[] {
  const key = error.instancePath.replace(/^\//, '').replaceAll('/', '.')
  const params = error.params as { additionalProperties?: string[] }
  if (params.additionalProperties) {
    return params.additionalProperties.map((extra) => ({
      key: key ? `${key}.${extra}` : extra,
      reason: 'unknown key',
    }))
  }
  const field = configFields.find((candidate) => candidate.path === key)
  if (field?.kind === 'enum') return [{ key, reason: `must be one of ${field.choices?.join(', ')}` }]
  return [{ key: key || '(root)', reason: error.message }]
}

/**
 * Reads the config file, overlays the environment, fills defaults and validates. Every problem
 * is collected and reported together, each naming its key, so an operator fixes them in one go.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const file = locateFile(options, env, cwd)
  const data: Record<string, unknown> = file ? readFile(file) : {}
  const fromFile = new Set(
    Object.entries(data).flatMap(([section, values]) =>
      values && typeof values === 'object' ? Object.keys(values).map((key) => `${section}.${key}`) : [],
    ),
  )
  /** Where a key's value came from, so a message can say which variable or file to fix. */
  const sourceOf = (key: string): string | undefined => {
    const field = configFields.find((candidate) => candidate.path === key)
    if (field && env[field.env]) return field.env
    return fromFile.has(key) ? 'config file' : undefined
  }
  const problems: ConfigProblem[] = []
  translateCompatibleKeys(data, problems)
  applyEnvironment(data, env, problems)
  const withDefaults = Value.Default(configSchema, data)
  if (!Value.Check(configSchema, withDefaults)) {
    const seen = new Set<string>()
    for (const error of Value.Errors(configSchema, withDefaults)) {
      if (error.keyword === 'boolean' && error.message === 'schema is false') continue
      for (const problem of describeSchemaError(error)) {
        const field = configFields.find((candidate) => candidate.path === problem.key)
        const withSource = {
          ...problem,
          source: field && env[field.env] ? field.env : file ? 'config file' : undefined,
        }
        const id = `${withSource.key}:${withSource.reason}`
        if (!seen.has(id)) problems.push(withSource)
        seen.add(id)
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems)
  const config = withDefaults as Config
  // Relative paths are relative to the working directory, for every path-valued key alike.
  config.storage.data_dir = resolve(cwd, config.storage.data_dir)
  for (const key of ['tls_cert_file', 'tls_key_file'] as const)
    if (config.server[key] !== '') config.server[key] = resolve(cwd, config.server[key])
  const semanticProblems = checkConfigSemantics(config)
  if (semanticProblems.length > 0)
    throw new ConfigError(semanticProblems.map((problem) => ({ ...problem, source: sourceOf(problem.key) })))
  return { config, file }
}
