import type { Command } from 'commander'
import { type GlobalOptions, withContext } from '../context.ts'

export function registerMigrateCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('migrate')
    .description('Apply database migrations (serve also applies them at start)')
    .action(async () => {
      // withContext migrates as its first step; report what the store now holds.
      await withContext(globals(), async ({ container, out }) => {
        const applied = await container.store.db
          .selectFrom('rekey_migrations' as never)
          .select('name' as never)
          .execute()
        const names = (applied as Array<{ name: string }>).map((row) => row.name)
        out.data(
          { store: container.store.describe, migrations: names },
          { columns: ['migration'], rows: names.map((migration) => ({ migration })) },
        )
      })
    })
}
