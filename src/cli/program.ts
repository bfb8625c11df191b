import { readFileSync } from 'node:fs'
import { Command, CommanderError, type OutputConfiguration } from 'commander'
import { ConfigError } from '../config/config-error.ts'
import { AppError } from '../errors/app-error.ts'
import { registerAuditCommands } from './commands/audit.ts'
import { registerConfigCommands } from './commands/config.ts'
import { registerForceResetCommand } from './commands/force-reset.ts'
import { registerMailCommands } from './commands/mail.ts'
import { registerMigrateCommand } from './commands/migrate.ts'
import { registerPolicyCommands } from './commands/policies.ts'
import { registerRoleCommands } from './commands/roles.ts'
import { registerSecurityQuestionCommands } from './commands/security-questions.ts'
import { registerServeCommand } from './commands/serve.ts'
import { registerTemplateCommands } from './commands/templates.ts'
import { registerTenantCommands } from './commands/tenants.ts'
import { registerTokenCommands } from './commands/tokens.ts'
import { registerUserCommands } from './commands/users.ts'
import type { GlobalOptions } from './context.ts'
import { ExitCode, exitCodeFor } from './exit-codes.ts'

/** The version operators see in `rekey --version`: the package's own, so the two never disagree. */
export const version: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version

export interface ProgramOptions {
  /** Where commander writes help and usage errors (tests capture them). */
  output?: OutputConfiguration
}

/** The whole command tree. Built fresh for each run: commander keeps parsed state on it. */
export function buildProgram(options: ProgramOptions = {}): Command {
  const program = new Command()
  // Set before the subcommands are added: commander copies these settings into each of them.
  if (options.output) program.configureOutput(options.output)
  program
    .name('rekey')
    .description('Rekey identity server: forced password resets and everything they touch')
    .version(version)
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
  registerForceResetCommand(program, globals)
  registerRoleCommands(program, globals)
  registerTokenCommands(program, globals)
  registerTemplateCommands(program, globals)
  registerMailCommands(program, globals)
  registerPolicyCommands(program, globals)
  registerSecurityQuestionCommands(program, globals)
  registerAuditCommands(program, globals)
  return program
}

export function describeError(error: unknown): string {
  if (error instanceof ConfigError) return error.message
  if (error instanceof AppError) {
    const fields = error.details.errors?.map((issue) => `  ${issue.pointer}: ${issue.message}`).join('\n')
    return `error: ${error.code}: ${error.message}${fields ? `\n${fields}` : ''}`
  }
  return `error: ${error instanceof Error ? error.message : String(error)}`
}

/**
 * Runs one command line (`argv` as in `process.argv`) and returns the documented exit code
 * (src/cli/exit-codes.ts). Errors are written to `stderr`; nothing here exits the process.
 */
export async function runCli(
  argv: readonly string[],
  program: Command = buildProgram(),
  stderr: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  try {
    await program.parseAsync([...argv])
    return ExitCode.ok
  } catch (error) {
    // Commander has already printed help or the usage mistake. Help and version exit 0;
    // usage mistakes (unknown command or option, missing or malformed argument) exit 2.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage
    stderr.write(`${describeError(error)}\n`)
    return exitCodeFor(error)
  }
}
