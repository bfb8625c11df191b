import { configFields } from './fields.ts'
import { configSchema } from './schema.ts'

function formatDefault(value: string | number | boolean): string {
  if (value === '') return '(empty)'
  return `\`${typeof value === 'string' ? JSON.stringify(value) : String(value)}\``
}

function formatType(field: (typeof configFields)[number]): string {
  if (field.kind === 'enum') return `one of ${field.choices?.map((choice) => `\`${choice}\``).join(', ')}`
  if (field.kind === 'integer') {
    const range =
      field.minimum !== undefined && field.maximum !== undefined ? ` (${field.minimum}–${field.maximum})` : ''
    return `integer${range}`
  }
  return field.kind
}

/** Renders docs/configuration.md from the schema: the only place keys are described. */
export function renderConfigurationReference(): string {
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs:config`. Do not edit by hand. -->',
    '',
    'Rekey reads `rekey.toml` from the working directory, or the file named by `--config FILE` or',
    '`REKEY_CONFIG`. Every key can be overridden by its environment variable. Precedence, lowest',
    'first: built-in defaults, the file, the environment.',
    '',
    'Unknown keys, values of the wrong type and values out of range stop the start with a message',
    'that names each key and why; `rekey config check` runs the same validation without starting',
    'and prints the effective values (secrets shown only as "(set)").',
    '',
    'Example:',
    '',
    '```toml',
    '[server]',
    'host = "127.0.0.1"',
    'port = 8080',
    '',
    '[storage]',
    'database_url = "postgres://rekey:secret@db.internal:5432/rekey"',
    '```',
    '',
  ]
  const sections = configSchema.properties as Record<string, { description?: string }>
  for (const [section, schema] of Object.entries(sections)) {
    lines.push(`## \`[${section}]\` — ${schema.description ?? ''}`, '')
    lines.push('| Key | Environment | Type | Default | Description |', '|---|---|---|---|---|')
    for (const field of configFields.filter((candidate) => candidate.section === section)) {
      const description = `${field.description}${field.sensitive ? ' **Secret**: never logged or printed.' : ''}`
      lines.push(
        `| \`${field.key}\` | \`${field.env}\` | ${formatType(field)} | ${formatDefault(field.defaultValue)} | ${description.replaceAll('|', '\\|')} |`,
      )
    }
    lines.push('')
  }
  return `${lines.join('\n')}`
}
