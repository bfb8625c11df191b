import type { Command } from 'commander'
import { configFields } from '../../config/fields.ts'
import { loadConfig } from '../../config/load.ts'
import type { GlobalOptions } from '../context.ts'
import { createOutput } from '../output.ts'

export function registerConfigCommands(program: Command, globals: () => GlobalOptions): void {
  const config = program.command('config').description('Inspect configuration')
  config
    .command('check')
    .description('Validate the configuration without starting; prints the effective values (secrets hidden)')
    .action(() => {
      const { config: loaded, file } = loadConfig({ path: globals().config })
      const out = createOutput(globals().json === true)
      const rows = configFields.map((field) => {
        const section = loaded[field.section as keyof typeof loaded] as Record<string, unknown>
        const value = section[field.key]
        return { key: field.path, env: field.env, value: field.sensitive && value !== '' ? '(set)' : value }
      })
      out.info(`Configuration is valid${file ? ` (${file})` : ' (defaults and environment)'}.`)
      out.data(
        {
          valid: true,
          file: file ?? null,
          values: Object.fromEntries(rows.map((row) => [row.key, row.value])),
        },
        { columns: ['key', 'env', 'value'], rows },
      )
    })
}
