import { type Command, Option } from 'commander'
import type { UserView } from '../../admin/user-view.ts'
import { cliActor } from '../../observability/audit.ts'
import type { ResetMode } from '../../persistence/tables.ts'
import { claim, collect, integerIn } from '../arguments.ts'
import { type GlobalOptions, withContext } from '../context.ts'
import { readSecretFromStdin } from '../stdin.ts'

const userColumns = ['id', 'username', 'status', 'lockReason', 'passwordChangedAt']

function userRow(user: UserView) {
  return { ...user, lockReason: user.lockReason ?? '' }
}

export function registerUserCommands(program: Command, globals: () => GlobalOptions): void {
  const user = program.command('user').description('Manage users of a tenant')

  user
    .command('create')
    .description('Create a user')
    .argument('<name>', 'user name, DOMAIN/name for a secondary user store')
    .option('--password-stdin', 'read the password from standard input')
    .option(
      '--password-hash-stdin',
      'read an existing hash (bcrypt, PBKDF2-SHA256, {SSHA256}, argon2id) from standard input',
    )
    .option('--claim <uri=value>', 'set a claim (repeatable)', claim, {})
    .option('--role <role>', 'assign a role (repeatable)', collect, [])
    .action(
      async (
        name: string,
        options: {
          passwordStdin?: boolean
          passwordHashStdin?: boolean
          claim: Record<string, string>
          role: string[]
        },
      ) => {
        const secret =
          options.passwordStdin || options.passwordHashStdin ? await readSecretFromStdin() : undefined
        await withContext(globals(), async ({ container, out, tenant }) => {
          const created = await container.users.create(
            await tenant(),
            {
              username: name,
              ...(options.passwordStdin ? { password: secret } : {}),
              ...(options.passwordHashStdin ? { passwordHash: secret } : {}),
              claims: options.claim,
              roles: options.role,
            },
            cliActor,
            undefined,
            { channel: 'cli' },
          )
          out.data(created, { columns: userColumns, rows: [userRow(created)] })
        })
      },
    )

  user
    .command('list')
    .description('List users')
    .option('--prefix <text>', 'user name prefix')
    .option('--limit <n>', 'page size (1-10000)', integerIn(1, 10_000), 100)
    .option('--offset <n>', 'rows to skip', integerIn(0, Number.MAX_SAFE_INTEGER), 0)
    .action(async (options: { prefix?: string; limit: number; offset: number }) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const result = await container.users.list(await tenant(), {
          limit: options.limit,
          offset: options.offset,
          namePrefix: options.prefix,
        })
        out.data(result, { columns: userColumns, rows: result.users.map(userRow) })
      })
    })

  user
    .command('show')
    .description('Show one user with claims and roles')
    .argument('<user>', 'user id or user name')
    .action(async (reference: string) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const shown = await container.users.get(await tenant(), reference)
        const rows = [
          ...Object.entries({
            id: shown.id,
            username: shown.username,
            status: shown.status,
            lockReason: shown.lockReason,
            roles: shown.roles,
            passwordChangedAt: shown.passwordChangedAt,
            createdAt: shown.createdAt,
          }).map(([field, value]) => ({ field, value })),
          ...Object.entries(shown.claims).map(([field, value]) => ({ field, value })),
        ]
        out.data(shown, { columns: ['field', 'value'], rows })
      })
    })

  user
    .command('set-password')
    .description("Set a user's password (revokes the user's sessions)")
    .argument('<user>', 'user id or user name')
    .requiredOption('--password-stdin', 'read the password from standard input')
    .action(async (reference: string) => {
      const password = await readSecretFromStdin()
      await withContext(globals(), async ({ container, out, tenant }) => {
        await container.users.setPassword(await tenant(), reference, password, cliActor)
        out.data({ updated: true }, { columns: ['result'], rows: [{ result: 'password updated' }] })
      })
    })

  user
    .command('lock')
    .description('Lock an account (revokes its sessions)')
    .argument('<user>', 'user id or user name')
    .option('--reason <code>', 'lock reason code', 'admin')
    .action(async (reference: string, options: { reason: string }) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const locked = await container.users.lock(await tenant(), reference, options.reason, cliActor)
        out.data(locked, { columns: userColumns, rows: [userRow(locked)] })
      })
    })

  user
    .command('unlock')
    .description('Unlock an account')
    .argument('<user>', 'user id or user name')
    .action(async (reference: string) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const unlocked = await container.users.unlock(await tenant(), reference, cliActor)
        out.data(unlocked, { columns: userColumns, rows: [userRow(unlocked)] })
      })
    })

  user
    .command('force-reset')
    .description('Force a password reset: locks the account, ends its sessions, sends the link or code')
    .argument('<user>', 'user id or user name')
    .addOption(
      new Option('--mode <mode>', "reset mode (default: the tenant's)").choices([
        'email-link',
        'email-otp',
        'offline-otp',
      ]),
    )
    .action(async (reference: string, options: { mode?: ResetMode }) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const scope = await tenant()
        const target = await container.users.require(scope, reference)
        const result = await container.forcedResets.trigger(scope, target, {
          mode: options.mode,
          actor: cliActor,
          channel: 'cli',
        })
        out.data(result, {
          columns: ['userId', 'mode', 'expiresAt', 'sessionsRevoked', 'messageId'],
          rows: [{ ...result, messageId: result.messageId ?? '-' }],
        })
      })
    })

  user
    .command('cancel-reset')
    .description('Cancel a pending forced reset (unlocks, voids the link or code)')
    .argument('<user>', 'user id or user name')
    .action(async (reference: string) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const scope = await tenant()
        const target = await container.users.require(scope, reference)
        const cancelled = await container.forcedResets.cancel(scope, target, {
          actor: cliActor,
          channel: 'cli',
        })
        out.data({ cancelled }, { columns: ['cancelled'], rows: [{ cancelled: String(cancelled) }] })
      })
    })

  user
    .command('one-time-password')
    .description("Show a user's live offline one-time password (the read is audited)")
    .argument('<user>', 'user id or user name')
    .action(async (reference: string) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const scope = await tenant()
        const target = await container.users.require(scope, reference)
        const otp = await container.forcedResets.readOfflineOtp(scope, target, cliActor)
        out.data(
          { oneTimePassword: otp ?? null },
          { columns: ['oneTimePassword'], rows: [{ oneTimePassword: otp ?? '(none pending)' }] },
        )
      })
    })

  user
    .command('security-answers')
    .description("Manage a user's security answers (self-service password reset)")
    .command('clear')
    .description("Clear a user's security answers; the user sets new ones (the clear is audited)")
    .argument('<user>', 'user id or user name')
    .action(async (reference: string) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        const scope = await tenant()
        const target = await container.users.require(scope, reference)
        const cleared = await container.securityQuestions.clearAnswers(scope, target.id, cliActor)
        out.data({ cleared }, { columns: ['cleared'], rows: [{ cleared: String(cleared) }] })
      })
    })

  user
    .command('delete')
    .description('Delete a user')
    .argument('<user>', 'user id or user name')
    .action(async (reference: string) => {
      await withContext(globals(), async ({ container, out, tenant }) => {
        await container.users.delete(await tenant(), reference, cliActor)
        out.data({ deleted: reference }, { columns: ['deleted'], rows: [{ deleted: reference }] })
      })
    })
}
