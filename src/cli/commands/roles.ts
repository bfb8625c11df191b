import type { Command } from 'commander'
import { cliActor } from '../../observability/audit.ts'
import { collect } from '../arguments.ts'
import { type GlobalOptions, withContext } from '../context.ts'

export function registerRoleCommands(program: Command, globals: () => GlobalOptions): void {
  const role = program.command('role').description('Manage roles, their permissions and members')

  role
    .command('create')
    .description('Create a role')
    .argument('<name>', 'role name')
    .option(
      '--permission <permission>',
      'grant a permission (repeatable): login, users:read, users:write, reset:force, config:write, audit:read, tokens:manage',
      collect,
      [],
    )
    .action(async (name: string, options: { permission: string[] }) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const created = await container.roles.create(await tenant(), name, options.permission, cliActor)
        out.data(created, { columns: ['name', 'permissions', 'builtin'], rows: [created] })
      })
    })

  role
    .command('list')
    .description('List roles')
    .action(async () => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const roles = await container.roles.list(await tenant())
        out.data({ roles }, { columns: ['name', 'permissions', 'builtin'], rows: roles })
      })
    })

  role
    .command('grant')
    .description('Add permissions to a role')
    .argument('<role>', 'role name')
    .argument('<permissions...>', 'permissions to add')
    .action(async (name: string, added: string[]) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const current = await container.roles.get(await tenant(), name)
        const updated = await container.roles.update(
          await tenant(),
          name,
          { permissions: [...new Set([...current.permissions, ...added])] },
          cliActor,
        )
        out.data(updated, { columns: ['name', 'permissions', 'builtin'], rows: [updated] })
      })
    })

  role
    .command('assign')
    .description('Assign users to a role')
    .argument('<role>', 'role name')
    .argument('<users...>', 'user ids or user names')
    .action(async (name: string, users: string[]) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const members = await container.roles.assign(await tenant(), name, users, cliActor)
        out.data({ role: name, members }, { columns: ['id', 'username'], rows: members })
      })
    })
}
