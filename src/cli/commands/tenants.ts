import type { Command } from 'commander'
import { toTenantView } from '../../admin/tenant-service.ts'
import { cliActor } from '../../observability/audit.ts'
import { generatePassword } from '../../security/tokens.ts'
import { type GlobalOptions, withContext } from '../context.ts'
import { readSecretFromStdin } from '../stdin.ts'

const tenantColumns = ['domain', 'displayName', 'status', 'isDefault', 'createdAt']

export function registerTenantCommands(program: Command, globals: () => GlobalOptions): void {
  const tenant = program.command('tenant').description('Manage tenants')

  tenant
    .command('create')
    .description('Create a tenant and its admin user (a generated password is printed once)')
    .argument('<domain>', 'tenant domain, e.g. example.com')
    .option('--display-name <name>', 'display name')
    .option('--admin-password-stdin', "read the admin user's password from standard input")
    .action(async (domain: string, options: { displayName?: string; adminPasswordStdin?: boolean }) => {
      const supplied = options.adminPasswordStdin ? await readSecretFromStdin() : undefined
      await withContext(globals(), async ({ container, out }) => {
        const password = supplied ?? generatePassword()
        const created = await container.tenants.createWithAdministrator(
          domain,
          options.displayName,
          password,
          cliActor,
        )
        const view = toTenantView(created)
        // A generated password is shown once: in the JSON answer for scripts, on stderr for people.
        if (out.json)
          out.data({ ...view, adminUsername: 'admin', ...(supplied ? {} : { adminPassword: password }) })
        else {
          out.data(view, { columns: tenantColumns, rows: [view] })
          if (!supplied)
            out.info(`Administrator of ${created.domain}: admin / ${password}\nThis password is shown once.`)
        }
      })
    })

  tenant
    .command('list')
    .description('List tenants')
    .action(async () => {
      await withContext(globals(), async ({ container, out }) => {
        const tenants = await container.tenants.list()
        out.data({ tenants }, { columns: tenantColumns, rows: tenants })
      })
    })

  for (const [name, status] of [
    ['disable', 'disabled'],
    ['enable', 'active'],
  ] as const) {
    tenant
      .command(name)
      .description(`${name === 'disable' ? 'Disable' : 'Enable'} a tenant`)
      .argument('<domain>', 'tenant domain')
      .action(async (domain: string) => {
        await withContext(globals(), async ({ container, out }) => {
          const view = await container.tenants.setStatus(domain, status, cliActor)
          out.data(view, { columns: tenantColumns, rows: [view] })
        })
      })
  }
}
