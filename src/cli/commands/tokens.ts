import type { Command } from 'commander'
import { administratorPermissions } from '../../domain/permissions.ts'
import { DEFAULT_TENANT } from '../../domain/tenant.ts'
import { cliActor } from '../../observability/audit.ts'
import { collect, integerIn } from '../arguments.ts'
import { type GlobalOptions, withContext } from '../context.ts'

const tokenColumns = ['id', 'name', 'scopes', 'createdAt', 'expiresAt', 'lastUsedAt', 'revoked']

export function registerTokenCommands(program: Command, globals: () => GlobalOptions): void {
  const token = program.command('token').description('Manage API tokens')

  token
    .command('create')
    .description('Create an API token and print it once')
    .requiredOption('--name <name>', 'what the token is for')
    .option(
      '--scope <permission>',
      'grant a permission (repeatable; default: every administrator permission)',
      collect,
      [],
    )
    .option('--expires-in-days <days>', 'expiry in days (1-3650; default: never)', integerIn(1, 3650))
    .action(async (options: { name: string; scope: string[]; expiresInDays?: number }) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const target = await tenant()
        // The operator at the CLI may grant anything an administrator of the tenant holds.
        const grantable = new Set(administratorPermissions(target.domain === DEFAULT_TENANT))
        const scopes = options.scope.length > 0 ? options.scope : [...grantable]
        const created = await container.tokens.create(
          target,
          { name: options.name, scopes, expiresInDays: options.expiresInDays },
          cliActor,
          grantable,
        )
        if (out.json) out.data({ ...created.view, token: created.token })
        else {
          out.info(
            `Created token ${created.view.name} (${created.view.id}) with scopes ${created.view.scopes.join(', ')}.`,
          )
          out.info('The token is shown once:')
          process.stdout.write(`${created.token}\n`)
        }
      })
    })

  token
    .command('list')
    .description('List API tokens (never their values)')
    .action(async () => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const tokens = await container.tokens.list(await tenant())
        out.data({ tokens }, { columns: tokenColumns, rows: tokens })
      })
    })

  token
    .command('revoke')
    .description('Revoke an API token')
    .argument('<id>', 'token id')
    .action(async (id: string) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        await container.tokens.revoke(await tenant(), id, cliActor)
        out.data({ revoked: id }, { columns: ['revoked'], rows: [{ revoked: id }] })
      })
    })
}
