import { Command, CommanderError } from 'commander'
import { registerConfigCommands } from './cli/commands/config.ts'
import { registerMigrateCommand } from './cli/commands/migrate.ts'
import { registerRoleCommands } from './cli/commands/roles.ts'
import { registerServeCommand } from './cli/commands/serve.ts'
import { registerTenantCommands } from './cli/commands/tenants.ts'
import { registerTokenCommands } from './cli/commands/tokens.ts'
import { registerUserCommands } from './cli/commands/users.ts'
import type { GlobalOptions } from './cli/context.ts'
import { ExitCode, exitCodeFor } from './cli/exit-codes.ts'
import { ConfigError } from './config/config-error.ts'
import { AppError } from './errors/app-error.ts'

const program = new Command()
  .name('rekey')
  .description('Rekey identity server: forced password resets and everything they touch')
  .version('0.1.0')
  .option('-c, --config <file>', 'config file (default: REKEY_CONFIG or ./rekey.toml)')
  .option('-t, --tenant <domain>', 'tenant to act on', 'carbon.super')
  .option('--json', 'machine-readable output')
  .showHelpAfterError()
  .exitOverride()

const globals = (): GlobalOptions => program.opts<GlobalOptions>()

registerServeCommand(program, globals)
registerMigrateCommand(program, globals)
registerConfigCommands(program, globals)
registerTenantCommands(program, globals)
registerUserCommands(program, globals)
registerRoleCommands(program, globals)
registerTokenCommands(program, globals)

function describe(error: unknown): string {
  if (error instanceof ConfigError) return error.message
  if (error instanceof AppError) {
    const fields = error.details.errors?.map((issue) => `  ${issue.pointer}: ${issue.message}`).join('\n')
    return `error: ${error.code}: ${error.message}${fields ? `\n${fields}` : ''}`
  }
  return `error: ${error instanceof Error ? error.message : String(error)}`
}

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; usage mistakes exit 2.
    process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage
  } else {
    process.stderr.write(`${describe(error)}\n`)
    process.exitCode = exitCodeFor(error)
  }
}
